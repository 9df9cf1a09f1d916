// What the main thread and the worker threads tell each other. Everything here is structured-clone
// data; per-second histograms travel as their non-empty buckets, the end-of-run histograms as
// HdrHistogram's compressed base64 encoding, and both are merged exactly on arrival.
import type { SparseHistogram } from './latency-histogram.ts';
import type { LoadModel, ScenarioSource, Vars } from './scenario-types.ts';
import type { ShopperRecord, TraceOptions } from './shopper-trace.ts';

export interface WorkerInit {
  index: number;
  count: number;
  source: ScenarioSource;
  /** Extra thresholds do not matter to workers; the load model is resolved once, in the main thread. */
  load: LoadModel;
  targetUrl: string;
  allowRemote: boolean;
  /** This worker's share of the concurrent iterations (open model) or of the VUs' connections. */
  maxVUs: number;
  /** This worker's share of the run's request budget. */
  maxRequests: number;
  timeoutMs: number;
  gracefulStopMs: number;
  /** At the schedule's end: let iterations run their remaining steps, or only finish the requests in flight. */
  drain: 'iterations' | 'requests';
  /** A response slower than this (ms) marks its iteration affected; none: errors alone do. */
  requestObjectiveMs?: number;
  /** Keep one record per shopper (shopper-trace.ts). */
  traceShoppers?: TraceOptions;
}

export type MainToWorker =
  /** shared: variables from the scenario's data and its setup steps (setup runs while workers start). */
  | { type: 'start'; startAtEpochMs: number; shared: Vars }
  /** graceful: start nothing new, let iterations finish within the graceful stop; else abort now. */
  | { type: 'stop'; graceful: boolean };

export interface ErrorCounts { status: number; timeout: number; connection: number }

/** One second of one worker. Responses count in the second they completed; iterations in the second they were due. */
export interface SecondSnapshot {
  sec: number;
  responses: number;
  errors: ErrorCounts;
  scheduled: number;
  started: number;
  dropped: number;
  maxInFlight: number;
  maxActive: number;
  /** Latency of the responses of this second (µs), as non-empty buckets; absent when there were none. */
  hist?: SparseHistogram;
}

export interface StepCounters {
  requests: number;
  ok: number;
  errors: ErrorCounts;
  interrupted: number;
  bytes: number;
  statuses: Record<string, number>;
  checks: Record<string, { pass: number; fail: number }>;
}

export interface IterationCounters {
  scheduled: number;
  started: number;
  completed: number;
  failed: number;
  dropped: number;
  interrupted: number;
  /** Not started because the request budget (--max-requests) was spent. */
  skipped: number;
  /**
   * Iterations (shoppers) that met an error, or a request slower than the run's request objective when
   * one is set (an `until` step's wait is not a request and does not count).
   */
  affected: number;
  /** Of those, the iterations that met an error or a failed check (the others were only slow). */
  affectedByErrors: number;
}

export interface WorkerFinal {
  steps: { key: string; counters: StepCounters; hist: string }[];
  iterations: IterationCounters;
  /** How late iterations started against their schedule (µs), encoded. */
  startLag: string;
  /** Shoppers who waited in a waiting room: the "still waiting" answers, those the run ended on, their queued time (µs, encoded). */
  waitingRoom: { polls: number; stillQueued: number; failedWhileQueued: number; queued: string };
  errorSamples: { kind: string; step: string; message: string; count: number }[];
  budgetExhausted: boolean;
  /** One record per shopper, when the run asked for them; `dropped`: shoppers past the cap. */
  shoppers?: { records: ShopperRecord[]; dropped: number };
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'seconds'; index: number; upTo: number; seconds: SecondSnapshot[] }
  | { type: 'done'; index: number; upTo: number; seconds: SecondSnapshot[]; final: WorkerFinal }
  | { type: 'failed'; index: number; message: string };
