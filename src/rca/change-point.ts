// Finds when a fault most likely began when no injection time is known: the split of the time axis
// where the most series shift their level at once. Each series is put in robust units over the whole
// recording, clipped so one wild series cannot decide alone, and the classic CUSUM statistic for a
// single mean shift, |mean(after) - mean(before)| * sqrt(k (n - k) / n), is summed over series. This is
// an offline stand-in for BARO's multivariate Bayesian online change point detection: simpler, and
// enough to place the baseline/fault boundary for the scorers.
import { robustSummary } from './robust-stats.ts';
import { allTimestamps, type Telemetry } from './time-series.ts';

export interface ChangePoint {
  /** the first timestamp of the changed segment */
  time: number;
  /** the summed shift statistic at that split (larger = clearer) */
  strength: number;
}

const CLIP = 8;

export function detectChangePoint(t: Telemetry, opts: { minSegment?: number } = {}): ChangePoint | undefined {
  const times = allTimestamps(t);
  const n = times.length;
  const minSeg = Math.max(2, opts.minSegment ?? Math.min(10, Math.floor(n / 10)));
  if (n < 2 * minSeg) return undefined;
  const index = new Map(times.map((ts, i) => [ts, i]));
  const stat = new Float64Array(n);
  for (const s of t.series) {
    const sum = robustSummary(s.values);
    if (sum.n < 2 * minSeg) continue;
    const scale = sum.iqr > 0 ? sum.iqr : sum.meanAbsDev > 0 ? 2 * sum.meanAbsDev : 0;
    if (!(scale > 0)) continue;
    // standardised readings on the shared time axis; missing readings carry the previous value
    const z = new Float64Array(n);
    let last = 0;
    const present = new Uint8Array(n);
    s.timestamps.forEach((ts, i) => {
      const v = s.values[i]!;
      const at = index.get(ts)!;
      if (Number.isFinite(v)) { z[at] = Math.max(-CLIP, Math.min(CLIP, (v - sum.median) / scale)); present[at] = 1; }
    });
    for (let i = 0; i < n; i++) {
      if (present[i]) last = z[i]!;
      else z[i] = last;
    }
    const prefix = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + z[i]!;
    for (let k = minSeg; k <= n - Math.max(2, Math.floor(minSeg / 2)); k++) {
      const before = prefix[k]! / k;
      const after = (prefix[n]! - prefix[k]!) / (n - k);
      stat[k] = stat[k]! + Math.abs(after - before) * Math.sqrt((k * (n - k)) / n);
    }
  }
  let best = -1;
  for (let k = 1; k < n; k++) if (stat[k]! > 0 && (best < 0 || stat[k]! > stat[best]!)) best = k;
  return best < 0 ? undefined : { time: times[best]!, strength: stat[best]! };
}
