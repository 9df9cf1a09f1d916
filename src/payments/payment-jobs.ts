// The payment job contract between checkout (producer) and the payments role (consumer).
import type { JobQueue, QueueDefinition } from '../platform/queue/job-queue.ts';
import type { Queryable } from '../platform/db/database.ts';
import { currentTraceparent } from '../platform/observability/tracing.ts';
import { PAYMENT_QUEUES } from '../telemetry/index.ts';

export const PAYMENT_QUEUE = PAYMENT_QUEUES.charge;
export const PAYMENT_DEAD_LETTER_QUEUE = PAYMENT_QUEUES.deadLetter;
/**
 * The one way a payment job is enqueued: `holdfast_enqueue_payment_job(data jsonb, singleton_key text)`,
 * installed by the queue (its SQL enqueue function for PAYMENT_QUEUE). Checkout's SQL function calls it in
 * the order's transaction; enqueuePaymentJob() reaches it through the queue port (paying again, the
 * dead-letter retry).
 */
export const PAYMENT_ENQUEUE_FUNCTION = 'holdfast_enqueue_payment_job';

export interface PaymentJob { orderId: string; traceparent?: string }

export interface PaymentQueueOptions {
  retryLimit: number; retryDelaySeconds: number; expireInSeconds: number; heartbeatSeconds: number;
}

/** Completed and failed payment jobs are kept this long: the order's events and attempts are the record. */
const COMPLETED_JOB_RETENTION_SECONDS = 24 * 3600;

/**
 * The payment queue and its dead-letter queue. Job-level retries use a fixed delay: each provider call
 * already retries with jittered exponential backoff, and a job waiting on a provider outage must keep
 * trying at a steady pace rather than back off for hours (decision 0005). A worker heartbeats its job every
 * heartbeatSeconds / 2 (pg-boss's work() does it); a job not heard from for heartbeatSeconds (its worker
 * was killed) is retried by the supervisor within a second or so. expireInSeconds bounds one run of a job
 * however alive its worker is.
 */
export function paymentQueueDefinitions(opts: PaymentQueueOptions): QueueDefinition[] {
  return [
    { name: PAYMENT_DEAD_LETTER_QUEUE, options: { retentionSeconds: 30 * 86_400, deleteAfterSeconds: 30 * 86_400 } },
    {
      name: PAYMENT_QUEUE,
      options: {
        retryLimit: opts.retryLimit, retryDelaySeconds: opts.retryDelaySeconds, retryBackoff: false,
        expireInSeconds: opts.expireInSeconds, heartbeatSeconds: opts.heartbeatSeconds,
        deadLetter: PAYMENT_DEAD_LETTER_QUEUE, retentionSeconds: 14 * 86_400, deleteAfterSeconds: COMPLETED_JOB_RETENTION_SECONDS,
      },
      sqlEnqueueFunction: PAYMENT_ENQUEUE_FUNCTION,
    },
  ];
}

/**
 * The order's payment job. It carries the trace it was enqueued under (the checkout request's span when
 * tracing is on, else whatever traceparent the caller received) so the payment worker continues it.
 */
export function paymentJob(orderId: string, traceparent?: string): PaymentJob {
  const parent = currentTraceparent() ?? traceparent;
  return parent ? { orderId, traceparent: parent } : { orderId };
}

/** Enqueues an order's payment job (singleton key: the order id), in db's transaction when db is a client. */
export function enqueuePaymentJob(queue: JobQueue, db: Queryable, job: PaymentJob): Promise<string | null> {
  return queue.enqueue(db, PAYMENT_QUEUE, job, job.orderId);
}
