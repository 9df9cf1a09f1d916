// The HPA's documented behaviour, reproduced. Each test quotes the sentence of the Kubernetes documentation
// ("Horizontal Pod Autoscaling", kubernetes/website content/en/docs/concepts/workloads/autoscaling/
// horizontal-pod-autoscale.md) or of the autoscaling/v2 API reference it checks; where the documentation is
// vague, the controller's rule (pkg/controller/podautoscaler) it follows is named instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computeScale, recordScale, resolveBehavior, emptyHistory, scaleUpLimit, withinTolerance,
  type MetricObservation, type ReplicaObservation, type ScaleSpec, type ScalingDecision, type ScalingHistory, type PartialBehavior,
} from './hpa-algorithm.ts';

const LONG_AGO = -3_600_000;
const readyReplica = (name: string): ReplicaObservation => ({ name, phase: 'Running', ready: { status: true, sinceMs: LONG_AGO }, startedAtMs: LONG_AGO });
const names = (n: number) => Array.from({ length: n }, (_, i) => `r${i}`);
const replicas = (n: number) => names(n).map(readyReplica);

/** A Pods AverageValue metric with one reading per name. */
function pods(values: Record<string, number>, averageValue: number, name = 'concurrency'): MetricObservation {
  return { name, source: 'Pods', target: { type: 'AverageValue', averageValue }, readings: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])) };
}
/** A CPU Utilization metric: readings in cores, request one core per replica. */
function cpu(values: Record<string, number>, averageUtilization: number): MetricObservation {
  return { name: 'cpu', source: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization }, requestPerReplica: 1, readings: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }])) };
}
const each = (n: number, value: number) => Object.fromEntries(names(n).map((k) => [k, value]));

function spec(min: number, max: number, behavior: PartialBehavior = {}): ScaleSpec {
  return { minReplicas: min, maxReplicas: max, behavior: resolveBehavior(behavior) };
}

function once(s: ScaleSpec, current: number, metrics: MetricObservation[], opts: { replicas?: ReplicaObservation[]; history?: ScalingHistory; nowMs?: number } = {}): ScalingDecision {
  return computeScale({ nowMs: opts.nowMs ?? 0, spec: s, currentReplicas: current, replicas: opts.replicas ?? replicas(current), metrics, history: opts.history ?? emptyHistory() }).decision;
}

/**
 * An autoscaler run every `periodSeconds` against a load spread evenly over the replicas: `load(t)` is the
 * total (requests in flight, say), each replica reads load / replicas, the target is `target` per replica.
 */
function simulate(s: ScaleSpec, start: number, target: number, load: (seconds: number) => number, until: number, every = 15) {
  let current = start;
  let history = emptyHistory();
  const trace: { t: number; replicas: number; decision: ScalingDecision }[] = [];
  for (let t = 0; t <= until; t += every) {
    const nowMs = t * 1000;
    const perReplica = load(t) / current;
    const r = computeScale({ nowMs, spec: s, currentReplicas: current, replicas: replicas(current), metrics: [pods(each(current, perReplica), target)], history });
    history = recordScale(r.history, s.behavior, current, r.decision.desiredReplicas, nowMs);
    current = r.decision.desiredReplicas;
    trace.push({ t, replicas: current, decision: r.decision });
  }
  return trace;
}
const at = (trace: ReturnType<typeof simulate>, t: number) => trace.find((x) => x.t === t)!;

// ---------------------------------------------------------------------------------------------------------

test('"if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled"; "If the current value is instead 50m, you\'ll halve the number of replicas"', () => {
  assert.equal(once(spec(1, 10), 2, [pods(each(2, 0.2), 0.1)]).desiredReplicas, 4);
  const noWindow = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0 } });
  assert.equal(once(noWindow, 4, [pods(each(4, 0.05), 0.1)]).desiredReplicas, 2);
  // desiredReplicas = ceil(currentReplicas x currentMetricValue / desiredMetricValue): 3 x 1.5 = 4.5 -> 5
  assert.equal(once(spec(1, 10), 3, [pods(each(3, 1.5), 1)]).desiredReplicas, 5);
});

