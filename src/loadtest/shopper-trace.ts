// One record per shopper (iteration), kept only when a run asks for it (`traceShoppers`): what the overload
// bench needs and the aggregate figures cannot give. Whether every request of a journey was inside its
// SLO (goodput), and for a shopper a waiting room queued, what the room told them on arrival (position,
// estimated wait) and when they were let in, so that the estimate can be checked against the wait and the
// order of admission against the order of arrival. Times are epoch milliseconds
// (performance.timeOrigin + performance.now()), so that records from different worker threads compare.
//
// Memory: a record is a few numbers per request of the journey; a run keeps at most `maxRecords` a worker
// (the rest are counted in `dropped`), so a long run cannot grow without bound.
import type { HttpOutcome } from './http-dispatch.ts';
import { waitingRoomHeader } from './waiting-room-answer.ts';

/** A latency objective for some requests, as the shop's SLOs define them (method, route prefixes). */
export interface SloRule {
  name: string;
  /** Absent: any method. */
  method?: string;
  routePrefixes: string[];
  excludePrefixes?: string[];
  thresholdMs: number;
}

export interface TraceOptions {
  sloRules: SloRule[];
  /** Records kept per worker thread at most. */
  maxRecords: number;
}

/** What the waiting room told a shopper on their first "still waiting" answer and afterwards. */
export interface QueueTrace {
  /** The first request that was answered "still waiting": when it was sent and answered. */
  firstSentAt: number;
  firstAnsweredAt: number;
  /** Position and estimated wait on that first answer (null when the answer had none). */
  position: number | null;
  waitTimeKnown: boolean;
  waitTimeSeconds: number | null;
  /** When the last "still waiting" request was sent (the room had not let them in by then). */
  lastWaitingSentAt: number;
  /** When the answer that let them in arrived; null when the run ended with them still waiting, or they left on an error. */
  admittedAnsweredAt: number | null;
  /**
   * The answer after the last "still waiting" was no answer (a timeout, a refused connection) or a 5xx: the
   * shop failed them while they waited, and the journey ended there. Not an admission.
   */
  leftOnError: boolean;
  polls: number;
  /** Times the shopper, once let in, was told to wait again (a lapsed session): not part of the figures above. */
  requeued: number;
}

export interface ShopperRecord {
  journey: string;
  outcome: 'completed' | 'failed' | 'interrupted' | 'budget';
  /** When the journey was due to start, and when it ended. */
  startedAt: number;
  endedAt: number;
  /** Each answered (or timed-out) request: [index into the run's SLO rules or -1, latency ms, HTTP status (0 for none), 1 if ok else 0]. */
  requests: [number, number, number, number][];
  queue: QueueTrace | null;
}

const epochNow = () => performance.timeOrigin + performance.now();

/** The index of the first rule that covers this request, or -1. */
export function sloRuleFor(rules: readonly SloRule[], method: string, path: string): number {
  const pathOnly = path.split('?', 1)[0]!;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.method !== undefined && r.method !== method) continue;
    if (!r.routePrefixes.some((p) => pathOnly.startsWith(p))) continue;
    if (r.excludePrefixes?.some((p) => pathOnly.startsWith(p))) continue;
    return i;
  }
  return -1;
}

/** The position and estimated wait of a waiting room's answer (Holdfast's header, or the JSON {"waitingRoom":{...}}), when it has them. */
function roomStatus(outcome: HttpOutcome): { position: number | null; waitTimeKnown: boolean; waitTimeSeconds: number | null } {
  const header = waitingRoomHeader(outcome);
  if (header) return { position: header.position, waitTimeKnown: header.waitSeconds !== null, waitTimeSeconds: header.waitSeconds };
  try {
    const room = (JSON.parse(outcome.body) as { waitingRoom?: { position?: unknown; waitTimeKnown?: unknown; waitTimeSeconds?: unknown } }).waitingRoom;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    return { position: num(room?.position), waitTimeKnown: room?.waitTimeKnown === true, waitTimeSeconds: num(room?.waitTimeSeconds) };
  } catch {
    return { position: null, waitTimeKnown: false, waitTimeSeconds: null };
  }
}

/** One shopper's record as their journey runs. */
export class ShopperTracer {
  private readonly record: ShopperRecord;
  private readonly rules: readonly SloRule[];
  private readonly done: (r: ShopperRecord) => void;
  /** Told to wait again after being let in, and not let in since. */
  private waitingAgain = false;

  constructor(journey: string, startedAt: number, rules: readonly SloRule[], done: (r: ShopperRecord) => void) {
    this.record = { journey, outcome: 'interrupted', startedAt, endedAt: 0, requests: [], queue: null };
    this.rules = rules;
    this.done = done;
  }

  /** A "still waiting" answer, to a request sent at `sentAt` (performance.now() of this thread), arrived now. */
  waiting(outcome: HttpOutcome, sentAtPerf: number): void {
    const answeredAt = epochNow();
    const sentAt = performance.timeOrigin + sentAtPerf;
    const q = this.record.queue;
    if (q && q.admittedAnsweredAt !== null) {
      // Let in, then sent back (their session lapsed): counted; the first wait is the one measured.
      if (!this.waitingAgain) q.requeued++;
      this.waitingAgain = true;
      return;
    }
    if (q) {
      q.lastWaitingSentAt = sentAt;
      q.polls++;
      return;
    }
    this.record.queue = { firstSentAt: sentAt, firstAnsweredAt: answeredAt, ...roomStatus(outcome), lastWaitingSentAt: sentAt, admittedAnsweredAt: null, leftOnError: false, polls: 1, requeued: 0 };
  }

  /**
   * The first answer after "still waiting" arrived now: it let the shopper in, unless it was no answer or a
   * 5xx (then they leave the queue on an error). After a second wait, the first admission stands.
   */
  leftQueue(outcome: HttpOutcome): void {
    const q = this.record.queue;
    if (q && q.admittedAnsweredAt === null && !q.leftOnError) {
      if (outcome.failure || outcome.status >= 500) q.leftOnError = true;
      else q.admittedAnsweredAt = epochNow();
    }
    this.waitingAgain = false;
  }

  response(method: string, path: string, latencyMs: number, status: number, ok: boolean): void {
    this.record.requests.push([sloRuleFor(this.rules, method, path), Math.round(latencyMs * 10) / 10, status, ok ? 1 : 0]);
  }

  end(outcome: ShopperRecord['outcome']): void {
    this.record.outcome = outcome;
    this.record.endedAt = epochNow();
    this.done(this.record);
  }
}

/** A worker's records. */
export class ShopperTraces {
  readonly records: ShopperRecord[] = [];
  /** Shoppers not traced because the worker already traced maxRecords. */
  dropped = 0;
  private begun = 0;
  private readonly options: TraceOptions;

  constructor(options: TraceOptions) {
    this.options = options;
  }

  /** A tracer for a shopper due at `intendedStart` (performance.now() of this thread), or undefined past maxRecords. */
  begin(journey: string, intendedStart: number): ShopperTracer | undefined {
    if (this.begun >= this.options.maxRecords) {
      this.dropped++;
      return undefined;
    }
    this.begun++;
    return new ShopperTracer(journey, performance.timeOrigin + intendedStart, this.options.sloRules, (r) => this.records.push(r));
  }
}
