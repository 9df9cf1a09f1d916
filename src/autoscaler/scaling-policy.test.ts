// The scaling policy: its defaults, a file in YAML or JSON, every problem listed at once, KEDA's cron window
// semantics, and the database connection budget.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../platform/config/config.ts';
import {
  connectionBudget, connectionsPerReplica, cpuQuantityCores, defaultScalingPolicy, loadScalingPolicy, localMaxReplicas,
  parseScalingPolicy, roleBehavior, scalingPolicyProblems, scheduleActive, scheduleMetrics,
} from './scaling-policy.ts';
import { computeScale, emptyHistory, recordScale, type ReplicaObservation } from './hpa-algorithm.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-scaling-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

test('the built-in policy: storefront on CPU and event-loop utilisation up to the cores, payments on the work in flight and the queue age, psp and control at one replica, the HPA behavior defaults', () => {
  const p = defaultScalingPolicy();
  assert.deepEqual(p.roles.storefront.metrics, [{ type: 'cpu', targetAverageUtilization: 70 }, { type: 'event-loop', targetAverageUtilization: 70 }]);
  assert.equal(p.roles.storefront.localMaxReplicas, 'cpus');
  assert.deepEqual(p.roles.payments.metrics, [{ type: 'work-in-flight', targetUtilization: 0.8 }, { type: 'queue-oldest-age', targetSeconds: 5 }]);
  assert.deepEqual([p.roles.psp.maxReplicas, p.roles.control.maxReplicas], [1, 1]);
  assert.deepEqual(roleBehavior(p.roles.payments).scaleDown, { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  assert.equal(p.database.reserve, 10);
  assert.equal(p.database.maxConnections, undefined);
  assert.deepEqual(scalingPolicyProblems({}), []);
});

test('a policy file in YAML (or JSON) is read with its defaults filled in', () => {
  const yaml = file('policy.yaml', `
roles:
  payments:
    minReplicas: 2
    maxReplicas: 12
    metrics:
      - type: work-in-flight
      - type: queue-oldest-age
        targetSeconds: 10
    behavior:
      scaleDown:
        stabilizationWindowSeconds: 120
    schedules:
      - name: black-friday
        start: "0 6 27 11 *"
        end: "0 23 27 11 *"
        timezone: Europe/Paris
        minReplicas: 6
database:
  maxConnections: 400
  reserve: 20
`);
  const p = loadScalingPolicy(yaml);
  assert.equal(p.roles.payments.maxReplicas, 12);
  assert.deepEqual(p.roles.payments.metrics[0], { type: 'work-in-flight', targetUtilization: 0.8 });
  assert.equal(roleBehavior(p.roles.payments).scaleDown.stabilizationWindowSeconds, 120);
  assert.deepEqual(roleBehavior(p.roles.payments).scaleUp.policies.length, 2, 'the scale-up defaults are kept');
  assert.equal(p.roles.storefront.maxReplicas, 8, 'roles not mentioned keep the built-in policy');
  const json = loadScalingPolicy(file('policy.json', JSON.stringify({ roles: { storefront: { maxReplicas: 3 } } })));
  assert.equal(json.roles.storefront.maxReplicas, 3);
  assert.match(problemsOf(() => loadScalingPolicy(file('broken.yaml', 'roles: [1, 2')))[0]!, /scaling policy \(in .*broken\.yaml\)/);
  assert.match(problemsOf(() => loadScalingPolicy(file('list.yaml', '- 1')))[0]!, /must be an object/);
});

test('every problem of a policy is listed at once, named by its place: the schema\'s and what the schema cannot say', () => {
  const problems = problemsOf(() => parseScalingPolicy({
    roles: {
      storefront: { minReplicas: 0, maxReplicas: 'many', metrics: [{ type: 'cpu', targetAverageUtilization: 70, extra: 1 }], behavior: { scaleUp: { selectPolicy: 'Fastest', policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] } } },
      payments: {
        minReplicas: 4, maxReplicas: 3, metrics: [{ type: 'request-concurrency', targetAverageValue: 8 }, { type: 'queue-depth', targetPerReplica: 10 }, { type: 'queue-depth', targetPerReplica: 5 }],
        schedules: [
          { name: 'peak', start: '0 6 * * *', end: '0 6 * * *', timezone: 'Atlantis/Capital', minReplicas: 9 },
          { name: 'peak', start: '0 0 6 * * *', end: '99 6 * * *', timezone: 'UTC', minReplicas: 2 },
        ],
      },
      control: { maxReplicas: 2 },
    },
    database: { reserve: -1 },
  }, { source: 'scaling.yaml' }));
  const expected = [
    /^roles\.storefront\.minReplicas: must be >= 1, got 0 \(in scaling\.yaml\)$/,
    /^roles\.storefront\.maxReplicas: .*got "many"/,
    /^roles\.storefront\.metrics\[0\]: unknown key "extra"/,
    /^roles\.storefront\.behavior\.scaleUp\.selectPolicy: must be one of "Max", "Min", "Disabled", got "Fastest"/,
    /^roles\.storefront\.behavior\.scaleUp\.policies\[0\]\.value: must be >= 1, got 0/,
    /^roles\.storefront\.behavior\.scaleUp\.policies\[0\]\.periodSeconds: must be <= 1800, got 1801/,
    /^database\.reserve: must be >= 0, got -1/,
    /^roles\.payments\.minReplicas: 4 is above maxReplicas 3/,
    /^roles\.payments\.metrics\[0\]\.type: "request-concurrency" is not a metric of the payments role/,
    /^roles\.payments\.metrics\[2\]\.type: "queue-depth" is listed twice/,
    /^roles\.payments\.schedules\[0\]\.timezone: unknown timezone "Atlantis\/Capital"/,
    /^roles\.payments\.schedules\[0\]\.end: must differ from start/,
    /^roles\.payments\.schedules\[0\]\.minReplicas: 9 is above the role's maxReplicas 3/,
    /^roles\.payments\.schedules\[1\]\.name: "peak" is already the name of schedules\[0\]/,
    /^roles\.payments\.schedules\[1\]\.start: must have five fields/,
    /^roles\.payments\.schedules\[1\]\.end: not a cron expression/,
    /^roles\.control\.maxReplicas: the control role runs one replica, got 2/,
    /^roles\.control\.metrics: a role scaled between 1 and 2 replicas needs at least one metric/,
  ];
  for (const re of expected) assert.ok(problems.some((p) => re.test(p)), `${re} among:\n${problems.join('\n')}`);
  assert.equal(problems.length, expected.length, problems.join('\n'));
});

test('the roles\' minimum replicas must fit the connection budget: max_connections minus the reserve', () => {
  const p = defaultScalingPolicy();
  // storefront: main pool 10 + queue pool 4 + fault listener 1; payments: the same plus the payment
  // workers' own pool (rolePool('payments'), dbPoolMax: 10); psp: 10 + ledger 10 + 1; control: 10 + 4.
  assert.deepEqual(['storefront', 'payments', 'psp', 'control'].map((r) => connectionsPerReplica(p, r as 'psp')), [15, 25, 21, 14]);
  assert.equal(connectionsPerReplica(p, 'payments', { dbPoolMax: 20, pspDbPoolMax: 5 }), 45);
  assert.equal(connectionsPerReplica(parseScalingPolicy({ roles: { payments: { connectionsPerReplica: 7 } } }), 'payments'), 7);
  assert.deepEqual(scalingPolicyProblems({ database: { maxConnections: 85 } }), []);
  const [problem] = scalingPolicyProblems({ database: { maxConnections: 84 } });
  assert.match(problem!, /^database\.maxConnections: the roles' minimum replicas need 75 connections \(storefront 1 x 15, payments 1 x 25, psp 1 x 21, control 1 x 14\), more than max_connections 84 - reserve 10$/);
  assert.match(scalingPolicyProblems({ database: { maxConnections: 10 } })[0]!, /database\.reserve: 10 leaves nothing/);
});

test('connectionBudget caps growth at what fits and says so; replicas already running and scale-downs are never refused', () => {
  const r = connectionBudget({
    maxConnections: 100, reserve: 10,
    roles: [
      { role: 'storefront', currentReplicas: 2, desiredReplicas: 1, connectionsPerReplica: 15 },
      { role: 'payments', currentReplicas: 1, desiredReplicas: 8, connectionsPerReplica: 15 },
      { role: 'psp', currentReplicas: 1, desiredReplicas: 1, connectionsPerReplica: 21 },
      { role: 'control', currentReplicas: 1, desiredReplicas: 1, connectionsPerReplica: 14 },
    ],
  });
  // Kept: 15 + 15 + 21 + 14 = 65 of 90; 25 left: one more payments replica (15), not two.
  const payments = r.roles[1]!;
  assert.equal(payments.desiredReplicas, 2);
  assert.equal(payments.wantedReplicas, 8);
  assert.equal(payments.limitedBy?.reason, 'connection-budget');
  assert.match(payments.limitedBy!.message, /8 payments replicas wanted, 2 fit the database connection budget: max_connections 100 - reserve 10 = 90, 80 in use with these, 15 per payments replica/);
  assert.equal(r.roles[0]!.desiredReplicas, 1, 'a scale-down goes through');
  assert.equal(r.roles[0]!.limitedBy, undefined);
  assert.deepEqual([r.budget, r.used], [90, 80]);
  // Over budget already (a smaller server than the replicas running): nothing is stopped, nothing added.
  const over = connectionBudget({ maxConnections: 40, reserve: 10, roles: [{ role: 'payments', currentReplicas: 3, desiredReplicas: 4, connectionsPerReplica: 15 }] });
  assert.equal(over.roles[0]!.desiredReplicas, 3);
  // Growth is granted in the order given.
  const order = connectionBudget({ maxConnections: 60, reserve: 0, roles: [
    { role: 'payments', currentReplicas: 1, desiredReplicas: 3, connectionsPerReplica: 15 },
    { role: 'storefront', currentReplicas: 1, desiredReplicas: 3, connectionsPerReplica: 15 },
  ] });
  assert.deepEqual(order.roles.map((x) => x.desiredReplicas), [3, 1]);
});

test('KEDA\'s cron window: open from its start until its end, in its timezone; as a metric it holds the replicas as a floor that still goes through the scaling policies', () => {
  const peak = { name: 'evening', start: '0 18 * * *', end: '0 22 * * *', timezone: 'Europe/Paris', minReplicas: 6 };
  // 18:00 Paris in November is 17:00 UTC.
  assert.equal(scheduleActive(peak, Date.parse('2026-11-27T16:59:59Z')), false);
  assert.equal(scheduleActive(peak, Date.parse('2026-11-27T17:00:00Z')), true);
  assert.equal(scheduleActive(peak, Date.parse('2026-11-27T20:59:59Z')), true);
  assert.equal(scheduleActive(peak, Date.parse('2026-11-27T21:00:00Z')), false);
  // In July (UTC+2) the same window opens at 16:00 UTC.
  assert.equal(scheduleActive(peak, Date.parse('2026-07-10T16:00:00Z')), true);
  // A window across midnight.
  const night = { start: '0 22 * * *', end: '0 6 * * *', timezone: 'UTC' };
  assert.equal(scheduleActive(night, Date.parse('2026-11-27T23:30:00Z')), true);
  assert.equal(scheduleActive(night, Date.parse('2026-11-27T12:00:00Z')), false);

  const role = { schedules: [peak] };
  const inside = Date.parse('2026-11-27T17:00:00Z');
  assert.deepEqual(scheduleMetrics(role, inside), [{ name: 'schedule-evening', source: 'External', target: { type: 'AverageValue', averageValue: 1 }, value: 6 }]);
  assert.equal(scheduleMetrics(role, Date.parse('2026-11-27T12:00:00Z'))[0]!.value, 1);

  // Through the HPA: from 1 replica, the window's 6 are reached in one step of the default scale-up policy
  // (1 + 4 pods = 5, then 10 allowed): 5 at the window's start, 6 fifteen seconds later.
  const p = parseScalingPolicy({ roles: { payments: { schedules: [peak] } } });
  const behavior = roleBehavior(p.roles.payments);
  let current = 1;
  let history = emptyHistory();
  const seen: number[] = [];
  for (const offset of [0, 15_000]) {
    const nowMs = inside + offset;
    const replicas: ReplicaObservation[] = Array.from({ length: current }, (_, i) => ({ name: `p${i}`, phase: 'Running', ready: { status: true, sinceMs: 0 }, startedAtMs: 0 }));
    const r = computeScale({ nowMs, spec: { minReplicas: 1, maxReplicas: 8, behavior }, currentReplicas: current, replicas, metrics: scheduleMetrics(p.roles.payments, nowMs), history });
    history = recordScale(r.history, behavior, current, r.decision.desiredReplicas, nowMs);
    current = r.decision.desiredReplicas;
    seen.push(current);
  }
  assert.deepEqual(seen, [5, 6]);
});

test('on one machine a role stops at its localMaxReplicas (storefront: the CPU cores), within its bounds', () => {
  const p = defaultScalingPolicy();
  assert.equal(localMaxReplicas(p.roles.storefront, 2), 2);
  assert.equal(localMaxReplicas(p.roles.storefront, 64), 8, 'never above maxReplicas');
  assert.equal(localMaxReplicas(p.roles.payments, 2), 8, 'payments wait on the provider, not the CPU: no cap by cores');
  assert.equal(localMaxReplicas(parseScalingPolicy({ roles: { storefront: { minReplicas: 3 } } }).roles.storefront, 2), 3, 'never below minReplicas');
  assert.deepEqual(['1', '500m', '0.25', '2'].map(cpuQuantityCores), [1, 0.5, 0.25, 2]);
});

test('the example policy in docs/scaling.md is a valid policy and says what it shows', () => {
  const doc = readFileSync(path.join(import.meta.dirname, '../../docs/scaling.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## The scaling policy'));
  const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(example, 'a yaml block in "The scaling policy"');
  const p = loadScalingPolicy(file('docs-example.yaml', example));
  assert.deepEqual([p.roles.storefront.minReplicas, p.roles.storefront.maxReplicas, p.roles.payments.maxReplicas], [2, 12, 10]);
  assert.equal(p.roles.storefront.metrics.length, 3);
  assert.equal(p.roles.payments.schedules[0]!.timezone, 'Europe/Paris');
  assert.deepEqual(roleBehavior(p.roles.storefront).scaleDown.policies, [{ type: 'Percent', value: 50, periodSeconds: 60 }]);
  assert.equal(p.database.maxConnections, 200);
});
