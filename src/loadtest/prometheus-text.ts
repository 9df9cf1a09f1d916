// Scrapes of the Prometheus text exposition format (what GET /metrics answers), read with the project's
// one parser, made comparable: samples with their labels, gauges by label, counter deltas, and histogram
// buckets.
import { parsePrometheusText, parseValue, type PromSample } from '../platform/observability/prometheus-text.ts';
import { quantileUpperBound } from '../platform/observability/histogram-quantile.ts';

export type Sample = PromSample;

export class MetricSnapshot {
  readonly samples: Sample[];
  /** performance.now() of the scrape. */
  readonly at: number;
  readonly source: string;

  constructor(samples: Sample[], at: number, source: string) {
    this.samples = samples;
    this.at = at;
    this.source = source;
  }

  /** A scrape's text as a snapshot; NaN readings are left out (they compare to nothing). */
  static fromText(text: string, at: number, source: string): MetricSnapshot {
    return new MetricSnapshot(parsePrometheusText(text).filter((s) => !Number.isNaN(s.value)), at, source);
  }

  all(name: string, match: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }

  value(name: string, match: Record<string, string> = {}): number | undefined {
    return this.all(name, match)[0]?.value;
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

const labelKey = (labels: Record<string, string>, without: string[] = []) =>
  Object.entries(labels).filter(([k]) => !without.includes(k)).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');

/** Per-series increase of a counter between two scrapes (a reset counts from 0). */
export function counterDeltas(before: MetricSnapshot | undefined, after: MetricSnapshot, name: string): { labels: Record<string, string>; delta: number }[] {
  const prev = new Map((before?.all(name) ?? []).map((s) => [labelKey(s.labels), s.value]));
  return after.all(name).map((s) => {
    const p = prev.get(labelKey(s.labels)) ?? 0;
    return { labels: s.labels, delta: s.value >= p ? s.value - p : s.value };
  });
}

/**
 * A counter's per-second increase per series across a sequence of scrapes, each series against the last
 * sample seen of it (kept across scrapes that missed it, such as a role whose scrape failed; a reset counts
 * from 0). A series seen for the first time has no rate yet: its total is everything since its process
 * started, not the increase of one interval.
 */
export class CounterRates {
  readonly #name: string;
  readonly #last = new Map<string, { value: number; at: number }>();

  constructor(name: string) {
    this.#name = name;
  }

  /** The rates at this scrape (snapshots in the order they were taken). */
  next(snap: MetricSnapshot): { labels: Record<string, string>; perSecond: number }[] {
    const out: { labels: Record<string, string>; perSecond: number }[] = [];
    for (const s of snap.all(this.#name)) {
      const key = labelKey(s.labels);
      const last = this.#last.get(key);
      if (last && snap.at > last.at) out.push({ labels: s.labels, perSecond: (s.value >= last.value ? s.value - last.value : s.value) / ((snap.at - last.at) / 1000) });
      if (!last || snap.at > last.at) this.#last.set(key, { value: s.value, at: snap.at });
    }
    return out;
  }
}

export interface HistogramDelta {
  labels: Record<string, string>;
  count: number;
  sum: number;
  /** Cumulative bucket counts by upper bound (seconds). */
  buckets: { le: number; count: number }[];
}

/** Increase of each histogram series (grouped by labels other than `le`) between two scrapes. */
export function histogramDeltas(before: MetricSnapshot | undefined, after: MetricSnapshot, name: string): HistogramDelta[] {
  const groups = new Map<string, HistogramDelta>();
  const get = (labels: Record<string, string>) => {
    const key = labelKey(labels, ['le']);
    let g = groups.get(key);
    if (!g) {
      const rest = { ...labels };
      delete rest.le;
      g = { labels: rest, count: 0, sum: 0, buckets: [] };
      groups.set(key, g);
    }
    return g;
  };
  for (const d of counterDeltas(before, after, `${name}_count`)) get(d.labels).count = d.delta;
  for (const d of counterDeltas(before, after, `${name}_sum`)) get(d.labels).sum = d.delta;
  for (const d of counterDeltas(before, after, `${name}_bucket`)) get(d.labels).buckets.push({ le: parseValue(d.labels.le ?? '+Inf'), count: d.delta });
  for (const g of groups.values()) g.buckets.sort((a, b) => a.le - b.le);
  return [...groups.values()];
}

/** The bucket bound below which `q` (0..1) of a histogram delta's observations fall: an upper bound on that quantile. */
export function deltaQuantileUpperBound(h: HistogramDelta, q: number): number {
  return quantileUpperBound(h.buckets.map((b) => [b.le, b.count] as const), h.count, q);
}
