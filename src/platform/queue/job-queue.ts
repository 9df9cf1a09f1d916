// The durable job queue as Holdfast's contexts see it: a port. Contexts depend on this interface only;
// src/platform/queue/pg-boss-queue.ts implements it with pg-boss in the same PostgreSQL database as the
// orders, so a job can be written by the transaction that writes the order (decision 0011).
import type { Queryable } from '../db/database.ts';
import { QUEUE_JOB_STATES } from '../../telemetry/index.ts';

/** How a queue retries, expires and keeps its jobs. */
export interface QueueOptions {
  /** Runs after the first that fail before the job goes to the dead-letter queue. */
  retryLimit?: number;
  retryDelaySeconds?: number;
  retryBackoff?: boolean;
  /** Longest one run may take, however alive its worker is. */
  expireInSeconds?: number;
  /** A worker heartbeats its job; a job not heard from for this long is retried (its worker died). */
  heartbeatSeconds?: number;
  /** Where a job goes when its retries are exhausted. */
  deadLetter?: string;
  /** How long an unfinished job is kept. */
  retentionSeconds?: number;
  /** How long a finished job is kept. */
  deleteAfterSeconds?: number;
}

/** A queue as a context declares it; a dead-letter queue must be declared before the queue naming it. */
export interface QueueDefinition {
  name: string;
  options: QueueOptions;
  /**
   * Installs the SQL function `<name>(data jsonb, singleton_key text) RETURNS uuid` enqueueing on this queue,
   * for SQL that enqueues in its own statement (checkout's function) and for enqueue().
   */
  sqlEnqueueFunction?: string;
}

export interface Job<T> { id: string; data: T }

/**
 * A job waiting in a queue, as the admin API shows it. `lastError`: for a dead letter, the output of the
 * failed run that sent it there; otherwise the job's own output, if any.
 */
export interface QueuedJob<T> { id: string; data: T; createdOn: Date; lastError: unknown }

/** A job waiting, waiting for its retry, or being worked (the `state` label of the queue metrics). */
export const UNFINISHED_STATES = QUEUE_JOB_STATES;
export type UnfinishedState = typeof UNFINISHED_STATES[number];

export interface JobQueue {
  /** Creates or updates the queues and installs their SQL enqueue functions (safe in many processes at once). */
  declareQueues(queues: readonly QueueDefinition[]): Promise<void>;
  /**
   * Enqueues a job through its queue's SQL enqueue function: in the caller's transaction when db is a
   * transaction's client, so the job commits or rolls back with it. A job with the singleton key of an
   * unfinished one is skipped (null).
   */
  enqueue(db: Queryable, queue: string, data: object, singletonKey: string | null): Promise<string | null>;
  /**
   * Works the queue's jobs one at a time per call (call it n times for n at once): a job whose handler
   * throws is retried, then dead-lettered. The handler's job is heartbeated while it runs.
   */
  work<T>(queue: string, opts: { pollingIntervalSeconds: number }, handler: (job: Job<T>) => Promise<void>): Promise<string>;
  /** Stops one worker loop work() started (by the id it returned); its job in hand, if any, finishes. */
  offWorker(queue: string, workerId: string): Promise<void>;
  /** Stops working the queue in this process (jobs in hand finish first). */
  offWork(queue: string): Promise<void>;
  /** Unfinished jobs per queue and state; every queue and state is present (zero when empty). */
  stats(queues: readonly string[]): Promise<{ queue: string; state: UnfinishedState; count: number }[]>;
  /** Seconds since the oldest unfinished job of a queue was created; 0 when there is none. */
  oldestJobAge(queue: string): Promise<number>;
  /** Jobs created in a queue over the last `windowSeconds` (its arrival rate's numerator; a retry is no arrival). */
  arrivals(queue: string, windowSeconds: number): Promise<number>;
  /** Jobs waiting in a queue (created or retry), oldest first. */
  listQueued<T>(queue: string, limit?: number): Promise<QueuedJob<T>[]>;
  /** One waiting job by id, or null when it is not (or no longer) waiting. */
  findQueued<T>(queue: string, id: string): Promise<QueuedJob<T> | null>;
  /** Cancels a waiting job in the caller's transaction; false when it was no longer there to cancel. */
  cancelQueued(queue: string, id: string, tx: Queryable): Promise<boolean>;
  /**
   * Retries now the active jobs with this singleton key, for jobs whose worker is known to be gone before
   * their heartbeat lapses; their retry is due at once. Returns how many.
   */
  retryActiveNow(queue: string, singletonKey: string, reason: string): Promise<number>;
}
