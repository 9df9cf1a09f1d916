// Quantiles of a Prometheus histogram from its cumulative bucket counts: [upper bound, cumulative count]
// pairs sorted by bound, the last bound possibly +Inf. Two answers, for two questions:
// - interpolatedQuantile: an estimate of the quantile, the way Prometheus' histogram_quantile() makes it
//   (find the bucket holding the rank, interpolate linearly inside it); the control role's detection
//   compares these estimates over time;
// - quantileUpperBound: the upper bound of the bucket holding the quantile, a value the quantile is
//   certainly at or below; the load tester's bottleneck diagnosis judges a route by it ("p99 <= 0.5 s").

export type CumulativeBuckets = readonly (readonly [upperBound: number, cumulativeCount: number])[];

/** Prometheus' histogram_quantile(): NaN without observations; the largest finite bound when the rank is in +Inf. */
export function interpolatedQuantile(buckets: CumulativeBuckets, q: number): number {
  if (!buckets.length) return NaN;
  const total = buckets[buckets.length - 1]![1];
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // the +Inf bucket has no upper edge: answer the largest finite bound, as Prometheus does
      if (!Number.isFinite(bound)) return prevBound;
      const inBucket = count - prevCount;
      if (inBucket <= 0) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / inBucket;
    }
    prevBound = Number.isFinite(bound) ? bound : prevBound;
    prevCount = count;
  }
  return prevBound;
}

/** The bucket bound at or below which a share q of the observations fall (+Inf when only the +Inf bucket holds them). */
export function quantileUpperBound(buckets: CumulativeBuckets, total: number, q: number): number {
  const target = total * q;
  for (const [bound, count] of buckets) if (count >= target) return bound;
  return Number.POSITIVE_INFINITY;
}
