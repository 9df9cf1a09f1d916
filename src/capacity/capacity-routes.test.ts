// The capacity history's contract, on its routes alone (inject, no socket): recording, the comparison with
// the previous comparable run (a regression past 10% per replica names both bottlenecks and what changed),
// the history, peak readiness, and bad input answered 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { capacityRoutes } from './capacity-routes.ts';
import { peakReadiness } from './peak-readiness.ts';
import { latestWaitingRoomLimits, latestMeasuredCapacity, readinessUnder } from './capacity-module.ts';
import { formatPeakReadiness } from './peak-readiness.ts';
import { defaultScalingPolicy } from '../autoscaler/index.ts';

let t: RouteTest;
let version = 'v1';
before(async () => {
  t = await routeTest((app, { db, adminTokenSha256 }) => capacityRoutes(app, {
    pool: db.pool, adminTokenSha256, version: () => version,
    readiness: ({ latest, peakJourneysPerSec, at }) => peakReadiness({
      latest, peakJourneysPerSec, at, now: new Date(), sessionDurationSeconds: 300,
      limits: { role: 'storefront', maxReplicas: 4, localMaxReplicas: 2, scheduledMinReplicas: 1, scheduledWindows: [] },
    }),
  }));
});
after(async () => { await t?.close(); });

const run = (over: Record<string, unknown> = {}) => ({
  scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 4,
  sustainableRate: 40, sustainableRequestsPerSec: 180, breakingRate: 44,
  bottleneck: { kind: 'cpu', component: 'storefront', message: 'storefront: CPU saturated (0.95 cores busy)' },
  replicas: 1, deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, ...over,
});

test('401 without the admin token', async () => {
  assert.equal((await t.call('GET', '/api/ops/capacity')).status, 401);
  assert.equal((await t.call('POST', '/api/ops/capacity', { body: run() })).json.error.code, 'UNAUTHORIZED');
});

test('readiness with no run recorded: not ready, and says to record one', async () => {
  const r = await t.call('GET', '/api/ops/capacity/readiness?peak=10', { admin: true });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.json.verdict, 'not ready');
  assert.match(r.json.reasons[0], /no capacity has been recorded/);
});

test('the first run has nothing to compare with; a drop past 10% per replica is a regression naming both bottlenecks and the pool', async () => {
  const first = await t.call('POST', '/api/ops/capacity', { admin: true, body: run() });
  assert.equal(first.status, 201, first.body);
  assert.equal(first.json.comparison, null);
  assert.equal(first.json.version, 'v1');

  // 10% less per replica is within the tolerance
  const steady = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ sustainableRate: 36, breakingRate: 40 }) });
  assert.equal(steady.json.comparison.regression, false);
  assert.equal(steady.json.comparison.previousRunId, first.json.id);

  version = 'v2';
  const worse = await t.call('POST', '/api/ops/capacity', {
    admin: true,
    body: run({
      sustainableRate: 10, breakingRate: 12, deployment: { pools: { 'all/main': 2 }, bulkheads: {} },
      bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 9 waiting (2/2 connections in use)' },
    }),
  });
  assert.equal(worse.status, 201);
  const c = worse.json.comparison;
  assert.equal(c.regression, true);
  assert.equal(c.previousRunId, steady.json.id);
  assert.ok(c.change < -0.7 && c.change > -0.73, String(c.change));
  assert.equal(c.bottlenecks.previous, 'storefront: CPU saturated (0.95 cores busy)');
  assert.equal(c.bottlenecks.current, 'postgres pool main: 9 waiting (2/2 connections in use)');
  assert.deepEqual(c.changed, ['version v1 → v2', 'pool all/main max 10 → 2']);
  assert.match(c.message, /regression: capacity per replica fell 72%.*bottleneck then: storefront.*bottleneck now: postgres pool main/);

  // Twice the replicas and twice the rate: the same capacity per replica, no regression
  const scaled = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ sustainableRate: 20, breakingRate: 24, replicas: 2 }) });
  assert.equal(scaled.json.comparison.regression, false);
  assert.equal(scaled.json.comparison.ratePerReplica, 10);

  // Another scenario is not comparable
  const other = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ scenario: 'browse', sustainableRate: 1, breakingRate: 2 }) });
  assert.equal(other.json.comparison, null);

  const list = await t.call('GET', '/api/ops/capacity?scenario=mixed&limit=10', { admin: true });
  assert.equal(list.status, 200);
  assert.deepEqual(list.json.items.map((r: { id: number }) => r.id), [scaled.json.id, worse.json.id, steady.json.id, first.json.id]);
  assert.equal(list.json.items[1].comparison.regression, true);
});

