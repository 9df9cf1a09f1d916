// The control role's bounded in-memory time-series window: one ring of reading times shared by every
// series, and one fixed-size Float64Array ring per series (NaN = no reading). Memory is capacity x
// series x 8 bytes and both are capped, so an hour at 1 s for a few hundred series is a few MB.

export interface SeriesSlice { timestamps: number[]; values: number[] }

/** What the root-cause analysis reads of a window. */
export interface ReadingsView {
  names(): string[];
  slice(name: string, from?: number): SeriesSlice;
}

/**
 * The window without the readings inside `periods` (unix s, inclusive): an earlier incident's readings are
 * not a baseline. The rows are removed, not blanked, so that rules counting a series' readings against the
 * rows of its baseline (the ranking judges a metric only with readings in a quarter of them) count the
 * rows that remain: with faults a minute apart, blanked rows left no metric judged.
 */
export function withoutPeriods(window: ReadingsView, periods: readonly { from: number; to: number }[]): ReadingsView {
  if (!periods.length) return window;
  const inside = (t: number) => periods.some((p) => t >= p.from && t <= p.to);
  return {
    names: () => window.names(),
    slice: (name, from) => {
      const s = window.slice(name, from);
      const keep = s.timestamps.map((t) => !inside(t));
      return { timestamps: s.timestamps.filter((_, i) => keep[i]), values: s.values.filter((_, i) => keep[i]) };
    },
  };
}

export class SeriesWindow {
  readonly capacity: number;
  readonly maxSeries: number;
  private readonly times: Float64Array;
  private readonly series = new Map<string, Float64Array>();
  private head = 0; // next write position
  private size = 0;
  dropped = 0;

  constructor(capacity: number, maxSeries = 4000) {
    this.capacity = Math.max(2, Math.floor(capacity));
    this.maxSeries = maxSeries;
    this.times = new Float64Array(this.capacity).fill(NaN);
  }

  get length(): number { return this.size; }

  /** Appends one reading time with the values of the series that have one (the others get NaN). */
  push(time: number, values: ReadonlyMap<string, number>): void {
    const at = this.head;
    this.times[at] = time;
    for (const ring of this.series.values()) ring[at] = NaN;
    for (const [name, v] of values) {
      let ring = this.series.get(name);
      if (!ring) {
        if (this.series.size >= this.maxSeries) { this.dropped++; continue; }
        ring = new Float64Array(this.capacity).fill(NaN);
        this.series.set(name, ring);
      }
      ring[at] = v;
    }
    this.head = (at + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  names(): string[] { return [...this.series.keys()]; }

  /** Oldest-first index positions of the readings at or after `from` (unix s). */
  private positions(from = -Infinity): number[] {
    const out: number[] = [];
    const start = (this.head - this.size + this.capacity) % this.capacity;
    for (let i = 0; i < this.size; i++) {
      const p = (start + i) % this.capacity;
      if (this.times[p]! >= from) out.push(p);
    }
    return out;
  }

  timestamps(from?: number): number[] { return this.positions(from).map((p) => this.times[p]!); }

  slice(name: string, from?: number): SeriesSlice {
    const ring = this.series.get(name);
    const pos = this.positions(from);
    return { timestamps: pos.map((p) => this.times[p]!), values: pos.map((p) => (ring ? ring[p]! : NaN)) };
  }

  /** The last `n` values of a series (oldest first). */
  last(name: string, n: number): number[] {
    const ring = this.series.get(name);
    const out: number[] = [];
    for (let i = Math.min(n, this.size); i >= 1; i--) {
      const p = (this.head - i + this.capacity) % this.capacity;
      out.push(ring ? ring[p]! : NaN);
    }
    return out;
  }

  /** Sum of a series' finite values over readings at or after `from`. */
  sumSince(name: string, from: number): number {
    const ring = this.series.get(name);
    if (!ring) return 0;
    let s = 0;
    for (const p of this.positions(from)) { const v = ring[p]!; if (Number.isFinite(v)) s += v; }
    return s;
  }

  latestTime(): number {
    return this.size ? this.times[(this.head - 1 + this.capacity) % this.capacity]! : NaN;
  }
}
