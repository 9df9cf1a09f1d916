// The payment job contract between checkout (producer) and the payments role (consumer).
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { inTransaction } from '../platform/queue/job-queue.ts';
import type { Queryable } from '../platform/db/database.ts';
import { currentTraceparent } from '../platform/observability/tracing.ts';

export const PAYMENT_QUEUE = 'payment-charge';
export const PAYMENT_DEAD_LETTER_QUEUE = 'payment-charge-dead';

export interface PaymentJob { orderId: string; traceparent?: string }

export interface PaymentQueueOptions { retryLimit: number; retryDelaySeconds: number; expireInSeconds: number }

/**
 * Creates (or updates) the payment queue and its dead-letter queue. Job-level retries use a fixed delay:
 * each provider call already retries with jittered exponential backoff, and a job waiting on a provider
 * outage must keep trying at a steady pace rather than back off for hours.
 */
export async function ensurePaymentQueues(boss: JobQueue, opts: PaymentQueueOptions): Promise<void> {
  const dead = { name: PAYMENT_DEAD_LETTER_QUEUE, retentionDays: 30 };
  const main = {
    name: PAYMENT_QUEUE, retryLimit: opts.retryLimit, retryDelay: opts.retryDelaySeconds, retryBackoff: false,
    expireInSeconds: opts.expireInSeconds, deadLetter: PAYMENT_DEAD_LETTER_QUEUE, retentionDays: 14,
  };
  for (const q of [dead, main]) {
    if (await boss.getQueue(q.name)) await boss.updateQueue(q.name, q);
    else await boss.createQueue(q.name, q).catch(async (err: Error) => {
      if (!(await boss.getQueue(q.name))) throw err; // created concurrently by another process: fine
    });
  }
}

/** Enqueues the order's payment job inside the checkout transaction. */
export async function enqueuePaymentJob(boss: JobQueue, tx: Queryable, job: PaymentJob): Promise<string | null> {
  // The job carries the trace it was enqueued under (the checkout request's span when tracing is on,
  // else whatever traceparent the caller received) so the worker continues it.
  const traceparent = currentTraceparent() ?? job.traceparent;
  const data: PaymentJob = traceparent ? { ...job, traceparent } : job;
  return boss.send(PAYMENT_QUEUE, data, { ...inTransaction(tx), singletonKey: job.orderId });
}
