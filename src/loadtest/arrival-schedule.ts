// When each iteration is due. An open-model load is a rate function r(t), piecewise linear over the
// stages; iteration k (counting from 0) is due at the time t_k where the expected count ∫0^t r = k.
// Solving that integral exactly (a quadratic inside a ramp) gives every iteration a precise scheduled
// start, independent of timers and of how fast the target answers: latencies are measured from t_k,
// which is what makes the figures free of coordinated omission. Workers share one global schedule by
// taking every N-th iteration (worker i takes k = i, i+N, i+2N, ...), so N workers together produce
// exactly the planned rate and the same per-second shape as one would.
import type { LoadModel, Stage } from './scenario-types.ts';

export interface RateSegment {
  /** Start and length, in seconds from the run's start. */
  start: number;
  duration: number;
  fromRate: number;
  toRate: number;
  /** Expected iterations before this segment. */
  before: number;
}

export interface RatePlan {
  segments: RateSegment[];
  /** Length of the schedule, in seconds. */
  duration: number;
  /** Expected iterations in the whole schedule (the integral of the rate). */
  expectedIterations: number;
}

function segmentsFrom(startRate: number, stages: readonly Stage[]): RateSegment[] {
  const out: RateSegment[] = [];
  let t = 0;
  let rate = startRate;
  let before = 0;
  for (const s of stages) {
    if (s.duration <= 0) { rate = s.target; continue; }
    out.push({ start: t, duration: s.duration, fromRate: rate, toRate: s.target, before });
    before += ((rate + s.target) / 2) * s.duration;
    t += s.duration;
    rate = s.target;
  }
  return out;
}

export function ratePlan(load: LoadModel): RatePlan {
  let segments: RateSegment[];
  if (load.executor === 'constant-arrival-rate') segments = segmentsFrom(load.rate, [{ duration: load.duration, target: load.rate }]);
  else if (load.executor === 'ramping-arrival-rate') segments = segmentsFrom(load.startRate, load.stages);
  else throw new Error(`${load.executor} is a closed model: it has no arrival schedule`);
  const last = segments[segments.length - 1];
  return {
    segments,
    duration: last ? last.start + last.duration : 0,
    expectedIterations: last ? last.before + ((last.fromRate + last.toRate) / 2) * last.duration : 0,
  };
}

/** The planned arrival rate (iterations/s) at time t (seconds). */
export function rateAt(plan: RatePlan, t: number): number {
  for (const s of plan.segments) {
    if (t >= s.start && t < s.start + s.duration) return s.fromRate + ((s.toRate - s.fromRate) * (t - s.start)) / s.duration;
  }
  return 0;
}

/** Expected iterations due in [0, t). */
export function expectedBefore(plan: RatePlan, t: number): number {
  let n = 0;
  for (const s of plan.segments) {
    if (t <= s.start) break;
    const tau = Math.min(t - s.start, s.duration);
    const slope = (s.toRate - s.fromRate) / s.duration;
    n = s.before + s.fromRate * tau + (slope * tau * tau) / 2;
  }
  return n;
}

/** Time within a segment at which `count` iterations (counted from the segment's start) are due. */
function solveInSegment(s: RateSegment, count: number): number {
  // fromRate·τ + (slope/2)·τ² = count; the form below is stable when slope is tiny or negative.
  const slope = (s.toRate - s.fromRate) / s.duration;
  const a = slope / 2;
  const b = s.fromRate;
  if (Math.abs(a) < 1e-12) return b > 0 ? count / b : Number.POSITIVE_INFINITY;
  const disc = b * b + 4 * a * count;
  if (disc < 0) return Number.POSITIVE_INFINITY;
  const root = Math.sqrt(disc);
  return b + root > 0 ? (2 * count) / (b + root) : (-b + root) / (2 * a);
}

/**
 * Walks the schedule of one worker: iterations first, first+step, first+2·step, ... in time order.
 * next() returns the due time in seconds, or undefined after the last one.
 */
export class ArrivalCursor {
  private k: number;
  private seg = 0;
  private readonly plan: RatePlan;
  private readonly step: number;

  constructor(plan: RatePlan, first: number, step: number) {
    this.plan = plan;
    this.k = first;
    this.step = step;
  }

  /** The index of the iteration next() will return. */
  get index(): number {
    return this.k;
  }

  next(): number | undefined {
    const { segments } = this.plan;
    while (this.seg < segments.length) {
      const s = segments[this.seg]!;
      const within = this.k - s.before;
      const segTotal = ((s.fromRate + s.toRate) / 2) * s.duration;
      if (within < segTotal - 1e-9) {
        const tau = solveInSegment(s, Math.max(0, within));
        if (tau < s.duration) {
          this.k += this.step;
          return s.start + tau;
        }
      }
      this.seg++;
    }
    return undefined;
  }
}

/** Active virtual users at time t in a closed model. */
export function vusAt(load: LoadModel, t: number): number {
  if (load.executor === 'constant-vus') return t < load.duration ? load.vus : 0;
  if (load.executor !== 'ramping-vus') throw new Error(`${load.executor} is an open model: it has no virtual users`);
  let start = 0;
  let from = load.startVUs;
  for (const s of load.stages) {
    if (t < start + s.duration) return Math.floor(from + ((s.target - from) * (t - start)) / s.duration + 1e-9);
    start += s.duration;
    from = s.target;
  }
  return 0;
}

/** Length of a load model's schedule, in seconds. */
export function scheduleDuration(load: LoadModel): number {
  switch (load.executor) {
    case 'constant-arrival-rate':
    case 'constant-vus':
      return load.duration;
    case 'ramping-arrival-rate':
    case 'ramping-vus':
      return load.stages.reduce((n, s) => n + s.duration, 0);
  }
}

/** Highest planned arrival rate (open) or VU count (closed). */
export function peakLevel(load: LoadModel): number {
  switch (load.executor) {
    case 'constant-arrival-rate': return load.rate;
    case 'constant-vus': return load.vus;
    case 'ramping-arrival-rate': return Math.max(load.startRate, ...load.stages.map((s) => s.target));
    case 'ramping-vus': return Math.max(load.startVUs, ...load.stages.map((s) => s.target));
  }
}

/** The planned level (rate or VUs) at time t, for charts. */
export function plannedLevelAt(load: LoadModel, t: number): number {
  if (load.executor === 'constant-arrival-rate' || load.executor === 'ramping-arrival-rate') return rateAt(ratePlan(load), t);
  return vusAt(load, t);
}