test('readiness: a peak above capacity per replica × max replicas is not ready and says why; one within it is ready', async () => {
  // latest mixed run: 20 journeys/s on 2 replicas = 10 per replica; 4 replicas at most = 40
  const over = await t.call('GET', '/api/ops/capacity/readiness?peak=100&scenario=mixed&at=2026-12-24T18:00:00Z', { admin: true });
  assert.equal(over.status, 200, over.body);
  assert.equal(over.json.verdict, 'not ready');
  assert.match(over.json.reasons[0], /peak of 100 journeys\/s is above the capacity at full scale: 10 journeys\/s per storefront replica × 4 replicas at most = 40 journeys\/s \(10 replicas would be needed\)/);
  assert.equal(over.json.scaling.projectedJourneysPerSec, 40);
  assert.deepEqual([over.json.waitingRoom.newUsersPerMinute, over.json.waitingRoom.totalActiveUsers], [1800, 9000]);
  assert.equal(over.json.at, '2026-12-24T18:00:00.000Z');
  const within = await t.call('GET', '/api/ops/capacity/readiness?peak=30&scenario=mixed', { admin: true });
  assert.equal(within.json.verdict, 'ready');
  assert.equal(within.json.scaling.replicasNeeded, 3);
});

test('the waiting room\'s limits from capacity: the latest run per replica × the policy\'s maximum replicas, at 75%, a place held per session', async () => {
  const policy = defaultScalingPolicy();
  const limits = await latestWaitingRoomLimits(t.db.pool, policy, 120);
  // the latest run (any scenario) is the browse one: 1 journey/s on 1 replica; the built-in policy allows 8 storefront replicas
  assert.equal(policy.roles.storefront.maxReplicas, 8);
  assert.deepEqual({ ...limits, basis: undefined }, { runId: limits!.runId, newUsersPerMinute: 360, totalActiveUsers: 720, sessionDurationSeconds: 120, basis: undefined });
});

test('readiness says which storefront target the autoscaler takes from the run (HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY), and which run the autoscaler reads', async () => {
  const recorded = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ scenario: 'autoscaler-target', sustainableRequestsPerSec: 180, replicas: 2 }) });
  assert.equal(recorded.status, 201, recorded.body);
  const measured = await latestMeasuredCapacity(t.db.pool);
  assert.deepEqual(measured, {
    runId: recorded.json.id, recordedAt: recorded.json.recordedAt, role: 'storefront', bottleneck: 'storefront: CPU saturated (0.95 cores busy)', requestsPerSecondPerReplica: 90,
  });
  const judge = readinessUnder(defaultScalingPolicy(), { sessionDurationSeconds: 300, capacityHeadroom: 0.7 });
  const latest = (await t.call('GET', '/api/ops/capacity?scenario=autoscaler-target&limit=1', { admin: true })).json.items[0];
  const r = judge({ latest, peakJourneysPerSec: 10, at: new Date() });
  assert.equal(r.autoscalerTarget?.targetAverageValue, 63);
  assert.match(formatPeakReadiness(r), new RegExp(`^autoscaler \\(with HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY=true\\): storefront request-rate target 63 requests/s per replica: 90 sustained per replica in capacity run #${recorded.json.id} `, 'm'));
  const paymentsBound = judge({ latest: { ...latest, bottleneck: { kind: 'bulkhead', component: 'payments', message: 'payments: bulkhead full' } }, peakJourneysPerSec: 10, at: new Date() });
  assert.equal(paymentsBound.autoscalerTarget?.applied, false);
  assert.equal(judge({ latest: null, peakJourneysPerSec: 10, at: new Date() }).autoscalerTarget, null);
});

