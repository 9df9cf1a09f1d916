// The payment job contract between checkout (producer) and the payments role (consumer).
import type { JobQueue } from '../platform/queue/job-queue.ts';
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

/**
 * The order's payment job. It carries the trace it was enqueued under (the checkout request's span when
 * tracing is on, else whatever traceparent the caller received) so the payment worker continues it.
 * Checkout writes it in the same statement as the order (decision 0011).
 */
export function paymentJob(orderId: string, traceparent?: string): PaymentJob {
  const parent = currentTraceparent() ?? traceparent;
  return parent ? { orderId, traceparent: parent } : { orderId };
}

/**
 * Enqueues the order's payment job inside the caller's transaction (pg-boss's own insert, run on the
 * transaction's client), so the job commits or rolls back with the order change that needs it. Checkout
 * does not come here: its job is written by its SQL function in the same statement as the order
 * (decision 0011); this is for the other producers, such as paying a declined order again.
 */
export async function enqueuePaymentJob(queue: JobQueue, tx: Queryable, orderId: string, traceparent?: string): Promise<string> {
  const id = await queue.send(PAYMENT_QUEUE, paymentJob(orderId, traceparent), {
    singletonKey: orderId,
    db: { executeSql: (text: string, values: unknown[]) => tx.query(text, values) },
  });
  // Not a shopper's mistake: the queue is missing or refused the job; roll the order change back.
  if (!id) throw new Error(`payment queue ${PAYMENT_QUEUE} refused the job for order ${orderId}`);
  return id;
}