test('"The control plane skips any scaling action if the ratio is sufficiently close to 1.0 (within a configurable tolerance, 0.1 by default)"', () => {
  // CPU at 55% of a 50% target: ratio 1.1, within tolerance: no change; 56%: ratio 1.12, scale up.
  const within = once(spec(1, 10), 4, [cpu(each(4, 0.55), 50)]);
  assert.equal(within.desiredReplicas, 4);
  assert.match(within.metrics[0]!.note ?? '', /within tolerance/);
  assert.equal(once(spec(1, 10), 4, [cpu(each(4, 0.56), 50)]).desiredReplicas, 5);
  // Below: ratio 0.9 is within, 0.88 is not (the scale-down window set to 0 to see the proposal applied).
  const noWindow = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0 } });
  assert.equal(once(noWindow, 4, [cpu(each(4, 0.45), 50)]).desiredReplicas, 4);
  assert.equal(once(noWindow, 4, [cpu(each(4, 0.44), 50)]).desiredReplicas, 4, '0.88 x 4 = 3.52 rounds up to 4');
  assert.equal(once(noWindow, 10, [cpu(each(10, 0.44), 50)]).desiredReplicas, 9);
  // The controller's utilisation is an integer percentage (metricsTotal x 100 / requestsTotal, truncated):
  // 55.5% is 55%, still within tolerance.
  assert.equal(once(spec(1, 10), 4, [cpu(each(4, 0.555), 50)]).desiredReplicas, 4);
});

test('"consider a HorizontalPodAutoscaler configured with a target memory consumption of 100MiB and a scale-up tolerance of 5%: [it] will only consider scaling up if the memory consumption is higher than 105MiB"', () => {
  const s = spec(1, 10, { scaleUp: { tolerance: 0.05 } });
  assert.equal(once(s, 4, [pods(each(4, 105), 100, 'memory')]).desiredReplicas, 4);
  assert.equal(once(s, 4, [pods(each(4, 106), 100, 'memory')]).desiredReplicas, 5);
  // The scale-down tolerance stays the default 10% unless set: 92 is within, and with a 5% one it is not.
  const down = { stabilizationWindowSeconds: 0 };
  assert.equal(once(spec(1, 10, { scaleDown: down }), 10, [pods(each(10, 92), 100, 'memory')]).desiredReplicas, 10);
  assert.equal(once(spec(1, 10, { scaleDown: { ...down, tolerance: 0.05 } }), 10, [pods(each(10, 92), 100, 'memory')]).desiredReplicas, 10 - 0, 'ceil(0.92 x 10) = 10');
  assert.equal(once(spec(1, 20, { scaleDown: { ...down, tolerance: 0.05 } }), 20, [pods(each(20, 92), 100, 'memory')]).desiredReplicas, 19);
  assert.ok(withinTolerance(1.1, { scaleUp: 0.1, scaleDown: 0.1 }) && !withinTolerance(1.1001, { scaleUp: 0.1, scaleDown: 0.1 }));
});

test('"If there were any missing metrics, the control plane recomputes the average more conservatively, assuming those pods were consuming 100% of the desired value in case of a scale down"', () => {
  const noWindow = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0 } });
  // Two of four replicas read half the target, two have no reading: counted at the target, the average is
  // 0.75 of it, so 3 replicas (not the 1 the two readings alone would give).
  const d = once(noWindow, 4, [pods({ r0: 0.5, r1: 0.5 }, 1)]);
  assert.equal(d.desiredReplicas, 3);
  assert.match(d.metrics[0]!.note ?? '', /2 replica\(s\) without a reading counted at 100% of target/);
  assert.equal(d.metrics[0]!.current, 0.5, 'the reported value leaves the missing readings out');
  // Recomputed within tolerance: no action. One of ten reads half the target; with nine at the target the
  // ratio is 0.95.
  assert.equal(once(noWindow, 10, [pods({ r0: 0.5 }, 1)]).desiredReplicas, 10);
  // For a utilisation target, the controller counts a missing replica at its whole request, or at the target
  // when the target is above 100% (replica_calculator.go, GetResourceReplicas): at a 150% target, one replica
  // at 75% and three missing give 131%, ratio 0.87: 4 replicas, where 100% would have given 3.
  assert.equal(once(noWindow, 4, [cpu({ r0: 0.75 }, 150)]).desiredReplicas, 4);
});

