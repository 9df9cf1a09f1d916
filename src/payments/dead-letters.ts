// Payment jobs that exhausted their retries (the dead-letter queue): listed, and put back on the payment
// queue by an operator (the admin API, the ops console).
import type pg from 'pg';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { withTransaction } from '../platform/db/database.ts';
import { PAYMENT_DEAD_LETTER_QUEUE, enqueuePaymentJob, paymentJob, type PaymentJob } from './payment-jobs.ts';
import { PaymentErrors } from './payment-errors.ts';

export interface DeadLetter { id: string; orderId: string; createdAt: string; lastError: unknown }

export async function listDeadLetters(queue: JobQueue): Promise<DeadLetter[]> {
  const dead = await queue.listQueued<PaymentJob>(PAYMENT_DEAD_LETTER_QUEUE);
  return dead.map((d) => ({ id: d.id, orderId: d.data.orderId, createdAt: d.createdOn.toISOString(), lastError: d.lastError }));
}

/** How many dead letters wait: all of them, where listDeadLetters gives the oldest ones only (the queue's listing limit). */
export async function countDeadLetters(queue: JobQueue): Promise<number> {
  const stats = await queue.stats([PAYMENT_DEAD_LETTER_QUEUE]);
  return stats.filter((s) => s.state === 'created' || s.state === 'retry').reduce((n, s) => n + s.count, 0);
}

/** Puts a dead letter's order back on the payment queue; DEAD_LETTER_NOT_FOUND when there is no such dead letter (any more). */
export async function retryDeadLetter(queue: JobQueue, pool: pg.Pool, id: string): Promise<{ orderId: string; jobId: string | null }> {
  const dead = await queue.findQueued<PaymentJob>(PAYMENT_DEAD_LETTER_QUEUE, id);
  if (!dead) throw PaymentErrors.DEAD_LETTER_NOT_FOUND();
  // Enqueued the way checkout enqueues, and the dead letter cancelled (not completed: no worker took
  // it), in one transaction: a retry sent twice at once enqueues once.
  const jobId = await withTransaction(pool, async (tx) => {
    if (!(await queue.cancelQueued(PAYMENT_DEAD_LETTER_QUEUE, dead.id, tx))) throw PaymentErrors.DEAD_LETTER_NOT_FOUND();
    return enqueuePaymentJob(queue, tx, paymentJob(dead.data.orderId));
  });
  return { orderId: dead.data.orderId, jobId };
}
