// The generic telemetry shape every ranker works on: one series per (service, metric), readings at
// unix-second timestamps, NaN for a missing reading. The CSV reader produces it from recorded data; the
// live control role can produce the same thing from its in-memory window.

export interface MetricSeries {
  service: string;
  metric: string;
  /** unix seconds, strictly increasing; a reading's time is the end of the interval it summarises */
  timestamps: readonly number[];
  /** same length as timestamps; NaN = no reading */
  values: readonly number[];
}

export interface Telemetry {
  series: MetricSeries[];
}

/** `<service>_<metric>`: service names never contain `_`, so the first `_` splits them. */
export function splitColumnName(column: string): { service: string; metric: string } | undefined {
  const at = column.indexOf('_');
  if (at <= 0 || at === column.length - 1) return undefined;
  return { service: column.slice(0, at), metric: column.slice(at + 1) };
}

export function columnName(s: Pick<MetricSeries, 'service' | 'metric'>): string {
  return `${s.service}_${s.metric}`;
}

export function services(t: Telemetry): string[] {
  return [...new Set(t.series.map((s) => s.service))];
}

/** Every timestamp that occurs in any series, sorted. */
export function allTimestamps(t: Telemetry): number[] {
  const set = new Set<number>();
  for (const s of t.series) for (const ts of s.timestamps) set.add(ts);
  return [...set].sort((a, b) => a - b);
}

/** Median spacing between consecutive readings (seconds), NaN with fewer than two timestamps. */
export function typicalStep(timestamps: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < timestamps.length; i++) gaps.push(timestamps[i]! - timestamps[i - 1]!);
  if (!gaps.length) return NaN;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}
