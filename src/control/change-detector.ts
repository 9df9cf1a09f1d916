// The fast detector: a robust change score (distance from the baseline median in units of the baseline
// IQR, in the spirit of BARO's robust scorer and N-sigma) on a latency or error-ratio series, judged on
// the median of the last few readings so one stray reading does not page. Latency is normalised for
// traffic: the excess over the baseline is divided by the traffic growth (the signal's own, or the shop's
// entry traffic if that grew more), so a surge that slows a healthy service in proportion to its load is
// not news, while a service degrading under it still is.
import type { DetectorSettings } from './control-config.ts';
import { interpolatedQuantile, type CumulativeBuckets } from '../platform/observability/histogram-quantile.ts';

export type SignalKind = 'latency' | 'errors';

export interface ChangeScore {
  /** robust units above the baseline (0 when it fell or cannot be judged) */
  score: number;
  baseline: number;
  /** median of the current readings (before traffic normalisation) */
  current: number;
  /** current / baseline (latency) */
  ratio: number;
  /** traffic now / traffic in the baseline (1 = unchanged): the signal's own or the shop's entry traffic, whichever grew more */
  trafficGrowth: number;
  /** true when every condition to fire holds */
  anomalous: boolean;
  judged: boolean;
}

function sortedFinite(xs: readonly number[]): number[] {
  return xs.filter(Number.isFinite).sort((a, b) => a - b);
}

