// Quantiles from cumulative histogram bucket deltas, the way Prometheus' histogram_quantile() does it:
// find the bucket holding the rank and interpolate linearly inside it.

/** buckets: [upper bound, cumulative count] sorted by bound; the last bound may be +Inf. */
export function bucketQuantile(buckets: readonly (readonly [number, number])[], q: number): number {
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
