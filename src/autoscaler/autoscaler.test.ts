// The control role's autoscaler over fake sources (no processes, no database): the payments role's
// metrics from the payment load, the decision applied and recorded, the connection budget stopping growth
// and saying so, no supervisor meaning nothing applied, and GET /api/ops/scaling's contract.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../platform/observability/logger.ts';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { Autoscaler, type AutoscalerSources, type PaymentLoadReading, type RoleDecision, type SupervisorView } from './autoscaler.ts';
import { autoscalerRoutes } from './autoscaler-routes.ts';
import { parseScalingPolicy, type ScaledRole, type ScalingPolicy } from './scaling-policy.ts';
import { policyWithCapacityTargets } from './capacity-targets.ts';
import type { SupervisedReplica } from '../platform/process/supervision.ts';

const logger = createLogger({ level: 'silent', service: 'autoscaler-test' });
const routes: RouteTest[] = [];
after(async () => { for (const r of routes) await r.close(); });

function replica(role: string, i: number, atMs: number): SupervisedReplica {
  return { role, replica: `${role}-${i}`, pid: 1000 + i, startedAtMs: atMs - 60_000, readySinceMs: atMs - 50_000, stopping: false, load: undefined };
}

function harness(opts: { load: PaymentLoadReading; maxConnections?: number; supervised?: boolean; intervalMs?: number }) {
  let now = 1_000_000;
  const requested: Record<string, number> = { storefront: 1, payments: 1, psp: 1, control: 1 };
  const applied: [ScaledRole, number][] = [];
  const recorded: [ScaledRole, RoleDecision][] = [];
  const view = (): SupervisorView => ({
    requested: { ...requested },
    replicas: Object.entries(requested).flatMap(([role, n]) => Array.from({ length: n }, (_, i) => replica(role, i, now))),
  });
  const sources: AutoscalerSources = {
    supervisor: () => (opts.supervised === false ? undefined : view()),
    paymentLoad: async () => opts.load,
    maxConnections: async () => opts.maxConnections ?? 1000,
    apply: (role, n) => { applied.push([role, n]); requested[role] = n; return opts.supervised !== false; },
    recordDecision: async (role, d) => { recorded.push([role, d]); },
  };
  const policy = parseScalingPolicy({
    roles: {
      storefront: { minReplicas: 1, maxReplicas: 1 },
      payments: { minReplicas: 1, maxReplicas: 10, metrics: [{ type: 'work-in-flight', targetUtilization: 1 }, { type: 'queue-oldest-age', targetSeconds: 5 }] },
    },
  });
  const autoscaler = new Autoscaler({
    policy, pools: { dbPoolMax: 10, pspDbPoolMax: 10 }, cpus: 2, intervalMs: opts.intervalMs ?? 15_000, logger, now: () => now,
    paymentConcurrencyAt: (latencyMs) => (latencyMs && latencyMs > 1000 ? Math.min(32, Math.ceil(8 * latencyMs / 1000)) : 8),
  }, sources);
  return { autoscaler, applied, recorded, advance: (ms: number) => { now += ms; } };
}

test("payments scale out by Little's law: 24 jobs/s at 2 s need 48 calls in flight, 16 per process at that latency", async () => {
  const h = harness({ load: { arrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 1, unfinishedJobs: 40 } });
  await h.autoscaler.runOnce();
  // 48 in flight / 16 per process = 3; the scale-up policies allow max(100%, 4 pods) per 15 s from 1: 4.
  assert.deepEqual(h.applied, [['payments', 3]]);
  const [[role, d]] = h.recorded as [[ScaledRole, RoleDecision]];
  assert.equal(role, 'payments');
  assert.equal(d.direction, 'up');
  assert.equal(d.applied, true);
  const status = h.autoscaler.status().roles.find((r) => r.role === 'payments')!;
  assert.equal(status.desired, 3);
  assert.equal(status.current, 3);
  assert.deepEqual(status.metrics.map((m) => [m.name, m.current, m.replicas]), [['work-in-flight', 48, 3], ['queue-oldest-age', 1, 1]]);
  assert.equal(status.limitedBy?.reason, 'metrics');
});

test('the first run into a surge scales out on the recent arrival rate, while the long window still holds the quiet before it', async () => {
  // 5 s into 24 jobs/s after a quiet spell: the 30 s window reads 4/s (8 calls in flight: one process is
  // enough), the 5 s window 24/s (48 calls: three processes of 16).
  const h = harness({ load: { arrivalsPerSecond: 4, recentArrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 3, unfinishedJobs: 60 } });
  await h.autoscaler.runOnce();
  assert.deepEqual(h.applied, [['payments', 3]]);
  const metrics = h.autoscaler.status().roles.find((r) => r.role === 'payments')!.metrics;
  assert.deepEqual(metrics.map((m) => [m.name, m.current, m.replicas]), [['work-in-flight', 48, 3], ['queue-oldest-age', 3, 1]]);
});