export function quantileOf(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function medianOf(xs: readonly number[]): number {
  return quantileOf(sortedFinite(xs), 0.5);
}

export interface ChangeInput {
  kind: SignalKind;
  baseline: readonly number[];
  current: readonly number[];
  /** request rate per reading over the same readings (for traffic normalisation and the binomial floor) */
  baselineRate?: readonly number[];
  currentRate?: readonly number[];
  /**
   * The shop's entry traffic (storefront requests/s) over the same readings. A surge loads everything
   * the shop shares (CPU, the database, the provider simulator), including parts whose own rate grows
   * less (batched payment jobs, background calls), so latency is normalised by the larger growth.
   */
  entryBaselineRate?: readonly number[];
  entryCurrentRate?: readonly number[];
  /** seconds each reading summarises (rate x this = requests behind a reading) */
  readingSeconds?: number;
  /** the quantile a latency series is (0.99 for p99), so a tail too thin to mean anything is not judged */
  quantile?: number;
}

type TrafficInput = Pick<ChangeInput, 'baselineRate' | 'currentRate' | 'entryBaselineRate' | 'entryCurrentRate'>;

/** Traffic now over traffic in the baseline: the signal's own or the shop's entry traffic, whichever grew more (1 when unknown). */
export function trafficGrowth(input: TrafficInput): number {
  const growthOf = (baseline: readonly number[] | undefined, current: readonly number[] | undefined) => {
    const b = medianOf(baseline ?? []);
    const c = medianOf(current ?? []);
    return Number.isFinite(b) && Number.isFinite(c) && b > 0 ? c / b : 1;
  };
  return Math.max(growthOf(input.baselineRate, input.currentRate), growthOf(input.entryBaselineRate, input.entryCurrentRate));
}

/** A latency's robust unit: the baseline IQR, at least 10 % of its level and 2 ms (a flat baseline has no IQR). */
function latencyScale(median: number, iqr: number): number {
  return Math.max(iqr, 0.1 * median, 0.002);
}

export function changeScore(input: ChangeInput, set: DetectorSettings): ChangeScore {
  const base = sortedFinite(input.baseline);
  const cur = medianOf(input.current);
  const none: ChangeScore = { score: 0, baseline: NaN, current: cur, ratio: NaN, trafficGrowth: 1, anomalous: false, judged: false };
  if (base.length < set.minBaselineReadings || !Number.isFinite(cur)) return none;
  const median = quantileOf(base, 0.5);
  const iqr = quantileOf(base, 0.75) - quantileOf(base, 0.25);
  const curRate = medianOf(input.currentRate ?? []);
  const growth = trafficGrowth(input);
  let scale: number;
  let judgedValue = cur;
  let anomalousByMagnitude: boolean;
  // a p99 over a handful of events is just the slowest of them
  const events = Number.isFinite(curRate) ? curRate * (input.readingSeconds ?? 1) : Infinity;
  if (events < set.minEvents) return { ...none, baseline: median };
  if (input.quantile !== undefined && events * (1 - input.quantile) < set.minTailEvents) return { ...none, baseline: median };
  if (input.kind === 'latency') {
    // a surge explains latency that grows no faster than the traffic
    if (growth > 1) judgedValue = median + Math.max(0, cur - median) / growth;
    scale = latencyScale(median, iqr);
    anomalousByMagnitude = judgedValue >= set.minLatencyRatio * median && judgedValue - median >= set.minLatencyIncreaseSeconds;
  } else {
    // an error ratio measured over n requests cannot resolve better than its binomial noise
    const n = Number.isFinite(curRate) ? curRate * (input.readingSeconds ?? 1) : 0;
    const p = Math.max(median, n > 0 ? 1 / n : 1);
    const binomial = n > 0 ? Math.sqrt((p * (1 - Math.min(p, 0.5))) / n) : 1;
    scale = Math.max(iqr, binomial, 0.005);
    anomalousByMagnitude = cur - median >= set.minErrorRatioIncrease;
  }
  const score = Math.max(0, (judgedValue - median) / scale);
  return {
    score, baseline: median, current: cur, ratio: median > 0 ? cur / median : Infinity, trafficGrowth: growth,
    anomalous: anomalousByMagnitude && score >= set.fireUnits, judged: true,
  };
}

export interface TailInput extends TrafficInput {
  /** the baseline's median readings (the pooled p50s: at low traffic a 5 s p50 is one or two calls) */
  baselineMedians: readonly number[];
  /** the baseline's p99 readings (at low traffic each is about the slowest call of its 5 s) */
  baselineP99s: readonly number[];
  /** the calls of the window judged: [upper bound, cumulative count], sorted, the last bound possibly +Inf */
  buckets: CumulativeBuckets;
}

export interface TailExceedance extends ChangeScore {
  /** the bucket bound (seconds) a call must lie above to count: the first at or over the bound wanted */
  bound: number;
  /** calls above `bound`, and all calls, in the window */
  above: number;
  calls: number;
}

/**
 * The tail-exceedance test, for a component too quiet for a median of 5 s: in a short window, the calls
 * above a bound far over the baseline, firing when at least `tailMinCalls` of them and more than half of
 * the window's calls lie above it (so the window's median is above it too). The bound is the larger of
 * `tailBoundMultiple` x the baseline's slow end (the 90th percentile of its p99 readings) and its median
 * plus `tailMinIncreaseSeconds`; the excess over the median it allows grows with the traffic, as in
 * changeScore, so a surge that slows every call in proportion to its load does not count. Past
 * `tailBoundCapSeconds` (1 s) the multiple shrinks to `tailBoundSlowMultiple` (2) x the slow end: on a
 * busy machine a provider's slowest baseline calls took 300 to 450 ms, 5 x that is past 2 s, and with the
 * histogram's buckets (1, 2, 3 s) a 2 s delay then counted no call at all, and mostly the 30 s median
 * alerted: 7 to 27 s after the delay (median 17.5) in a simulation of 20 runs, 4 to 24 s (median 11) with
 * the cap (decision 0035).
 *
 * Why chance does not fire it: under the baseline a call lies above its p99 once in 100, and the bound is
 * 5 times the baseline's slowest calls, at least twice them past a second (and 250 ms over its median),
 * so p < 0.01 per call by far. At the traffic where the test runs (under 1.2 calls/s: n <= 12 calls in
 * 10 s, 18 in 15 s) it needs
 * max(3, n/2 + 1) of the n calls above the bound: for independent calls at most C(5,3) x 0.01^3 = 1e-5
 * per window of 5 calls and C(12,7) x 0.01^7 < 1e-11 of 12, i.e. under 0.1 a day even counting every
 * 10 s of a day (8,640) as a fresh window at the worst p. Calls are not independent when a process
 * stalls (it slows every call it makes at once): the absolute floor of 250 ms over the median, held by
 * at least three calls spread over seconds and by most of the window, is what a brief stall does not
 * reach. One stray slow call never fires it.
 */
export function tailExceedance(input: TailInput, set: DetectorSettings): TailExceedance {
  const medians = sortedFinite(input.baselineMedians);
  const p99s = sortedFinite(input.baselineP99s);
  const buckets = input.buckets;
  const calls = buckets.length ? buckets[buckets.length - 1]![1] : 0;
  const growth = trafficGrowth(input);
  const none: TailExceedance = {
    score: 0, baseline: NaN, current: NaN, ratio: NaN, trafficGrowth: growth, anomalous: false, judged: false, bound: NaN, above: 0, calls,
  };
  if (medians.length < set.minBaselineReadings || p99s.length < set.minBaselineReadings || calls <= 0) return none;
  const median = quantileOf(medians, 0.5);
  const slowEnd = quantileOf(p99s, 0.9);
  // 5 x the slow end, but no further past a second than 2 x the slow end (tailBoundCapSeconds)
  const overSlowEnd = Math.min(set.tailBoundMultiple * slowEnd, Math.max(set.tailBoundSlowMultiple * slowEnd, set.tailBoundCapSeconds));
  const bar = Math.max(overSlowEnd, median + set.tailMinIncreaseSeconds);
  const wanted = median + (bar - median) * Math.max(1, growth);
  // only calls whose bucket lies wholly above the bound count (a bound past the last finite bucket: none)
  const edge = buckets.find(([le]) => le >= wanted * (1 - 1e-9));
  const bound = edge ? edge[0] : Infinity;
  const above = edge && Number.isFinite(edge[0]) ? calls - edge[1] : 0;
  const current = interpolatedQuantile(buckets, 0.5);
  // the same robust units as changeScore's, for the alert's signal
  const iqr = quantileOf(medians, 0.75) - quantileOf(medians, 0.25);
  const score = Math.max(0, current - median) / Math.max(1, growth) / latencyScale(median, iqr);
  return {
    score, baseline: median, current, ratio: median > 0 ? current / median : Infinity, trafficGrowth: growth,
    anomalous: above >= set.tailMinCalls && above * 2 > calls, judged: true, bound, above, calls,
  };
}