test('"... and 0% in case of a scale up. This dampens the magnitude of any potential scale"; "If the new ratio reverses the scale direction, or is within the tolerance, the controller doesn\'t take any scaling action"', () => {
  // One replica reads 1.15 x target, the other has no reading: counted at 0 the ratio is 0.575, which
  // reverses the direction: no action (the one reading alone would have asked for 2... of 2).
  const d = once(spec(1, 10), 2, [pods({ r0: 1.15 }, 1)]);
  assert.equal(d.desiredReplicas, 2);
  assert.match(d.metrics[0]!.note ?? '', /reverses the direction/);
  // Three of four read 3 x target, one has none: (3+3+3+0)/4 = 2.25 -> ceil(2.25 x 4) = 9.
  assert.equal(once(spec(1, 20), 4, [pods({ r0: 3, r1: 3, r2: 3 }, 1)]).desiredReplicas, 8, 'the default scale-up policy allows 8 from 4');
  assert.equal(once(spec(1, 20, { scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] } }), 4, [pods({ r0: 3, r1: 3, r2: 3 }, 1)]).desiredReplicas, 9);
});

test('"if any not-yet-ready pods were present, and the workload would have scaled up without factoring in missing metrics or not-yet-ready pods, the controller conservatively assumes that the not-yet-ready pods are consuming 0% of the desired metric"', () => {
  const starting: ReplicaObservation = { name: 'r1', phase: 'Running', ready: { status: false, sinceMs: -5_000 }, startedAtMs: -5_000 };
  // CPU: one ready replica at 75% of a 50% target (ratio 1.5) and one still starting, which also reads
  // 150%: the starting one is set aside and counted at 0%, the ratio falls to 0.75, the direction reverses.
  const d = once(spec(1, 10), 2, [cpu({ r0: 0.75, r1: 1.5 }, 50)], { replicas: [readyReplica('r0'), starting] });
  assert.equal(d.desiredReplicas, 2);
  assert.match(d.metrics[0]!.note ?? '', /1 not-ready replica\(s\) counted at 0/);
  // Scaling up with it: two ready at 150% and one starting -> (150+150+0)/3 = 100% -> ratio 2 -> 6.
  const three = [readyReplica('r0'), readyReplica('r2'), { ...starting }];
  assert.equal(once(spec(1, 10), 3, [cpu({ r0: 1.5, r2: 1.5, r1: 1.5 }, 50)], { replicas: three }).desiredReplicas, 6);
  // On a scale-down, not-ready replicas are left out, not counted at 0.
  const down = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0 } });
  assert.equal(once(down, 3, [cpu({ r0: 0.125, r2: 0.125, r1: 1.5 }, 50)], { replicas: three }).desiredReplicas, 1);
});

