// The run over time, as the charts and the live progress need it: one point per second, merged across
// workers (histograms added, so a point's percentiles are exact), finalised once every worker has
// reported past that second. Memory is bounded whatever the run length: past MAX_POINTS points the
// series halves its resolution (pairs merge; a merged point's percentiles are the higher of the two,
// a conservative reading), so a day-long soak keeps a few thousand points.
import { addSparse, newHistogram, type Histogram } from './latency-histogram.ts';
import type { ErrorCounts, SecondSnapshot } from './worker-protocol.ts';

export interface SeriesPoint {
  /** Start of the point, in seconds since the run started, and how many seconds it covers. */
  t: number;
  width: number;
  /** Responses (and timeouts/connection failures) that completed in the point. */
  responses: number;
  errors: ErrorCounts;
  /** Iterations due (open model), started, and dropped (no free in-flight slot). */
  scheduled: number;
  started: number;
  dropped: number;
  /** The planned arrival rate (iterations/s, open model) or VU count (closed model) mid-point. */
  planned: number;
  /** Latency percentiles of the point's responses, ms; null when nothing completed. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  /** Highest number of requests in flight, and of iterations in flight / active VUs. */
  inFlight: number;
  active: number;
}

export const MAX_POINTS = 3600;

interface Pending {
  responses: number;
  errors: ErrorCounts;
  scheduled: number;
  started: number;
  dropped: number;
  inFlight: number;
  active: number;
  hist: Histogram | undefined;
}

const ms = (h: Histogram | undefined, p: number) => (h && h.totalCount ? h.getValueAtPercentile(p) / 1000 : null);
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

export class RunSeries {
  private readonly pending = new Map<number, Pending>();
  private readonly watermarks: number[];
  private finalizedUpTo = 0;
  private width = 1;
  private open: { point: SeriesPoint; hist: Histogram } | undefined;
  readonly points: SeriesPoint[] = [];
  /** Every response's latency (µs), for the run's overall figures. */
  readonly total: Histogram = newHistogram();
  readonly totals = { responses: 0, errors: 0, scheduled: 0, started: 0, dropped: 0 };
  private readonly planned: (t: number) => number;
  private readonly onPoint?: (p: SeriesPoint) => void;

  constructor(workers: number, planned: (t: number) => number, onPoint?: (p: SeriesPoint) => void) {
    this.watermarks = new Array<number>(workers).fill(0);
    this.planned = planned;
    this.onPoint = onPoint;
  }

  /** The latest finalised second-level point (for live progress). */
  latest: SeriesPoint | undefined;

  add(worker: number, upTo: number, seconds: SecondSnapshot[]): void {
    for (const s of seconds) {
      let p = this.pending.get(s.sec);
      if (!p) {
        p = { responses: 0, errors: { status: 0, timeout: 0, connection: 0 }, scheduled: 0, started: 0, dropped: 0, inFlight: 0, active: 0, hist: undefined };
        this.pending.set(s.sec, p);
      }
      p.responses += s.responses;
      p.errors.status += s.errors.status;
      p.errors.timeout += s.errors.timeout;
      p.errors.connection += s.errors.connection;
      p.scheduled += s.scheduled;
      p.started += s.started;
      p.dropped += s.dropped;
      // Sums of per-worker maxima: an upper bound of the true maximum, exact with one worker.
      p.inFlight += s.maxInFlight;
      p.active += s.maxActive;
      if (s.hist) {
        p.hist ??= newHistogram();
        addSparse(p.hist, s.hist);
      }
      const t = this.totals;
      t.responses += s.responses;
      t.errors += s.errors.status + s.errors.timeout + s.errors.connection;
      t.scheduled += s.scheduled;
      t.started += s.started;
      t.dropped += s.dropped;
    }
    if (Number.isFinite(upTo)) this.watermarks[worker] = Math.max(this.watermarks[worker]!, upTo);
    this.finalize(Math.min(...this.watermarks));
  }

  /** Everything left, at the end of the run, up to `endSec` (exclusive) or the last pending second. */
  finish(endSec: number): void {
    const last = Math.max(endSec, ...[...this.pending.keys()].map((k) => k + 1));
    this.finalize(last);
    this.flushOpen();
  }

