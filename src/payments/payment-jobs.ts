// The payment job contract between checkout (producer) and the payments role (consumer).
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { inTransaction } from '../platform/queue/job-queue.ts';
import type { Queryable } from '../platform/db/database.ts';

export const PAYMENT_QUEUE = 'payment-charge';
export const PAYMENT_DEAD_LETTER_QUEUE = 'payment-charge-dead';

export interface PaymentJob { orderId: string; traceparent?: string }

export async function ensurePaymentQueues(boss: JobQueue): Promise<void> {
  await boss.createQueue(PAYMENT_DEAD_LETTER_QUEUE, { name: PAYMENT_DEAD_LETTER_QUEUE, retentionDays: 30 });
  await boss.createQueue(PAYMENT_QUEUE, {
    name: PAYMENT_QUEUE, retryLimit: 50, retryDelay: 2, retryBackoff: true, deadLetter: PAYMENT_DEAD_LETTER_QUEUE,
    retentionDays: 14,
  });
}

/** Enqueues the order's payment job inside the checkout transaction. */
export async function enqueuePaymentJob(boss: JobQueue, tx: Queryable, job: PaymentJob): Promise<string | null> {
  return boss.send(PAYMENT_QUEUE, job, { ...inTransaction(tx), singletonKey: job.orderId });
}