test('"When scaling on CPU, if any pod has yet to become ready ... or the most recent metric point for the pod was before it became ready, that pod is set aside"; other metrics set aside only Pending pods', () => {
  // Ready for 2 s, reading taken over a 10 s window that began before: set aside (CPU only).
  const justReady: ReplicaObservation = { name: 'r1', phase: 'Running', ready: { status: true, sinceMs: -2_000 }, startedAtMs: -20_000 };
  const reading = { value: 1.5, atMs: 0, windowMs: 10_000 };
  const cpuMetric: MetricObservation = { name: 'cpu', source: 'Resource', resource: 'cpu', target: { type: 'Utilization', averageUtilization: 50 }, requestPerReplica: 1, readings: { r0: { value: 0.75 }, r1: reading } };
  assert.equal(once(spec(1, 10), 2, [cpuMetric], { replicas: [readyReplica('r0'), justReady] }).desiredReplicas, 2);
  // The same readings as a Pods metric (event-loop utilisation): both count, ratio (0.75+1.5)/2/0.5 = 2.25 -> 5.
  const elu: MetricObservation = { name: 'event-loop', source: 'Pods', target: { type: 'AverageValue', averageValue: 0.5 }, readings: { r0: { value: 0.75 }, r1: reading } };
  assert.equal(once(spec(1, 10), 2, [elu], { replicas: [readyReplica('r0'), justReady] }).desiredReplicas, 5);
  // A Pending replica is set aside for every metric type.
  const pending: ReplicaObservation = { name: 'r1', phase: 'Pending' };
  assert.equal(once(spec(1, 10), 2, [{ ...elu }], { replicas: [readyReplica('r0'), pending] }).desiredReplicas, 2, '(0.75+0)/2/0.5 = 0.75 reverses the direction');
  // "all Pods with a deletion timestamp set ... are ignored, and all failed Pods are discarded": they count
  // neither as readings nor as zero.
  const gone: ReplicaObservation[] = [readyReplica('r0'), { ...readyReplica('r1'), terminating: true }, { name: 'r2', phase: 'Failed' }];
  const noWindow = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0 } });
  assert.equal(once(noWindow, 3, [pods({ r0: 2, r1: 9, r2: 9 }, 1)], { replicas: gone }).desiredReplicas, 2);
});

test('"If multiple metrics are specified ... this calculation is done for each metric, and then the largest of the desired replica counts is chosen"', () => {
  const d = once(spec(1, 20), 4, [cpu(each(4, 0.6), 50), pods(each(4, 12), 8)]);
  // cpu: ceil(1.2 x 4) = 5; concurrency: ceil(1.5 x 4) = 6.
  assert.deepEqual(d.metrics.map((m) => m.replicas), [5, 6]);
  assert.equal(d.desiredReplicas, 6);
  assert.equal(d.limitedBy.reason, 'metrics');
  assert.equal(d.limitedBy.metric, 'concurrency');
});

test('"If any of these metrics cannot be converted into a desired replica count ... and a scale down is suggested by the metrics which can be fetched, scaling is skipped. This means that the HPA is still capable of scaling up"', () => {
  const broken: MetricObservation = { name: 'queue-oldest-age', source: 'External', target: { type: 'Value', value: 10 }, unavailable: 'query timed out' };
  const noWindow = spec(1, 20, { scaleDown: { stabilizationWindowSeconds: 0 } });
  const down = once(noWindow, 6, [pods(each(6, 0.2), 1), broken]);
  assert.equal(down.desiredReplicas, 6);
  assert.equal(down.limitedBy.reason, 'invalid-metrics');
  assert.match(down.limitedBy.message, /query timed out/);
  assert.equal(down.metrics[1]!.error, 'query timed out');
  const up = once(noWindow, 2, [pods(each(2, 2), 1), broken]);
  assert.equal(up.desiredReplicas, 4);
  // Every metric invalid: nothing to go on, no change.
  assert.equal(once(noWindow, 3, [broken]).limitedBy.reason, 'invalid-metrics');
});

test('"When the metrics indicate that the target should be scaled down the algorithm looks into previously computed desired states, and uses the highest value from the specified interval" (scale-down window, default 300 s)', () => {
  // 8 replicas busy until t = 60 s, then the load drops to a quarter: the scale-down waits until the last
  // recommendation of 8 (t = 60) has left the 300 s window, then goes at once (100% per 15 s) to 2.
  const trace = simulate(spec(1, 10), 8, 1, (t) => (t <= 60 ? 8 : 2), 420);
  assert.equal(at(trace, 75).replicas, 8);
  assert.equal(at(trace, 75).decision.limitedBy.reason, 'scale-down-stabilization');
  assert.equal(at(trace, 75).decision.limitedBy.windowSeconds, 300);
  assert.equal(at(trace, 75).decision.metricReplicas, 2);
  assert.equal(at(trace, 345).replicas, 8);
  assert.equal(at(trace, 360).replicas, 2, 'at 360 s the recommendation made at 60 s is exactly 300 s old: out (only later ones count)');
});

