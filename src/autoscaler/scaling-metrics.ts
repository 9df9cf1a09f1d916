// The metrics Holdfast scales its roles on, as pure calculators: raw readings in, an HPA metric (value and
// target, in the autoscaling/v2 metric types hpa-algorithm.ts computes with) out. The same metric types are
// what `holdfast export kubernetes` renders, so a role scales on the same numbers on one machine and on a
// cluster:
//
// - storefront: CPU utilisation per process (Resource cpu, Utilization of the process's CPU request),
//   event-loop utilisation per process (a Pods metric: the share of time the loop ran callbacks) and
//   request concurrency per process (a Pods metric: HTTP requests in flight) and request rate per process
//   (a Pods metric: HTTP requests received per second; its target can come from the measured capacity);
// - payments: the work in flight by Little's law (an External AverageValue metric: job arrival rate x
//   provider latency = provider calls that must be in flight, against each process's concurrency) and the
//   payment queue's oldest job age (an External Value metric) or its depth (External AverageValue).
import type { ExternalMetricObservation, PodsMetricObservation, ReplicaReading, ResourceMetricObservation, UnavailableMetricObservation, MetricTarget } from './hpa-algorithm.ts';

/** A process's CPU time so far (process.cpuUsage(): user + system, microseconds) at a moment. */
export interface CpuTimeSample { cpuMicros: number; atMs: number }

/** CPU cores a process used between two samples (1 = one core busy the whole time); NaN without time between. */
export function cpuCoresBetween(earlier: CpuTimeSample, later: CpuTimeSample): number {
  const wallMicros = (later.atMs - earlier.atMs) * 1000;
  return wallMicros > 0 ? Math.max(0, later.cpuMicros - earlier.cpuMicros) / wallMicros : Number.NaN;
}

/** One replica's reading, named by replica. */
export interface NamedReading { replica: string; value: number; atMs?: number; windowMs?: number }

function byReplica(readings: readonly NamedReading[]): Record<string, ReplicaReading> {
  const out: Record<string, ReplicaReading> = {};
  for (const r of readings) {
    const reading: ReplicaReading = { value: r.value };
    if (r.atMs !== undefined) reading.atMs = r.atMs;
    if (r.windowMs !== undefined) reading.windowMs = r.windowMs;
    out[r.replica] = reading;
  }
  return out;
}

export const METRIC_NAMES = {
  cpu: 'cpu',
  eventLoop: 'event-loop',
  requestConcurrency: 'request-concurrency',
  requestRate: 'request-rate',
  workInFlight: 'work-in-flight',
  queueOldestAge: 'queue-oldest-age',
  queueDepth: 'queue-depth',
} as const;

/**
 * CPU utilisation per process: each reading is the CPU cores the process used (cpuCoresBetween) and the
 * target a percentage of `requestCores`, the CPU each process is granted (its Kubernetes CPU request), as
 * the HPA's Resource cpu Utilization target is a percentage of the pod's request.
 */
export function cpuUtilizationMetric(opts: { targetAverageUtilization: number; requestCores: number; readings: readonly NamedReading[] }): ResourceMetricObservation {
  return {
    name: METRIC_NAMES.cpu, source: 'Resource', resource: 'cpu',
    target: { type: 'Utilization', averageUtilization: opts.targetAverageUtilization },
    requestPerReplica: opts.requestCores,
    readings: byReplica(opts.readings),
  };
}

/**
 * Event-loop utilisation per process (performance.eventLoopUtilization(), 0..1; the metric
 * holdfast_eventloop_utilization_ratio): a Pods metric whose average is held at `targetAverageUtilization` %.
 */
export function eventLoopUtilizationMetric(opts: { targetAverageUtilization: number; readings: readonly NamedReading[] }): PodsMetricObservation {
  return {
    name: METRIC_NAMES.eventLoop, source: 'Pods',
    target: { type: 'AverageValue', averageValue: opts.targetAverageUtilization / 100 },
    readings: byReplica(opts.readings),
  };
}

