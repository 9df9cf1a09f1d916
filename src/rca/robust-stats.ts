// Order statistics and moments over series that may hold NaN (a missing reading). Every function skips
// NaN and returns NaN when nothing is left, so callers can treat "no data" uniformly.

export function finite(values: readonly number[]): number[] {
  const out: number[] = [];
  for (const v of values) if (Number.isFinite(v)) out.push(v);
  return out;
}

/** The finite values, sorted ascending (a typed array sorts numerically, and fast). */
export function sortedFinite(values: readonly number[]): Float64Array {
  return Float64Array.from(finite(values)).sort();
}

/** Linear-interpolated quantile (the common "type 7" definition) of the finite values, q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  return sortedQuantile(sortedFinite(values), q);
}

export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function mean(values: readonly number[]): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isFinite(v)) { sum += v; n++; }
  }
  return n ? sum / n : NaN;
}

/** Population standard deviation (divides by n), as scikit-learn's StandardScaler does. */
export function std(values: readonly number[]): number {
  const m = mean(values);
  if (!Number.isFinite(m)) return NaN;
  let ss = 0;
  let n = 0;
  for (const v of values) {
    if (Number.isFinite(v)) { ss += (v - m) ** 2; n++; }
  }
  return Math.sqrt(ss / n);
}

export interface RobustSummary {
  n: number;
  median: number;
  q25: number;
  q75: number;
  iqr: number;
  /** mean absolute deviation from the median: non-zero whenever any value differs from the median */
  meanAbsDev: number;
  q10: number;
  q90: number;
}

export function robustSummary(values: readonly number[]): RobustSummary {
  const xs = sortedFinite(values);
  const med = sortedQuantile(xs, 0.5);
  const q25 = sortedQuantile(xs, 0.25);
  const q75 = sortedQuantile(xs, 0.75);
  let dev = 0;
  for (const v of xs) dev += Math.abs(v - med);
  return {
    n: xs.length, median: med, q25, q75, iqr: q75 - q25, meanAbsDev: xs.length ? dev / xs.length : NaN,
    q10: sortedQuantile(xs, 0.1), q90: sortedQuantile(xs, 0.9),
  };
}
