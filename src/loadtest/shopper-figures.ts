// What a run's shopper records (shopper-trace.ts) say about a shop under overload: goodput by the SLOs,
// latency per journey and per SLO, errors by status, and for shoppers a waiting room queued, their wait,
// how good the room's estimate was, and whether they were let in in the order they arrived.
import type { ShopperRecord, SloRule } from './shopper-trace.ts';

export interface ShopperFigures {
  shoppers: number;
  /** Journeys completed with every request answered as expected and inside its SLO. */
  goodJourneys: number;
  /** From the first shopper's due time to the last shopper's end (s): the time the goodput is over. */
  spanSec: number;
  goodputPerSec: number;
  /** Per journey: shoppers, completed, good, and the latency of its requests (those answered or timed out). */
  journeys: Record<string, { shoppers: number; completed: number; good: number; requests: number; p50Ms: number; p99Ms: number }>;
  /** Per SLO rule: its requests, their p99 and how many were over the threshold. */
  slos: Record<string, { thresholdMs: number; requests: number; p99Ms: number; over: number }>;
  /** Requests not answered as expected, by HTTP status ("0": timed out or no connection). */
  errorsByStatus: Record<string, number>;
  fiveXx: number;
  queue: QueueFigures;
}

export interface QueueFigures {
  /** Shoppers the room told to wait at least once. */
  queued: number;
  share: number;
  /** Of those: let in before the run ended; failed while waiting (a timeout or 5xx to a refresh); still waiting at its end. */
  admitted: number;
  leftOnError: number;
  stillWaiting: number;
  /** Shoppers let in and later told to wait again (their session lapsed mid-journey). */
  requeued: number;
  /** Wait from the first "still waiting" answer to the answer that let them in (ms), of those let in. */
  waitP50Ms: number;
  waitP95Ms: number;
  waitMaxMs: number;
  /** |estimate on the first answer − actual wait| ÷ actual wait, median, over shoppers let in whose estimate was known. */
  estimateErrorP50: number;
  /** (estimate − actual) ÷ actual, median: positive when the room over-estimates. */
  estimateBiasP50: number;
  estimates: number;
  /**
   * Order of admission against order of arrival. Shopper A arrived before B when A's first "still waiting"
   * answer came back before B's first request was sent; B overtook A when A was told "still waiting" on a
   * request sent after B's answer letting B in had arrived. Both orders are certain from the client's side
   * alone (no clock of the server is needed, and polling at intervals cannot make a false inversion).
   */
  fifo: { comparablePairs: number; invertedPairs: number; pairShare: number; overtaken: number; overtakenShare: number };
}