test('a run bound by payments is judged per payments replica: its rate ÷ the payments replicas it ran with × the payments maximum, for readiness and the waiting room alike', async () => {
  const policy = defaultScalingPolicy();
  const judge = readinessUnder(policy, { sessionDurationSeconds: 300, capacityHeadroom: 0.7 });
  const paymentsBound = { kind: 'bulkhead', component: 'payments', message: 'payments: bulkhead full (16/16 in flight)' };
  // 1 storefront and 2 payments replicas sustained 40 journeys/s: 20 per payments replica, 160 at the policy's 8
  const recorded = await t.call('POST', '/api/ops/capacity', {
    admin: true,
    body: run({ scenario: 'payments-bound', bottleneck: paymentsBound, replicas: 1, roleReplicas: { storefront: 1, payments: 2 }, notes: ['the replicas changed during the run'] }),
  });
  assert.equal(recorded.status, 201, recorded.body);
  assert.deepEqual(recorded.json.roleReplicas, { storefront: 1, payments: 2 });
  assert.deepEqual(recorded.json.notes, ['the replicas changed during the run']);
  const latest = (await t.call('GET', '/api/ops/capacity?scenario=payments-bound&limit=1', { admin: true })).json.items[0];
  const r = judge({ latest, peakJourneysPerSec: 200, at: new Date() });
  assert.equal(policy.roles.payments.maxReplicas, 8);
  assert.equal(r.scaling.role, 'payments');
  assert.equal(r.capacity?.ratePerReplica, 20);
  assert.deepEqual([r.capacity?.measuredRole, r.capacity?.measuredReplicas], ['payments', 2]);
  assert.equal(r.scaling.projectedJourneysPerSec, 160);
  assert.equal(r.verdict, 'not ready');
  assert.match(r.reasons[0]!, /20 journeys\/s per payments replica × 8 replicas at most = 160 journeys\/s \(10 replicas would be needed\)/);
  assert.ok(r.notes.includes(`run #${recorded.json.id}: the replicas changed during the run`), r.notes.join('\n'));
  assert.match(formatPeakReadiness(r), /40 journeys\/s with 2 payments replica\(s\)/);
  const limits = await latestWaitingRoomLimits(t.db.pool, policy, 300);
  assert.equal(limits?.runId, recorded.json.id);
  assert.equal(limits?.newUsersPerMinute, Math.floor(160 * 0.75 * 60));

  // A payments-bound run recorded without per-role replicas (before they were kept) is judged by the storefront, and says so
  const old = { ...latest, roleReplicas: null };
  const fallback = judge({ latest: old, peakJourneysPerSec: 200, at: new Date() });
  assert.equal(fallback.scaling.role, 'storefront');
  assert.equal(fallback.scaling.projectedJourneysPerSec, 40 * policy.roles.storefront.maxReplicas);
  assert.ok(fallback.notes.some((n) => /bottleneck is in payments, but it did not record the payments replicas \(recorded before replicas were kept per role\): judged by its 1 storefront replica\(s\) and the storefront's maximum/.test(n)), fallback.notes.join('\n'));

  // Regressions name a change in another role's replicas
  const fewer = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ scenario: 'payments-bound', bottleneck: paymentsBound, sustainableRate: 20, breakingRate: 22, roleReplicas: { storefront: 1, payments: 1 } }) });
  assert.deepEqual(fewer.json.comparison.changed, ['payments replicas 2 → 1']);
});

test('bad input is a 400 with a stable code, never a 5xx', async () => {
  for (const [method, url, body] of [
    ['GET', '/api/ops/capacity/readiness', undefined],
    ['GET', '/api/ops/capacity/readiness?peak=0', undefined],
    ['GET', '/api/ops/capacity/readiness?peak=abc', undefined],
    ['GET', '/api/ops/capacity/readiness?peak=5&at=christmas', undefined],
    // RFC 3339 allows a leap second; a JavaScript Date cannot hold one
    ['GET', '/api/ops/capacity/readiness?peak=5&at=2026-06-30T23:59:60Z', undefined],
    // a day February does not have, which a JavaScript Date would roll over into March
    ['GET', '/api/ops/capacity/readiness?peak=5&at=2026-02-31T18:00:00Z', undefined],
    ['GET', '/api/ops/capacity?limit=0', undefined],
    ['POST', '/api/ops/capacity', { ...run(), replicas: 0 }],
    ['POST', '/api/ops/capacity', { ...run(), scenario: '' }],
    ['POST', '/api/ops/capacity', { ...run(), extra: 1 }],
    ['POST', '/api/ops/capacity', { ...run(), roleReplicas: { payments: 0 } }],
    ['POST', '/api/ops/capacity', { ...run(), roleReplicas: { 'Not A Role': 1 } }],
  ] as const) {
    const r = await t.call(method, url, { admin: true, ...(body ? { body } : {}) });
    assert.equal(r.status, 400, `${method} ${url}: ${r.body}`);
    assert.ok(r.json.error.code, r.body);
  }
  const inconsistent = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ sustainableRate: 10, breakingRate: 5 }) });
  assert.equal(inconsistent.status, 400);
  assert.equal(inconsistent.json.error.code, 'CAPACITY_RUN_INVALID');
  assert.match(JSON.stringify(inconsistent.json.error.details), /breakingRate/);
  const twoCounts = await t.call('POST', '/api/ops/capacity', { admin: true, body: run({ replicas: 2, roleReplicas: { storefront: 3 } }) });
  assert.equal(twoCounts.status, 400);
  assert.match(JSON.stringify(twoCounts.json.error.details), /roleReplicas\/storefront: 3 must equal replicas 2/);
});
