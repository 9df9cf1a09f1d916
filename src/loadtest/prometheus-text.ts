// A reader for the Prometheus text exposition format (what GET /metrics answers), enough to compare
// scrapes: samples with their labels, gauges by label, counter deltas, and histogram buckets.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${line}`);
    const name = text.slice(i, eq).trim();
    if (text[eq + 1] !== '"') throw new Error(`bad label value in: ${line}`);
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\' && j + 1 < text.length) {
        const next = text[j + 1];
        value += next === 'n' ? '\n' : next;
        j += 2;
      } else {
        value += text[j];
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
  }
  return labels;
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

export function parsePrometheusText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    let name: string;
    let labels: Record<string, string> = {};
    let rest: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      // The closing brace is the last '}' before the value (label values may contain braces).
      const close = line.lastIndexOf('}');
      labels = parseLabels(line.slice(brace + 1, close), line);
      rest = line.slice(close + 1).trim();
    } else {
      name = line.slice(0, space);
      rest = line.slice(space + 1).trim();
    }
    const value = parseValue(rest.split(/\s+/)[0] ?? '');
    if (name && !Number.isNaN(value)) out.push({ name, labels, value });
  }
  return out;
}

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
export function bucketQuantile(h: HistogramDelta, q: number): number {
  const target = h.count * q;
  for (const b of h.buckets) if (b.count >= target) return b.le;
  return Number.POSITIVE_INFINITY;
}