test('a new autoscaler counts the current replicas as its first recommendation, so it does not scale down before a whole scale-down window has passed (horizontal.go recordInitialRecommendation)', () => {
  const trace = simulate(spec(1, 10), 6, 1, () => 0.6, 330);
  assert.equal(at(trace, 0).replicas, 6);
  assert.equal(at(trace, 285).replicas, 6);
  assert.equal(at(trace, 300).replicas, 1);
});

test('"stabilizationWindowSeconds is the number of seconds for which past recommendations should be considered while scaling up or scaling down" (a scale-up window takes the lowest recommendation)', () => {
  const s = spec(1, 20, { scaleUp: { stabilizationWindowSeconds: 60 } });
  // A one-off spike at t = 15 is ignored; a rise that lasts is followed once it fills the 60 s window.
  const trace = simulate(s, 2, 1, (t) => (t === 15 ? 10 : t >= 60 ? 6 : 2), 150);
  assert.equal(at(trace, 15).replicas, 2);
  assert.equal(at(trace, 15).decision.limitedBy.reason, 'scale-up-stabilization');
  assert.match(at(trace, 15).decision.limitedBy.message, /lowest recommendation of the last 60 s is 2/);
  assert.equal(at(trace, 90).replicas, 2, 'the recommendation of 2 made at 45 s is inside the window at 90 s');
  assert.equal(at(trace, 105).replicas, 6);
  // The default scale-up window is 0: "When the metrics indicate that the target should be scaled up the
  // target is scaled up immediately."
  assert.equal(at(simulate(spec(1, 20), 2, 1, (t) => (t === 15 ? 6 : 2), 30), 15).replicas, 6);
});

test('"There are 2 policies where 4 pods or a 100% of the currently running replicas may at most be added every 15 seconds till the HPA reaches its steady state"', () => {
  // From 1 replica towards 40: +4 (Pods beats 100%), then doubling (100% beats 4) every 15 s.
  const trace = simulate(spec(1, 40), 1, 1, () => 40, 60);
  assert.deepEqual(trace.map((x) => x.replicas), [5, 10, 20, 40, 40]);
  assert.equal(at(trace, 0).decision.limitedBy.reason, 'scale-up-policy');
  assert.deepEqual(at(trace, 0).decision.limitedBy.policy, { type: 'Pods', value: 4, periodSeconds: 15 });
  assert.deepEqual(at(trace, 15).decision.limitedBy.policy, { type: 'Percent', value: 100, periodSeconds: 15 });
  assert.equal(at(trace, 45).decision.limitedBy.reason, 'metrics');
});

test('the scale-up policies hold for their whole 15 s period: runs within the period measure from the replicas at its start (horizontal.go getReplicasChangePerPeriod)', () => {
  const s = spec(1, 40);
  let history = emptyHistory();
  let current = 2;
  const run = (seconds: number) => {
    const nowMs = seconds * 1000;
    const r = computeScale({ nowMs, spec: s, currentReplicas: current, replicas: replicas(current), metrics: [pods(each(current, 40 / current), 1)], history });
    history = recordScale(r.history, s.behavior, current, r.decision.desiredReplicas, nowMs);
    current = r.decision.desiredReplicas;
    return r.decision;
  };
  assert.equal(run(0).desiredReplicas, 6, '2 + 4 pods');
  const again = run(5);
  assert.equal(again.desiredReplicas, 6, 'the period started at 2: at most 6 until it ends');
  assert.equal(again.limitedBy.reason, 'scale-up-policy');
  assert.equal(run(14.999).desiredReplicas, 6);
  assert.equal(run(15).desiredReplicas, 12, 'the change at 0 s is 15 s old: out of the period (strictly after the cutoff counts)');
  assert.equal(scaleUpLimit(12, history, s.behavior.scaleUp, 20_000).limit, 12, 'within the period that began at 6: max(6 + 4, 2 x 6)');
});

