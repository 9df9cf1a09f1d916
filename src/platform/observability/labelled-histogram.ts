// A Prometheus histogram for the per-request hot path (HTTP requests, database queries). prom-client's
// Histogram validates and hashes the label set on every observation, even through a child from
// labels(); here a child is looked up once per label set and an observation is a bucket search and
// three additions. The exposition is prom-client's own (the metric registers in the same registry and
// renders through it), so /metrics, the control role's scraper and Prometheus see no difference.
import type { Registry } from 'prom-client';

export interface HistogramChild {
  observe(seconds: number): void;
}

interface Series extends HistogramChild {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export interface LabelledHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds in seconds, ascending; +Inf is implied. */
  buckets: readonly number[];
  registers: Registry[];
}

/** Metric value shape prom-client's registry renders (see Registry.getMetricsAsString). */
interface MetricValue { labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }

export class LabelledHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #labelNames: readonly L[];
  readonly #bounds: Float64Array;
  readonly #series = new Map<string, Series>();

  constructor(opts: LabelledHistogramOptions<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.#labelNames = opts.labelNames;
    for (let i = 1; i < opts.buckets.length; i++) {
      if (!(opts.buckets[i]! > opts.buckets[i - 1]!)) throw new Error(`${opts.name}: buckets must be strictly ascending`);
    }
    this.#bounds = Float64Array.from(opts.buckets);
    for (const registry of opts.registers) registry.registerMetric(this as never);
  }

  /** The series for one label set (every label name must be given); keep it to observe without lookups. */
  labels(values: Record<L, string>): HistogramChild {
    let key = '';
    for (const name of this.#labelNames) {
      const v = values[name];
      if (typeof v !== 'string') throw new Error(`${this.name}: label "${name}" is missing`);
      key += `${v}\u0000`;
    }
    let series = this.#series.get(key);
    if (!series) {
      const labels: Record<string, string> = {};
      for (const name of this.#labelNames) labels[name] = values[name];
      const bounds = this.#bounds;
      const counts = new Float64Array(bounds.length + 1);
      const s: Series = {
        labels, counts, sum: 0, count: 0,
        observe(seconds: number) {
          if (!Number.isFinite(seconds)) return;
          let i = 0;
          while (i < bounds.length && seconds > bounds[i]!) i++;
          counts[i]!++;
          s.sum += seconds;
          s.count++;
        },
      };
      series = s;
      this.#series.set(key, series);
    }
    return series;
  }

  /** Starts a timer; the returned function observes the elapsed seconds under the given plus extra labels. */
  startTimer(labels: Partial<Record<L, string>>): (extra?: Partial<Record<L, string>>) => number {
    const start = process.hrtime.bigint();
    return (extra) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.labels({ ...labels, ...extra } as Record<L, string>).observe(seconds);
      return seconds;
    };
  }

  /** The metric with every label on each value, as prom-client's get() gives it (JSON export). */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const metric = await this.getForPromString();
    return { ...metric, values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, ...v.sharedLabels }, sharedLabels: {} })) };
  }

  /** What prom-client's registry renders /metrics from. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const s of this.#series.values()) {
      // As prom-client lays them out: `le` as the value's own label, the series' labels as shared ones.
      const shared = s.labels;
      let cumulative = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le: this.#bounds[i]! }, sharedLabels: shared, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: shared, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series (children handed out by labels() stay valid). */
  reset(): void {
    for (const s of this.#series.values()) { s.counts.fill(0); s.sum = 0; s.count = 0; }
  }
}
