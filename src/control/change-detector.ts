// The fast detector: a robust change score (distance from the baseline median in units of the baseline
// IQR, in the spirit of BARO's robust scorer and N-sigma) on a latency or error-ratio series, judged on
// the median of the last few readings so one stray reading does not page. Latency is normalised for
// traffic: the excess over the baseline is divided by the traffic growth (the signal's own, or the shop's
// entry traffic if that grew more), so a surge that slows a healthy service in proportion to its load is
// not news, while a service degrading under it still is.
import type { DetectorSettings } from './control-config.ts';

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

export function changeScore(input: ChangeInput, set: DetectorSettings): ChangeScore {
  const base = sortedFinite(input.baseline);
  const cur = medianOf(input.current);
  const none: ChangeScore = { score: 0, baseline: NaN, current: cur, ratio: NaN, trafficGrowth: 1, anomalous: false, judged: false };
  if (base.length < set.minBaselineReadings || !Number.isFinite(cur)) return none;
  const median = quantileOf(base, 0.5);
  const iqr = quantileOf(base, 0.75) - quantileOf(base, 0.25);
  const growthOf = (baseline: readonly number[] | undefined, current: readonly number[] | undefined) => {
    const b = medianOf(baseline ?? []);
    const c = medianOf(current ?? []);
    return Number.isFinite(b) && Number.isFinite(c) && b > 0 ? c / b : 1;
  };
  const curRate = medianOf(input.currentRate ?? []);
  const growth = Math.max(growthOf(input.baselineRate, input.currentRate), growthOf(input.entryBaselineRate, input.entryCurrentRate));
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
    scale = Math.max(iqr, 0.1 * median, 0.002);
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