/** Nearest-rank percentile of unsorted values (NaN for none). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function shopperFigures(records: readonly ShopperRecord[], rules: readonly SloRule[]): ShopperFigures {
  const journeys: ShopperFigures['journeys'] = {};
  const journeyLatencies = new Map<string, number[]>();
  const sloLatencies = rules.map(() => [] as number[]);
  const errorsByStatus: Record<string, number> = {};
  let good = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    first = Math.min(first, r.startedAt);
    last = Math.max(last, r.endedAt);
    const j = (journeys[r.journey] ??= { shoppers: 0, completed: 0, good: 0, requests: 0, p50Ms: Number.NaN, p99Ms: Number.NaN });
    j.shoppers++;
    let inside = true;
    const lat = journeyLatencies.get(r.journey) ?? [];
    journeyLatencies.set(r.journey, lat);
    for (const [rule, latencyMs, status, ok] of r.requests) {
      lat.push(latencyMs);
      if (rule >= 0) sloLatencies[rule]!.push(latencyMs);
      if (!ok) {
        inside = false;
        errorsByStatus[String(status)] = (errorsByStatus[String(status)] ?? 0) + 1;
      } else if (rule >= 0 && latencyMs > rules[rule]!.thresholdMs) inside = false;
    }
    if (r.outcome === 'completed') {
      j.completed++;
      if (inside) { j.good++; good++; }
    }
  }
  for (const [name, lat] of journeyLatencies) Object.assign(journeys[name]!, { requests: lat.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) });
  const slos: ShopperFigures['slos'] = {};
  rules.forEach((rule, i) => {
    const lat = sloLatencies[i]!;
    slos[rule.name] = { thresholdMs: rule.thresholdMs, requests: lat.length, p99Ms: percentile(lat, 99), over: lat.filter((v) => v > rule.thresholdMs).length };
  });
  const spanSec = records.length ? Math.max(0.001, (last - first) / 1000) : 0;
  return {
    shoppers: records.length, goodJourneys: good, spanSec, goodputPerSec: spanSec ? good / spanSec : 0, journeys, slos, errorsByStatus,
    fiveXx: Object.entries(errorsByStatus).filter(([s]) => Number(s) >= 500).reduce((n, [, v]) => n + v, 0),
    queue: queueFigures(records),
  };
}

function queueFigures(records: readonly ShopperRecord[]): QueueFigures {
  const queued = records.filter((r) => r.queue !== null).map((r) => r.queue!);
  const admitted = queued.filter((q) => q.admittedAnsweredAt !== null);
  const waits = admitted.map((q) => q.admittedAnsweredAt! - q.firstAnsweredAt);
  const errors: number[] = [];
  const biases: number[] = [];
  for (const q of admitted) {
    const actualS = (q.admittedAnsweredAt! - q.firstAnsweredAt) / 1000;
    if (!q.waitTimeKnown || q.waitTimeSeconds === null || actualS <= 0) continue;
    errors.push(Math.abs(q.waitTimeSeconds - actualS) / actualS);
    biases.push((q.waitTimeSeconds - actualS) / actualS);
  }
  return {
    queued: queued.length, share: records.length ? queued.length / records.length : 0,
    admitted: admitted.length, leftOnError: queued.filter((q) => q.leftOnError).length,
    stillWaiting: queued.filter((q) => q.admittedAnsweredAt === null && !q.leftOnError).length, requeued: queued.filter((q) => q.requeued > 0).length,
    waitP50Ms: percentile(waits, 50), waitP95Ms: percentile(waits, 95), waitMaxMs: waits.length ? Math.max(...waits) : Number.NaN,
    estimateErrorP50: percentile(errors, 50), estimateBiasP50: percentile(biases, 50), estimates: errors.length,
    fifo: fifoFigures(admitted.map((q) => ({ firstSentAt: q.firstSentAt, firstAnsweredAt: q.firstAnsweredAt, lastWaitingSentAt: q.lastWaitingSentAt, admittedAt: q.admittedAnsweredAt! }))),
  };
}

interface Admission { firstSentAt: number; firstAnsweredAt: number; lastWaitingSentAt: number; admittedAt: number }

/**
 * FIFO figures over shoppers let in (see QueueFigures.fifo). For each A, the shoppers B that arrived after
 * it are those with B.firstSentAt > A.firstAnsweredAt; of them, B overtook A when B.admittedAt <
 * A.lastWaitingSentAt. Counted with a sweep over A by firstAnsweredAt, descending, inserting the B's by
 * firstSentAt, descending, into a Fenwick tree over the ranks of admittedAt: O(n log n).
 */
export function fifoFigures(shoppers: readonly Admission[]): QueueFigures['fifo'] {
  const n = shoppers.length;
  const admittedSorted = shoppers.map((s) => s.admittedAt).sort((a, b) => a - b);
  const tree = new Array<number>(n + 1).fill(0);
  const add = (i: number) => { for (let k = i + 1; k <= n; k += k & -k) tree[k]!++; };
  const prefix = (count: number) => { let sum = 0; for (let k = count; k > 0; k -= k & -k) sum += tree[k]!; return sum; };
  /** Index of the first value ≥ v in admittedSorted (the number of values below v). */
  const below = (v: number) => { let lo = 0; let hi = n; while (lo < hi) { const mid = (lo + hi) >> 1; if (admittedSorted[mid]! < v) lo = mid + 1; else hi = mid; } return lo; };
  const rankOf = (v: number) => below(v);
  const used = new Array<number>(n).fill(0);
  const bySent = [...shoppers].sort((a, b) => b.firstSentAt - a.firstSentAt);
  const byAnswered = [...shoppers].sort((a, b) => b.firstAnsweredAt - a.firstAnsweredAt);
  let inserted = 0;
  let next = 0;
  let comparablePairs = 0;
  let invertedPairs = 0;
  let overtaken = 0;
  for (const a of byAnswered) {
    while (next < n && bySent[next]!.firstSentAt > a.firstAnsweredAt) {
      // Equal admission times share a rank: each takes the next free slot of its rank.
      const base = rankOf(bySent[next]!.admittedAt);
      add(base + used[base]!++);
      inserted++;
      next++;
    }
    comparablePairs += inserted;
    const inv = prefix(below(a.lastWaitingSentAt));
    invertedPairs += inv;
    if (inv > 0) overtaken++;
  }
  return {
    comparablePairs, invertedPairs, pairShare: comparablePairs ? invertedPairs / comparablePairs : 0,
    overtaken, overtakenShare: n ? overtaken / n : 0,
  };
}
