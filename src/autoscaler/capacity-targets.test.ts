// The storefront's request-rate target from the measured capacity: what one replica sustained times the
// headroom, replacing a hand-set request-rate target or added beside the policy's others; the policy as it
// is, and why, when no run is usable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScalingPolicy } from './scaling-policy.ts';
import { policyWithCapacityTargets, type MeasuredCapacity } from './capacity-targets.ts';

const measured = (over: Partial<MeasuredCapacity> = {}): MeasuredCapacity => ({
  runId: 4, recordedAt: '2026-12-01T03:00:00.000Z', role: 'storefront', bottleneck: 'storefront: CPU saturated (0.95 cores busy)',
  requestsPerSecondPerReplica: 90, ...over,
});

test('the target is the rate per replica the run sustained times the headroom, beside the policy\'s CPU and event-loop targets', () => {
  const policy = parseScalingPolicy({});
  const { policy: effective, targets } = policyWithCapacityTargets(policy, measured(), 0.7);
  assert.deepEqual(effective.roles.storefront.metrics, [...policy.roles.storefront.metrics, { type: 'request-rate', targetAverageValue: 63 }]);
  assert.equal(targets.applied, true);
  assert.equal(targets.targetAverageValue, 63);
  assert.equal(targets.message, 'storefront request-rate target 63 requests/s per replica: 90 sustained per replica in capacity run #4 (recorded 2026-12-01T03:00:00.000Z) × headroom 0.7');
  assert.deepEqual(effective.roles.payments, policy.roles.payments, 'other roles as configured');
  assert.equal(policy.roles.storefront.metrics.length, 2, 'the configured policy is left as it was');
});

test('a hand-set request-rate target is replaced by the measured one', () => {
  const policy = parseScalingPolicy({ roles: { storefront: { metrics: [{ type: 'request-rate', targetAverageValue: 500 }, { type: 'cpu', targetAverageUtilization: 80 }] } } });
  const { policy: effective } = policyWithCapacityTargets(policy, measured({ requestsPerSecondPerReplica: 41.5 }), 0.5);
  assert.deepEqual(effective.roles.storefront.metrics, [{ type: 'request-rate', targetAverageValue: 20.75 }, { type: 'cpu', targetAverageUtilization: 80 }]);
});

test('no usable run: the policy as configured, and the reason', () => {
  const policy = parseScalingPolicy({});
  const cases: [MeasuredCapacity | null, RegExp][] = [
    [null, /^no capacity run is recorded \(holdfast loadtest capacity --record\): the scaling policy's targets apply$/],
    [measured({ requestsPerSecondPerReplica: null }), /^capacity run #4 found no sustainable rate/],
    [measured({ role: 'payments', bottleneck: 'payments: bulkhead full' }), /^capacity run #4 was limited by payments \(payments: bulkhead full\), so its rate per storefront replica is not what a storefront replica sustains: the scaling policy's targets apply$/],
  ];
  for (const [m, why] of cases) {
    const { policy: effective, targets } = policyWithCapacityTargets(policy, m, 0.7);
    assert.equal(effective, policy);
    assert.equal(targets.applied, false);
    assert.equal(targets.targetAverageValue, null);
    assert.match(targets.message, why);
  }
});
