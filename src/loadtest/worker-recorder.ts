// A worker's measurements. Memory stays bounded however long the run: one histogram per step for the
// whole run, and per-second buckets (counts plus one histogram) that leave for the main thread every
// half second and are recycled. No per-request sample is ever kept.
import { encodeHistogram, newHistogram, recordUs, toSparse, type Histogram } from './latency-histogram.ts';
import type { IterationCounters, SecondSnapshot, StepCounters, WorkerFinal } from './worker-protocol.ts';

export type ResponseKind = 'ok' | 'status' | 'timeout' | 'connection' | 'interrupted';

interface Bucket {
  sec: number;
  responses: number;
  status: number;
  timeout: number;
  connection: number;
  scheduled: number;
  started: number;
  dropped: number;
  maxInFlight: number;
  maxActive: number;
  hist: Histogram;
}

interface StepStats { counters: StepCounters; hist: Histogram }

/** Check counts by check name: null-prototype, so a check called "__proto__" or "constructor" counts in its own entry. */
export function checkCounts(): StepCounters['checks'] {
  return Object.create(null) as StepCounters['checks'];
}

const MAX_ERROR_SAMPLES = 20;

export class WorkerRecorder {
  private readonly steps = new Map<string, StepStats>();
  private readonly buckets = new Map<number, Bucket>();
  private readonly spare: Histogram[] = [];
  /** Seconds below this were sent to the main thread; later events for them land here instead. */
  private floorSec = 0;
  readonly iterations: IterationCounters = { scheduled: 0, started: 0, completed: 0, failed: 0, dropped: 0, interrupted: 0, skipped: 0, affected: 0, affectedByErrors: 0 };
  private readonly lag = newHistogram();
  /** Time shoppers spent in a waiting room's queue before being let in (µs), one value per shopper let in. */
  private readonly queuedTime = newHistogram();
  private readonly waitingRoom = { polls: 0, stillQueued: 0, failed: 0 };
  private readonly errorSamples = new Map<string, { kind: string; step: string; message: string; count: number }>();
  budgetExhausted = false;

  constructor(stepKeys: string[]) {
    for (const key of stepKeys) {
      this.steps.set(key, {
        counters: { requests: 0, ok: 0, errors: { status: 0, timeout: 0, connection: 0 }, interrupted: 0, bytes: 0, statuses: {}, checks: checkCounts() },
        hist: newHistogram(),
      });
    }
  }

  private last: Bucket | undefined;

  private bucket(sec: number): Bucket {
    const s = sec < this.floorSec ? this.floorSec : sec;
    if (this.last !== undefined && this.last.sec === s) return this.last;
    let b = this.buckets.get(s);
    if (!b) {
      b = {
        sec: s, responses: 0, status: 0, timeout: 0, connection: 0, scheduled: 0, started: 0, dropped: 0, maxInFlight: 0, maxActive: 0,
        hist: this.spare.pop() ?? newHistogram(),
      };
      this.buckets.set(s, b);
    }
    this.last = b;
    return b;
  }

  private lastStep: { key: string; stats: StepStats } | undefined;

  private step(key: string): StepStats {
    if (this.lastStep !== undefined && this.lastStep.key === key) return this.lastStep.stats;
    const s = this.steps.get(key);
    if (!s) throw new Error(`unknown step ${key}`);
    this.lastStep = { key, stats: s };
    return s;
  }

  response(stepKey: string, sec: number, latencyUs: number, kind: ResponseKind, status: number, bytes: number, message?: string): void {
    const st = this.step(stepKey);
    const c = st.counters;
    c.requests++;
    c.bytes += bytes;
    if (kind === 'interrupted') { c.interrupted++; return; }
    const b = this.bucket(sec);
    b.responses++;
    if (status) c.statuses[status] = (c.statuses[status] ?? 0) + 1;
    // Latency covers every answered request and timeouts (a timeout took at least that long);
    // a refused connection has no latency worth averaging in.
    if (kind !== 'connection') {
      recordUs(st.hist, latencyUs);
      recordUs(b.hist, latencyUs);
    }
    switch (kind) {
      case 'ok': c.ok++; return;
      case 'status': c.errors.status++; b.status++; break;
      case 'timeout': c.errors.timeout++; b.timeout++; break;
      case 'connection': c.errors.connection++; b.connection++; break;
    }
    this.sample(kind, stepKey, message ?? (kind === 'status' ? `HTTP ${status}` : kind));
  }

