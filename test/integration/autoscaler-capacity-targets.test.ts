// HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY on the control role, on a real database: with no capacity run
// recorded the scaling policy's targets apply and a warning says so; once a run is recorded the storefront's
// request-rate target is what one storefront replica sustained in it times the headroom, as GET
// /api/ops/scaling shows; a later run limited by payments gives the policy's targets back, with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { recordCapacityRun, type CapacityRunInput } from '../../src/capacity/index.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp({ targets: ['control'], config: { autoscalerTargetsFromCapacity: true, autoscalerCapacityHeadroom: 0.7, autoscalerIntervalMs: 200 } });
});
after(async () => { await app?.stop(); });

interface Scaling {
  targetsFromCapacity: { applied: boolean; runId: number | null; targetAverageValue: number | null; message: string } | null;
  roles: { role: string; metrics: { name: string; target: { averageValue?: number } }[] }[];
}
const scaling = async (): Promise<Scaling> => {
  const r = await api(app.url, 'GET', '/api/ops/scaling', undefined, { authorization: `Bearer ${app.adminToken}` });
  assert.equal(r.status, 200, r.text);
  return r.json;
};
/** The scaling status once `ok` holds (the autoscaler reads the capacity every interval). */
async function scalingWhen(ok: (s: Scaling) => boolean, what: string): Promise<Scaling> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = await scaling();
    if (ok(s)) return s;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(s.targetsFromCapacity)}`);
    await sleep(100);
  }
}
const storefrontMetrics = (s: Scaling) => s.roles.find((r) => r.role === 'storefront')!.metrics;

const run = (over: Partial<CapacityRunInput> = {}): CapacityRunInput => ({
  scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 4,
  sustainableRate: 40, sustainableRequestsPerSec: 180, breakingRate: 44,
  bottleneck: { kind: 'cpu', component: 'storefront', message: 'storefront: CPU saturated (0.95 cores busy)' },
  replicas: 2, deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, ...over,
});

test('no run recorded: the policy\'s targets and a warning; a recorded run: the storefront\'s target from it; a payments-bound run: the policy\'s again, with why', async () => {
  const none = await scalingWhen((s) => s.targetsFromCapacity !== null && storefrontMetrics(s).length > 0, 'the fallback is shown');
  assert.equal(none.targetsFromCapacity!.applied, false);
  assert.equal(none.targetsFromCapacity!.message, "no capacity run is recorded (holdfast loadtest capacity --record): the scaling policy's targets apply");
  assert.deepEqual(storefrontMetrics(none).map((m) => m.name), ['cpu', 'event-loop'], 'the built-in policy\'s metrics, no request rate');
  assert.ok(app.logs.some((l) => /"level":("warn"|40)/.test(l) && l.includes('HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY is set but no capacity run is recorded')), 'a warning is logged');

  // 180 requests/s over 2 storefront replicas: 90 each; held at 70%: 63
  const recorded = await recordCapacityRun(app.db.pool, run(), 'v1');
  const measured = await scalingWhen((s) => s.targetsFromCapacity?.runId === recorded.id && storefrontMetrics(s).some((m) => m.name === 'request-rate'), 'the recorded run is applied');
  assert.equal(measured.targetsFromCapacity!.applied, true);
  assert.equal(measured.targetsFromCapacity!.targetAverageValue, 63);
  assert.match(measured.targetsFromCapacity!.message, new RegExp(`^storefront request-rate target 63 requests/s per replica: 90 sustained per replica in capacity run #${recorded.id} \\(recorded .+\\) × headroom 0\\.7$`));
  assert.deepEqual(storefrontMetrics(measured).find((m) => m.name === 'request-rate')!.target, { type: 'AverageValue', averageValue: 63 });
  assert.ok(app.logs.some((l) => l.includes(`capacity run #${recorded.id}`) && l.includes('storefront request-rate target 63')), 'the target taken is logged');

  const paymentsBound = await recordCapacityRun(app.db.pool, run({ sustainableRequestsPerSec: 60, bottleneck: { kind: 'bulkhead', component: 'payments', message: 'payments: bulkhead full' } }), 'v1');
  const back = await scalingWhen((s) => s.targetsFromCapacity?.runId === paymentsBound.id && !storefrontMetrics(s).some((m) => m.name === 'request-rate'), 'the payments-bound run falls back');
  assert.equal(back.targetsFromCapacity!.applied, false);
  assert.match(back.targetsFromCapacity!.message, /was limited by payments \(payments: bulkhead full\).*: the scaling policy's targets apply$/);
});