test('"There is only a single policy for scaling down which allows a 100% of the currently running replicas to be removed which means the scaling target can be scaled down to the minimum allowed replicas"', () => {
  const s = spec(2, 20, { scaleDown: { stabilizationWindowSeconds: 0 } });
  const d = once(s, 20, [pods(each(20, 0), 1)]);
  assert.equal(d.desiredReplicas, 2);
  assert.equal(d.limitedBy.reason, 'min-replicas');
  assert.equal(d.limitedBy.condition, 'TooFewReplicas');
});

test('"if there are 80 replicas and the target has to be scaled down to 10 replicas then during the first step 8 replicas will be reduced ... 72, 10% of the pods is 7.2 but the number is rounded up to 8 ... When the number of replicas falls below 40 the first policy (Pods) is applied and 4 replicas will be reduced at a time"', () => {
  const s = spec(1, 100, {
    scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 60 }, { type: 'Percent', value: 10, periodSeconds: 60 }] },
  });
  const trace = simulate(s, 80, 1, () => 10, 60 * 12, 60);
  assert.deepEqual(trace.slice(0, 3).map((x) => x.replicas), [72, 64, 57]);
  assert.equal(at(trace, 0).decision.limitedBy.reason, 'scale-down-policy');
  assert.deepEqual(at(trace, 0).decision.limitedBy.policy, { type: 'Percent', value: 10, periodSeconds: 60 });
  // Below 40 the Pods policy removes more: 4 at a time.
  const below = trace.find((x) => x.decision.currentReplicas < 40)!;
  assert.equal(below.decision.currentReplicas - below.replicas, 4);
  assert.deepEqual(below.decision.limitedBy.policy, { type: 'Pods', value: 4, periodSeconds: 60 });
  // Within the 60 s period, nothing more is removed.
  let history = emptyHistory();
  const first = computeScale({ nowMs: 0, spec: s, currentReplicas: 80, replicas: replicas(80), metrics: [pods(each(80, 10 / 80), 1)], history });
  history = recordScale(first.history, s.behavior, 80, first.decision.desiredReplicas, 0);
  const second = computeScale({ nowMs: 30_000, spec: s, currentReplicas: 72, replicas: replicas(72), metrics: [pods(each(72, 10 / 72), 1)], history });
  assert.equal(second.decision.desiredReplicas, 72);
});

test('"By setting the value to Min which would select the policy which allows the smallest change in the replica count" ("no more than 5 Pods are removed per minute")', () => {
  const s = spec(1, 100, {
    scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Min', policies: [{ type: 'Percent', value: 10, periodSeconds: 60 }, { type: 'Pods', value: 5, periodSeconds: 60 }] },
  });
  const d = once(s, 80, [pods(each(80, 10 / 80), 1)]);
  assert.equal(d.desiredReplicas, 75);
  assert.deepEqual(d.limitedBy.policy, { type: 'Pods', value: 5, periodSeconds: 60 });
  // And for scale-up, Min picks the smaller increase: from 8, +4 pods (12) rather than +100% (16).
  const up = once(spec(1, 100, { scaleUp: { selectPolicy: 'Min' } }), 8, [pods(each(8, 5), 1)]);
  assert.equal(up.desiredReplicas, 12);
  assert.deepEqual(up.limitedBy.policy, { type: 'Pods', value: 4, periodSeconds: 15 });
  // Max (the default) picks the larger: 16.
  assert.equal(once(spec(1, 100), 8, [pods(each(8, 5), 1)]).desiredReplicas, 16);
});

