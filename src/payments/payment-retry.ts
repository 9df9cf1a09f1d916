// Paying a declined order again with another payment method, within its payment deadline. The order's
// items stay held after a decline (until the deadline written with its reservations at checkout), so a
// retry needs no new reservation. One transaction: claim the Idempotency-Key, move the order
// payment_failed -> pending_payment under its row lock (the guard lives in the orders context), and
// enqueue the payment job; the payment worker then confirms the declined PaymentIntent again with the new
// payment method (Stripe's flow), as a new attempt with its own idempotency key.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { query, withTransaction } from '../platform/db/database.ts';
import type { PaymentsConfig } from './payments-config.ts';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { getOrder, getOrderForCustomer, reopenForPayment, type Order, type PayAgainLimits } from '../orders/index.ts';
import { enqueuePaymentJob, paymentJob } from './payment-jobs.ts';
import { PaymentQueries as Q, type AttemptRow } from './payment-queries.ts';
import { PaymentErrors } from './payment-errors.ts';

export interface PayAgainRequest {
  orderId: string;
  /** The order's access token (from checkout); without the right one the order does not exist. */
  accessToken: string | undefined;
  paymentMethod: string;
  /** Checked by the caller's schema: 1-255 printable ASCII characters. */
  idempotencyKey: string;
  traceparent?: string | undefined;
}

export interface PayAgainResult { order: Order; replayed: boolean }

/**
 * How long before the payment deadline paying again closes. At the deadline the payment workers cancel
 * an unpaid order (every 5 s) unless a worker holds its payment lease or an attempt's outcome is unknown,
 * so a retry must reach a worker before then: its job is taken within pg-boss's polling interval (0.5 s)
 * when a worker is free, and 30 s also covers a backlog of that length. A retry accepted later could be
 * canceled before any card was tried.
 */
export const PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE = 30;

/** The bounds of paying a declined order again: the configured retries per order, and the closing time. */
export function payAgainLimits(config: Pick<PaymentsConfig, 'paymentRetryMaxAttempts'>): PayAgainLimits {
  return { maxRetries: config.paymentRetryMaxAttempts, minSecondsLeft: PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE };
}

/**
 * Pays a declined order again. Answers the order (now pending_payment); replays the first answer for a
 * repeated Idempotency-Key with the same payment method. Refusals: PAYMENT_NOT_RETRYABLE (the order is
 * not declined: paid, being paid, canceled, refunded), PAYMENT_DEADLINE_PASSED (its items were released,
 * or less than PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE is left), PAYMENT_ATTEMPTS_EXHAUSTED (paid again
 * limits.maxRetries times already), PAYMENT_IN_PROGRESS (an earlier attempt's outcome is still unknown),
 * PAYMENT_IDEMPOTENCY_KEY_REUSED.
 */
export async function payOrderAgain(pool: pg.Pool, queue: JobQueue, req: PayAgainRequest, limits: PayAgainLimits): Promise<PayAgainResult> {
  // The token check first, outside the transaction: a stranger learns nothing, not even a key conflict.
  await getOrderForCustomer(pool, req.orderId, req.accessToken);
  const scope = `order-payment:${req.orderId}`;
  const requestHash = createHash('sha256').update(req.paymentMethod).digest('hex');
  return withTransaction(pool, async (tx) => {
    const claimed = await query(tx, Q.claimPayAgainKey, [scope, req.idempotencyKey, requestHash]);
    if (claimed.rowCount === 0) {
      const prior = (await query<{ request_hash: string; response_body: Order }>(tx, Q.getPayAgainKey, [scope, req.idempotencyKey])).rows[0];
      if (!prior) throw PaymentErrors.PAYMENT_IN_PROGRESS('A request with this Idempotency-Key has not finished; retry.');
      if (prior.request_hash !== requestHash) throw PaymentErrors.PAYMENT_IDEMPOTENCY_KEY_REUSED();
      return { order: prior.response_body, replayed: true };
    }
    const refusal = await reopenForPayment(tx, req.orderId, req.paymentMethod, limits);
    if (refusal === 'deadline_passed') throw PaymentErrors.PAYMENT_DEADLINE_PASSED();
    if (refusal === 'attempts_exhausted') throw PaymentErrors.PAYMENT_ATTEMPTS_EXHAUSTED(undefined, { maxAttempts: limits.maxRetries });
    if (refusal) {
      const { status } = await getOrder(tx, req.orderId);
      throw PaymentErrors.PAYMENT_NOT_RETRYABLE(undefined, { status });
    }
    // Never two attempts with unknown outcomes: a payment still being resolved blocks a new one. (A
    // declined order has none by construction; this holds the rule even if that ever changes.)
    const open = (await query<AttemptRow>(tx, Q.unresolvedAttempt, [req.orderId])).rows[0];
    if (open) throw PaymentErrors.PAYMENT_IN_PROGRESS();
    const jobId = await enqueuePaymentJob(queue, tx, paymentJob(req.orderId, req.traceparent));
    // Not a shopper's mistake: the queue refused the job; roll the order change back.
    if (!jobId) throw new Error(`the payment queue refused the job for order ${req.orderId}`);
    const order = await getOrder(tx, req.orderId);
    await query(tx, Q.savePayAgainResponse, [scope, req.idempotencyKey, JSON.stringify(order)]);
    return { order, replayed: false };
  });
}
