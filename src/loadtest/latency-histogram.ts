// HdrHistogram settings shared by workers and the main thread: microseconds from 1 µs to one hour at
// three significant digits (0.1% precision), so a percentile is exact to within 0.1% at any scale and
// the memory of a histogram is fixed however many values it records.
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export const HIGHEST_US = 3_600_000_000;

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32, autoResize: false, useWebAssembly: false });
}

export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/**
 * The non-empty buckets of a histogram, for the per-second stream between threads. (The compressed
 * encoding goes through zlib; called every second in every worker for hours, zlib's native buffers
 * fragment the heap and resident memory creeps up. Bucket indexes and counts are plain data.)
 */
export interface SparseHistogram { index: number[]; count: number[] }

export function toSparse(h: Histogram): SparseHistogram {
  const js = h as unknown as hdr.JsHistogram;
  const index: number[] = [];
  const count: number[] = [];
  const n = js.countsArrayLength;
  for (let i = 0; i < n; i++) {
    const c = js.getCountAtIndex(i);
    if (c !== 0) { index.push(i); count.push(c); }
  }
  return { index, count };
}

/** Adds a sparse histogram (same settings) into `into`. */
export function addSparse(into: Histogram, s: SparseHistogram): void {
  const js = into as unknown as hdr.JsHistogram;
  for (let k = 0; k < s.index.length; k++) into.recordValueWithCount(js.valueFromIndex(s.index[k]!), s.count[k]!);
}

/** Adds an encoded histogram into `into`. */
export function mergeEncoded(into: Histogram, encoded: string): void {
  const h = decodeHistogram(encoded);
  into.add(h);
  h.destroy();
}

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export function summarize(h: Histogram): LatencySummary {
  const n = h.totalCount;
  const ms = (us: number) => (n ? us / 1000 : Number.NaN);
  return {
    count: n,
    minMs: ms(h.minNonZeroValue),
    meanMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p95Ms: ms(h.getValueAtPercentile(95)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.maxValue),
  };
}