test('"Setting the value to Disabled completely disables scaling in that direction"', () => {
  const noDown = spec(1, 10, { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Disabled' } });
  const d = once(noDown, 6, [pods(each(6, 0.1), 1)]);
  assert.equal(d.desiredReplicas, 6);
  assert.equal(d.limitedBy.reason, 'scale-down-disabled');
  assert.equal(once(noDown, 2, [pods(each(2, 3), 1)]).desiredReplicas, 6, 'scale-up still works');
  const noUp = spec(1, 10, { scaleUp: { selectPolicy: 'Disabled' } });
  assert.equal(once(noUp, 2, [pods(each(2, 3), 1)]).limitedBy.reason, 'scale-up-disabled');
});

test('"These custom values are merged with default values": a behavior given in part keeps the other defaults; a policies list replaces the default list', () => {
  const b = resolveBehavior({ scaleDown: { stabilizationWindowSeconds: 60 } });
  assert.equal(b.scaleDown.stabilizationWindowSeconds, 60);
  assert.deepEqual(b.scaleDown.policies, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  assert.equal(b.scaleDown.selectPolicy, 'Max');
  assert.deepEqual(b.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
  const custom = resolveBehavior({ scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
  assert.deepEqual(custom.scaleUp.policies, [{ type: 'Pods', value: 1, periodSeconds: 60 }]);
});

test('minReplicas and maxReplicas bound every decision ("provided that this isn\'t larger than the overall maximum that you configured")', () => {
  const d = once(spec(1, 5), 4, [pods(each(4, 4), 1)]);
  assert.equal(d.desiredReplicas, 5);
  assert.equal(d.limitedBy.reason, 'max-replicas');
  assert.equal(d.limitedBy.condition, 'TooManyReplicas');
  // Current replicas outside the bounds are brought inside at once, policies notwithstanding.
  const above = once(spec(1, 5), 9, [pods(each(9, 1), 1)]);
  assert.equal(above.desiredReplicas, 5);
  assert.match(above.limitedBy.message, /above maxReplicas/);
  assert.equal(once(spec(3, 5), 1, [pods(each(1, 1), 1)]).desiredReplicas, 3);
  // "If the target's desired replica count is set to 0, and the HPA's minimum replica count is greater than 0,
  // the HPA stops adjusting the target"
  const zero = once(spec(1, 5), 0, [pods({}, 1)], { replicas: [] });
  assert.equal(zero.desiredReplicas, 0);
  assert.equal(zero.limitedBy.reason, 'scaling-disabled');
});

test('External metrics: a Value target scales with the Running and Ready replicas; an AverageValue target divides the total by the target per replica', () => {
  const age: MetricObservation = { name: 'queue-oldest-age', source: 'External', target: { type: 'Value', value: 10 }, value: 20 };
  // Three replicas asked for, two Running and Ready: ceil(20/10 x 2) = 4.
  const three = [readyReplica('r0'), readyReplica('r1'), { name: 'r2', phase: 'Pending' } as ReplicaObservation];
  assert.equal(once(spec(1, 10), 3, [age], { replicas: three }).desiredReplicas, 4);
  const work: MetricObservation = { name: 'work-in-flight', source: 'External', target: { type: 'AverageValue', averageValue: 8 }, value: 60 };
  assert.equal(once(spec(1, 20), 4, [work]).desiredReplicas, 8, 'ceil(60 / 8) = 8, reached from 4 in one step (+100%)');
  assert.equal(once(spec(1, 20), 8, [{ ...work, value: 62 }]).desiredReplicas, 8, '62 / (8 x 8) = 0.97: within tolerance');
});

test('a scale-down inside a scale-up policy\'s period gives the replicas back to the period\'s start (horizontal.go calculateScaleUpLimitWithScalingRules)', () => {
  const b = resolveBehavior();
  let history = emptyHistory();
  history = recordScale(history, b, 10, 6, 0);
  // Now 6; the period's start is 6 + 4 removed = 10: up to max(10 + 4, 2 x 10) = 20.
  assert.equal(scaleUpLimit(6, history, b.scaleUp, 5_000).limit, 20);
  assert.equal(scaleUpLimit(6, history, b.scaleUp, 16_000).limit, 12);
});