  private finalize(upTo: number): void {
    for (let sec = this.finalizedUpTo; sec < upTo; sec++) {
      const p = this.pending.get(sec);
      this.pending.delete(sec);
      const point: SeriesPoint = {
        t: sec, width: 1,
        responses: p?.responses ?? 0,
        errors: p?.errors ?? { status: 0, timeout: 0, connection: 0 },
        scheduled: p?.scheduled ?? 0, started: p?.started ?? 0, dropped: p?.dropped ?? 0,
        planned: this.planned(sec + 0.5),
        p50: ms(p?.hist, 50), p90: ms(p?.hist, 90), p99: ms(p?.hist, 99), max: p?.hist?.totalCount ? p.hist.maxValue / 1000 : null,
        inFlight: p?.inFlight ?? 0, active: p?.active ?? 0,
      };
      if (p?.hist) this.total.add(p.hist);
      this.latest = point;
      this.onPoint?.(point);
      this.append(point, p?.hist);
      p?.hist?.destroy();
    }
    if (upTo > this.finalizedUpTo) this.finalizedUpTo = upTo;
  }

  private spareHist: Histogram | undefined;

  private append(point: SeriesPoint, hist: Histogram | undefined): void {
    if (this.width === 1 && !this.open) { this.commit(point); return; }
    // Merged points end on multiples of the current width; the first after a halving may be shorter.
    if (!this.open) {
      this.open = {
        point: {
          t: point.t, width: 0, responses: 0, errors: { status: 0, timeout: 0, connection: 0 }, scheduled: 0, started: 0, dropped: 0,
          planned: 0, p50: null, p90: null, p99: null, max: null, inFlight: 0, active: 0,
        },
        hist: this.spareHist ?? newHistogram(),
      };
      this.spareHist = undefined;
    }
    const o = this.open.point;
    o.width += point.width;
    o.responses += point.responses;
    o.errors.status += point.errors.status;
    o.errors.timeout += point.errors.timeout;
    o.errors.connection += point.errors.connection;
    o.scheduled += point.scheduled;
    o.started += point.started;
    o.dropped += point.dropped;
    o.inFlight = Math.max(o.inFlight, point.inFlight);
    o.active = Math.max(o.active, point.active);
    o.planned = this.planned(o.t + o.width / 2);
    const h = this.open.hist;
    if (hist) h.add(hist);
    o.p50 = ms(h, 50); o.p90 = ms(h, 90); o.p99 = ms(h, 99); o.max = h.totalCount ? h.maxValue / 1000 : null;
    if ((o.t + o.width) % this.width === 0 || o.width >= this.width) this.flushOpen();
  }

  private flushOpen(): void {
    if (!this.open) return;
    this.commit(this.open.point);
    this.open.hist.reset();
    this.spareHist = this.open.hist;
    this.open = undefined;
  }

  private commit(point: SeriesPoint): void {
    if (point.width === 0) return;
    this.points.push({ ...point, errors: { ...point.errors } });
    if (this.points.length > MAX_POINTS) this.halve();
  }

  private halve(): void {
    const merged: SeriesPoint[] = [];
    for (let i = 0; i < this.points.length; i += 2) {
      const a = this.points[i]!;
      const b = this.points[i + 1];
      if (!b) { merged.push(a); continue; }
      merged.push({
        t: a.t, width: a.width + b.width,
        responses: a.responses + b.responses,
        errors: { status: a.errors.status + b.errors.status, timeout: a.errors.timeout + b.errors.timeout, connection: a.errors.connection + b.errors.connection },
        scheduled: a.scheduled + b.scheduled, started: a.started + b.started, dropped: a.dropped + b.dropped,
        planned: (a.planned + b.planned) / 2,
        p50: maxOf(a.p50, b.p50), p90: maxOf(a.p90, b.p90), p99: maxOf(a.p99, b.p99), max: maxOf(a.max, b.max),
        inFlight: Math.max(a.inFlight, b.inFlight), active: Math.max(a.active, b.active),
      });
    }
    this.points.length = 0;
    this.points.push(...merged);
    this.width *= 2;
  }
}