  private sample(kind: string, step: string, message: string): void {
    const key = `${kind}\u0000${step}\u0000${message}`;
    const s = this.errorSamples.get(key);
    if (s) s.count++;
    else if (this.errorSamples.size < MAX_ERROR_SAMPLES) this.errorSamples.set(key, { kind, step, message, count: 1 });
  }

  check(stepKey: string, name: string, pass: boolean): void {
    const checks = this.step(stepKey).counters.checks;
    const c = checks[name] ?? (checks[name] = { pass: 0, fail: 0 });
    if (pass) c.pass++;
    else c.fail++;
  }

  scheduled(sec: number, started: boolean, lagUs: number): void {
    const b = this.bucket(sec);
    b.scheduled++;
    this.iterations.scheduled++;
    if (started) {
      b.started++;
      this.iterations.started++;
      recordUs(this.lag, lagUs);
    } else {
      b.dropped++;
      this.iterations.dropped++;
    }
  }

  /** A closed-model iteration (nothing is scheduled, so nothing can be dropped). */
  startedUnscheduled(sec: number): void {
    const b = this.bucket(sec);
    b.started++;
    this.iterations.started++;
  }

  /** A waiting room answered "still waiting" (429 WAITING_ROOM); the shopper asks again later. */
  waitingRoomPoll(): void {
    this.waitingRoom.polls++;
  }

  /** A shopper was let in after waiting this long in the queue. */
  queued(waitUs: number): void {
    recordUs(this.queuedTime, waitUs);
  }

  /** A queued shopper's refresh failed (a timeout, a refused connection or a 5xx): not let in. */
  failedWhileQueued(): void {
    this.waitingRoom.failed++;
  }

  /** The run ended with a shopper still in the queue. */
  stillQueuedAtEnd(): void {
    this.waitingRoom.stillQueued++;
  }

  concurrency(sec: number, inFlight: number, active: number): void {
    const b = this.bucket(sec);
    if (inFlight > b.maxInFlight) b.maxInFlight = inFlight;
    if (active > b.maxActive) b.maxActive = active;
  }

  /** Takes every bucket below `upTo` (seconds since start) for the main thread. */
  flush(upTo: number): SecondSnapshot[] {
    const out: SecondSnapshot[] = [];
    this.last = undefined;
    for (const [sec, b] of this.buckets) {
      if (sec >= upTo) continue;
      this.buckets.delete(sec);
      const snap: SecondSnapshot = {
        sec, responses: b.responses, errors: { status: b.status, timeout: b.timeout, connection: b.connection },
        scheduled: b.scheduled, started: b.started, dropped: b.dropped, maxInFlight: b.maxInFlight, maxActive: b.maxActive,
      };
      if (b.hist.totalCount > 0) snap.hist = toSparse(b.hist);
      b.hist.reset();
      this.spare.push(b.hist);
      out.push(snap);
    }
    if (upTo > this.floorSec) this.floorSec = upTo;
    return out.sort((a, b) => a.sec - b.sec);
  }

  final(): WorkerFinal {
    return {
      steps: [...this.steps].map(([key, s]) => ({ key, counters: s.counters, hist: encodeHistogram(s.hist) })),
      iterations: this.iterations,
      startLag: encodeHistogram(this.lag),
      waitingRoom: { polls: this.waitingRoom.polls, stillQueued: this.waitingRoom.stillQueued, failedWhileQueued: this.waitingRoom.failed, queued: encodeHistogram(this.queuedTime) },
      errorSamples: [...this.errorSamples.values()],
      budgetExhausted: this.budgetExhausted,
    };
  }
}