test('running every 5 s instead of 15 s, scale-up still keeps the policies: max(100%, 4 pods) per 15 s', async () => {
  // 80 jobs/s at 2 s: 160 calls in flight, ten processes of 16.
  const h = harness({ load: { arrivalsPerSecond: 80, recentArrivalsPerSecond: 80, providerLatencySeconds: 2, oldestJobAgeSeconds: 1, unfinishedJobs: 400 }, intervalMs: 5_000 });
  await h.autoscaler.runOnce();
  assert.deepEqual(h.applied, [['payments', 5]], '1 + 4 pods at once');
  for (const t of [5_000, 10_000]) {
    h.advance(5_000);
    await h.autoscaler.runOnce();
    assert.deepEqual(h.applied, [['payments', 5]], `held by the policy ${t / 1000} s in`);
    assert.equal(h.autoscaler.status().roles.find((r) => r.role === 'payments')!.limitedBy?.reason, 'scale-up-policy');
  }
  h.advance(5_000);
  await h.autoscaler.runOnce();
  assert.deepEqual(h.applied, [['payments', 5], ['payments', 10]], '15 s on: 100% more');
});

test('a run before the supervisor has reported its replicas decides nothing', async () => {
  const waiting = new Autoscaler({
    policy: parseScalingPolicy({}), pools: { dbPoolMax: 10, pspDbPoolMax: 10 }, cpus: 2, intervalMs: 15_000, logger, paymentConcurrencyAt: () => 8,
  }, {
    supervisor: () => ({ replicas: [], requested: {} }), notYet: () => 'no report yet',
    paymentLoad: async () => { throw new Error('not to be read'); }, maxConnections: async () => { throw new Error('not to be read'); },
    apply: () => { throw new Error('nothing to apply'); }, recordDecision: async () => { throw new Error('nothing to record'); },
  });
  await waiting.runOnce();
  assert.equal(waiting.status().lastRunAt, null);
});

test('the connection budget stops growth and says so', async () => {
  // Budget 115 - 10 = 105; storefront 15 + psp 21 + control 14 + payments 25 each (main pool, the workers'
  // own, queue, fault listener): room for two payments processes.
  const h = harness({ load: { arrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 30, unfinishedJobs: 400 }, maxConnections: 115 });
  await h.autoscaler.runOnce();
  assert.deepEqual(h.applied, [['payments', 2]]);
  const status = h.autoscaler.status();
  const payments = status.roles.find((r) => r.role === 'payments')!;
  assert.equal(payments.limitedBy?.reason, 'connection-budget');
  assert.match(payments.limitedBy!.message, /fit the database connection budget/);
  assert.deepEqual(status.connectionBudget && { max: status.connectionBudget.maxConnections, budget: status.connectionBudget.budget }, { max: 115, budget: 105 });
});

test('without a supervisor the autoscaler decides and explains, and applies nothing', async () => {
  const h = harness({ load: { arrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 1, unfinishedJobs: 40 }, supervised: false });
  await h.autoscaler.runOnce();
  const [[, d]] = h.recorded as [[ScaledRole, RoleDecision]];
  assert.equal(d.applied, false);
  const payments = h.autoscaler.status().roles.find((r) => r.role === 'payments')!;
  assert.equal(payments.current, 1, 'still one process');
  assert.equal(payments.desired, 3);
  assert.equal(h.autoscaler.status().supervised, false);
});

test('an idle queue scales back in only after the scale-down window (300 s by default)', async () => {
  const load: PaymentLoadReading = { arrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 1, unfinishedJobs: 40 };
  const h = harness({ load });
  await h.autoscaler.runOnce();
  Object.assign(load, { arrivalsPerSecond: 0, providerLatencySeconds: null, oldestJobAgeSeconds: 0, unfinishedJobs: 0 });
  for (let t = 15_000; t < 300_000; t += 15_000) {
    h.advance(15_000);
    await h.autoscaler.runOnce();
  }
  assert.deepEqual(h.applied, [['payments', 3]], 'held within the window');
  assert.equal(h.autoscaler.status().roles.find((r) => r.role === 'payments')!.limitedBy?.reason, 'scale-down-stabilization');
  h.advance(15_000);
  await h.autoscaler.runOnce();
  assert.deepEqual(h.applied.at(-1), ['payments', 1]);
});

