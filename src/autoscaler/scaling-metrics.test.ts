// The metric calculators: raw readings in, HPA metrics out, and what the HPA makes of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpuCoresBetween, cpuUtilizationMetric, eventLoopUtilizationMetric, queueDepthMetric, queueOldestAgeMetric,
  requestConcurrencyMetric, scalingArrivalRate, workInFlightMetric,
} from './scaling-metrics.ts';
import { computeScale, emptyHistory, resolveBehavior, type MetricObservation, type ReplicaObservation } from './hpa-algorithm.ts';

const ready = (n: number): ReplicaObservation[] => Array.from({ length: n }, (_, i) => ({ name: `r${i}`, phase: 'Running', ready: { status: true, sinceMs: -3_600_000 }, startedAtMs: -3_600_000 }));
const decide = (current: number, metrics: MetricObservation[], max = 20) =>
  computeScale({ nowMs: 0, spec: { minReplicas: 1, maxReplicas: max, behavior: resolveBehavior() }, currentReplicas: current, replicas: ready(current), metrics, history: emptyHistory() }).decision;

test("the work in flight by Little's law: 24 payment jobs/s x 2.5 s of provider latency = 60 calls in flight; at 8 per process filled to 80%, 10 processes", () => {
  const m = workInFlightMetric({ arrivalRatePerSecond: 24, providerLatencySeconds: 2.5, concurrencyPerReplica: 8, targetUtilization: 0.8 });
  assert.ok('value' in m);
  assert.equal(m.value, 60);
  assert.deepEqual(m.target, { type: 'AverageValue', averageValue: 6.4 });
  // From 1 process the scale-up policy allows 5 now (1 + 4 pods); from 5, ten (100%).
  assert.equal(decide(1, [m]).desiredReplicas, 5);
  assert.equal(decide(5, [m]).desiredReplicas, 10);
  assert.equal(decide(10, [m]).desiredReplicas, 10, '60 / (6.4 x 10) = 0.94: within tolerance');
  // No rate or no latency known: the metric is unavailable (it cannot be computed), not zero.
  const none = workInFlightMetric({ arrivalRatePerSecond: Number.NaN, providerLatencySeconds: 2, concurrencyPerReplica: 8 });
  assert.ok('unavailable' in none);
  assert.equal(decide(4, [none]).limitedBy.reason, 'invalid-metrics');
});

test('the queue\'s oldest job age against its target scales with the ready replicas; the depth divides by the jobs per replica', () => {
  const age = queueOldestAgeMetric({ oldestAgeSeconds: 15, targetSeconds: 5 });
  assert.deepEqual(age.target, { type: 'Value', value: 5 });
  assert.equal(decide(2, [age]).desiredReplicas, 6);
  assert.equal(decide(2, [queueOldestAgeMetric({ oldestAgeSeconds: 5.4, targetSeconds: 5 })]).desiredReplicas, 2, 'ratio 1.08: within tolerance');
  assert.equal(decide(2, [queueDepthMetric({ jobs: 90, targetPerReplica: 10 })]).desiredReplicas, 6, 'ceil(90 / 10) = 9, 6 allowed from 2');
});

test('CPU utilisation per process: cores used between two process.cpuUsage() samples, as a % of the CPU request', () => {
  assert.equal(cpuCoresBetween({ cpuMicros: 1_000_000, atMs: 0 }, { cpuMicros: 1_900_000, atMs: 1000 }), 0.9);
  assert.ok(Number.isNaN(cpuCoresBetween({ cpuMicros: 0, atMs: 5 }, { cpuMicros: 10, atMs: 5 })));
  // Two processes at 0.45 cores each with half a core requested: 90% against a 60% target -> 3.
  const m = cpuUtilizationMetric({ targetAverageUtilization: 60, requestCores: 0.5, readings: [{ replica: 'r0', value: 0.45 }, { replica: 'r1', value: 0.45 }] });
  const d = decide(2, [m]);
  assert.equal(d.metrics[0]!.current, 90);
  assert.equal(d.desiredReplicas, 3);
});

test('event-loop utilisation and request concurrency are per-process averages against their targets', () => {
  const elu = eventLoopUtilizationMetric({ targetAverageUtilization: 70, readings: [{ replica: 'r0', value: 0.95 }, { replica: 'r1', value: 0.91 }] });
  assert.deepEqual(elu.target, { type: 'AverageValue', averageValue: 0.7 });
  assert.equal(decide(2, [elu]).desiredReplicas, 3, '0.93 / 0.7 = 1.33 -> ceil(2.66)');
  const conc = requestConcurrencyMetric({ targetAverageValue: 20, readings: [{ replica: 'r0', value: 50 }, { replica: 'r1', value: 30 }] });
  assert.equal(decide(2, [conc]).desiredReplicas, 4);
  assert.equal(decide(2, [elu, conc]).limitedBy.metric, 'request-concurrency', 'the larger proposal wins');
});

test('the arrival rate rises with the recent window and falls with the long one', () => {
  // 5 s into a surge of 24 jobs/s after a quiet spell: the 30 s window reads 4/s, the 5 s window 24/s.
  assert.equal(scalingArrivalRate({ longWindowPerSecond: 4, recentWindowPerSecond: 24 }), 24);
  // A lull of a few seconds after a busy half-minute: the long window's rate holds.
  assert.equal(scalingArrivalRate({ longWindowPerSecond: 20, recentWindowPerSecond: 2 }), 20);
  // No recent reading: the long window's.
  assert.equal(scalingArrivalRate({ longWindowPerSecond: 7 }), 7);
  assert.equal(scalingArrivalRate({ longWindowPerSecond: 7, recentWindowPerSecond: Number.NaN }), 7);
  // What the HPA makes of it at 2 s per call and 16 per process: 48 calls in flight, 3 processes, not 1.
  const rising = workInFlightMetric({ arrivalRatePerSecond: scalingArrivalRate({ longWindowPerSecond: 4, recentWindowPerSecond: 24 }), providerLatencySeconds: 2, concurrencyPerReplica: 16 });
  assert.equal(decide(1, [rising]).desiredReplicas, 3);
  const lagging = workInFlightMetric({ arrivalRatePerSecond: 4, providerLatencySeconds: 2, concurrencyPerReplica: 16 });
  assert.equal(decide(1, [lagging]).desiredReplicas, 1);
});