/** Requests in flight per process (a Pods metric), held at `targetAverageValue` per process on average. */
export function requestConcurrencyMetric(opts: { targetAverageValue: number; readings: readonly NamedReading[] }): PodsMetricObservation {
  return {
    name: METRIC_NAMES.requestConcurrency, source: 'Pods',
    target: { type: 'AverageValue', averageValue: opts.targetAverageValue },
    readings: byReplica(opts.readings),
  };
}

/** HTTP requests received per second per process (a Pods metric), held at `targetAverageValue` per process on average. */
export function requestRateMetric(opts: { targetAverageValue: number; readings: readonly NamedReading[] }): PodsMetricObservation {
  return {
    name: METRIC_NAMES.requestRate, source: 'Pods',
    target: { type: 'AverageValue', averageValue: opts.targetAverageValue },
    readings: byReplica(opts.readings),
  };
}

/**
 * The work in flight by Little's law: L = arrival rate x time in the system. Payment jobs arriving at
 * `arrivalRatePerSecond`, each holding a provider call for `providerLatencySeconds`, need L calls in flight;
 * each payments process carries `concurrencyPerReplica` of them, of which the policy means to fill
 * `targetUtilization` (headroom for bursts). As an External AverageValue metric the HPA's proposal is
 * ceil(L / (concurrency x utilisation)): L divided by what one process carries.
 */
export function workInFlightMetric(opts: { arrivalRatePerSecond: number; providerLatencySeconds: number; concurrencyPerReplica: number; targetUtilization?: number }): ExternalMetricObservation | UnavailableMetricObservation {
  const utilization = opts.targetUtilization ?? 1;
  const target: Extract<MetricTarget, { type: 'AverageValue' }> = { type: 'AverageValue', averageValue: opts.concurrencyPerReplica * utilization };
  const base = { name: METRIC_NAMES.workInFlight, source: 'External' as const, target };
  const { arrivalRatePerSecond: rate, providerLatencySeconds: latency } = opts;
  if (!(rate >= 0) || !(latency >= 0) || !Number.isFinite(rate) || !Number.isFinite(latency)) {
    return { ...base, unavailable: `no arrival rate or provider latency to compute the work in flight from (rate ${rate}/s, latency ${latency} s)` };
  }
  return { ...base, value: rate * latency };
}

/**
 * The arrival rate the work in flight is computed from: the larger of the rate over the long window and
 * over a recent (short) one. The long window alone lags a surge by up to its length (at the start of a
 * surge after a quiet spell it still averages the quiet in: 24 jobs/s for 5 s read over 30 s is 4/s), so a
 * rising rate is taken from the recent window, as a metrics pipeline that keeps both would; a falling rate
 * keeps the long window's, so a lull of a few seconds proposes no scale-down (which the scale-down
 * stabilisation window would hold back in any case).
 */
export function scalingArrivalRate(rates: { longWindowPerSecond: number; recentWindowPerSecond?: number }): number {
  const recent = rates.recentWindowPerSecond;
  return recent !== undefined && Number.isFinite(recent) && recent > rates.longWindowPerSecond ? recent : rates.longWindowPerSecond;
}

/**
 * The payment queue's oldest unfinished job age against a target age (an External Value metric): the
 * proposal grows with how far the oldest job is past its target, ceil(age / target x ready replicas).
 */
export function queueOldestAgeMetric(opts: { oldestAgeSeconds: number; targetSeconds: number }): ExternalMetricObservation {
  return { name: METRIC_NAMES.queueOldestAge, source: 'External', target: { type: 'Value', value: opts.targetSeconds }, value: Math.max(0, opts.oldestAgeSeconds) };
}

/** Unfinished payment jobs against a number per replica (an External AverageValue metric): ceil(jobs / target). */
export function queueDepthMetric(opts: { jobs: number; targetPerReplica: number }): ExternalMetricObservation {
  return { name: METRIC_NAMES.queueDepth, source: 'External', target: { type: 'AverageValue', averageValue: opts.targetPerReplica }, value: Math.max(0, opts.jobs) };
}

/** A metric that could not be read this run (a scrape failed, a query timed out). */
export function unavailableMetric(name: string, source: UnavailableMetricObservation['source'], target: MetricTarget, reason: string): UnavailableMetricObservation {
  return { name, source, target, unavailable: reason };
}