/** An autoscaler over two storefront replicas reporting these loads (payments not autoscaled), and what it applies. */
function storefrontHarness(policy: ScalingPolicy, loads: Pick<NonNullable<SupervisedReplica['load']>, 'requestsInFlight' | 'requestsPerSecond'>[]) {
  const now = 5_000_000;
  const replicas = loads.map((l, i): SupervisedReplica => ({
    ...replica('storefront', i, now), load: { eventLoopUtilization: 0.2, cpuCores: 0.2, ...l, atMs: now - 500, windowMs: 1000 },
  }));
  const applied: [ScaledRole, number][] = [];
  const autoscaler = new Autoscaler({
    policy, pools: { dbPoolMax: 10, pspDbPoolMax: 10 }, cpus: 8, intervalMs: 15_000, logger, now: () => now, paymentConcurrencyAt: () => 8,
  }, {
    supervisor: () => ({ requested: { storefront: replicas.length, payments: 1, psp: 1, control: 1 }, replicas }),
    paymentLoad: async () => { throw new Error('not read: payments is not autoscaled'); },
    maxConnections: async () => 1000,
    apply: (role, n) => { applied.push([role, n]); return true; },
    recordDecision: async () => {},
  });
  return { autoscaler, applied };
}

test('storefront replicas scale on the requests in flight each reports (a Pods metric averaged over the ready replicas)', async () => {
  const { autoscaler, applied } = storefrontHarness(
    parseScalingPolicy({ roles: { storefront: { minReplicas: 1, maxReplicas: 8, metrics: [{ type: 'request-concurrency', targetAverageValue: 10 }] }, payments: { maxReplicas: 1 } } }),
    [{ requestsInFlight: 25, requestsPerSecond: 0 }, { requestsInFlight: 35, requestsPerSecond: 0 }],
  );
  await autoscaler.runOnce();
  // 60 requests in flight over 2 replicas against 10 each: ceil(2 x 30 / 10) = 6.
  assert.deepEqual(applied, [['storefront', 6]]);
  const status = autoscaler.status().roles.find((r) => r.role === 'storefront')!;
  assert.deepEqual(status.metrics.map((m) => [m.name, m.current, m.replicas]), [['request-concurrency', 30, 6]]);
});

test('GET /api/ops/scaling: 401 without the admin token; the roles with their metrics, limits and decisions with it', async () => {
  const h = harness({ load: { arrivalsPerSecond: 24, providerLatencySeconds: 2, oldestJobAgeSeconds: 1, unfinishedJobs: 40 } });
  await h.autoscaler.runOnce();
  const t = await routeTest((app, { adminTokenSha256 }) => autoscalerRoutes(app, () => h.autoscaler.status(), adminTokenSha256));
  routes.push(t);
  const denied = await t.call('GET', '/api/ops/scaling');
  assert.equal(denied.status, 401);
  assert.equal(denied.json.error.code, 'UNAUTHORIZED');
  const res = await t.call('GET', '/api/ops/scaling', { admin: true });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.deepEqual(res.json.roles.map((r: { role: string }) => r.role), ['storefront', 'payments', 'psp', 'control']);
  const payments = res.json.roles[1];
  for (const key of ['role', 'current', 'desired', 'min', 'max', 'metrics', 'limitedBy', 'decisions']) assert.ok(key in payments, key);
  assert.equal(payments.decisions[0].direction, 'up');
  assert.match(payments.decisions[0].at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(payments.metrics[0].name, 'work-in-flight');
});

test('with targets from the measured capacity, storefront replicas scale on the requests per second each receives against the measured target', async () => {
  const policy = parseScalingPolicy({ roles: { storefront: { minReplicas: 1, maxReplicas: 8 }, payments: { maxReplicas: 1 } } });
  const { autoscaler, applied } = storefrontHarness(policy, [{ requestsInFlight: 1, requestsPerSecond: 100 }, { requestsInFlight: 1, requestsPerSecond: 80 }]);
  await autoscaler.runOnce();
  assert.deepEqual(applied, [], 'CPU and event loop at 20%: the configured targets keep 2 replicas');
  assert.equal(autoscaler.status().targetsFromCapacity, null);

  const { policy: measured, targets } = policyWithCapacityTargets(policy, {
    runId: 3, recordedAt: '2026-12-01T03:00:00.000Z', role: 'storefront', bottleneck: null, requestsPerSecondPerReplica: 90,
  }, 0.7);
  autoscaler.useTargets(measured, targets);
  await autoscaler.runOnce();
  // 90 requests/s per replica on average over 2 replicas against 63 each: ceil(2 x 90 / 63) = 3.
  assert.deepEqual(applied, [['storefront', 3]]);
  const status = autoscaler.status();
  assert.deepEqual(status.targetsFromCapacity, targets);
  const rate = status.roles.find((r) => r.role === 'storefront')!.metrics.find((m) => m.name === 'request-rate')!;
  assert.deepEqual([rate.target, rate.current, rate.replicas], [{ type: 'AverageValue', averageValue: 63 }, 90, 3]);
});
