// Settling an order's payment with exactly-once effects over at-least-once job delivery.
//
// 1. A lease on the order makes one worker at a time work on it, whatever the queue redelivers.
// 2. Every provider call belongs to an attempt row committed BEFORE the call; the attempt id is the
//    provider Idempotency-Key. A worker killed at any instant leaves either no attempt (nothing sent) or
//    an unresolved one, which the next worker resolves by repeating the same request with the same key
//    at the same provider: the provider replays its first answer, or processes it now if it never did.
// 3. A new attempt (possibly at another provider: failover) is only made once no attempt is unresolved,
//    so an order can never be charged at two providers.
// 4. The database enforces at most one succeeded attempt per order.
import type pg from 'pg';
import { query, withTransaction } from '../platform/db/database.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { transitionOrder, appendOrderEvent, getOrder, cancelOrder, OrderErrors, type Order } from '../orders/index.ts';
import { commitReservations } from '../inventory/index.ts';
import { ProviderError, type ChargeOutcome, type PaymentIntent } from './stripe-client.ts';
import type { PaymentProvider, ProviderRouter } from './provider-router.ts';
import { PaymentQueries as Q, type AttemptRow } from './payment-queries.ts';
import { attemptsPerOrder, paymentsSettled } from './payment-metrics.ts';
import { PaymentErrors } from './payment-errors.ts';

/** The job could not finish now (no provider, outcome unknown, order leased): the queue retries it. */
export class RetryLater extends Error {
  override name = 'RetryLater';
}

export interface PaymentDeps {
  pool: pg.Pool;
  router: ProviderRouter;
  logger: Logger;
  workerId: string;
  leaseSeconds: number;
  /** Timeout for repeating an in-doubt request (it may legitimately be slow: the provider is degraded). */
  resolveTimeoutMs: number;
}

type AttemptOutcome =
  | ChargeOutcome
  | { kind: 'not_sent'; reason: string }
  | { kind: 'in_doubt'; reason: string };

export const idempotencyKeyFor = (attemptId: string) => `hf_attempt_${attemptId}`;

async function callProvider(deps: PaymentDeps, provider: PaymentProvider, attempt: AttemptRow, resolving: boolean): Promise<AttemptOutcome> {
  try {
    const idempotencyKey = idempotencyKeyFor(attempt.id);
    const intentId = attempt.confirms_intent_id;
    // Paying a declined order again confirms the intent its decline left waiting (Stripe's flow); a
    // first attempt, or one at a provider without such an intent, creates and confirms a new one.
    return await provider.resilience.execute(intentId ? 'confirm_payment_intent' : 'create_payment_intent', (signal) => intentId
      ? provider.client.confirm({ intentId, paymentMethod: attempt.payment_method, idempotencyKey, signal })
      : provider.client.createAndConfirm({
        amount: attempt.amount, currency: attempt.currency.trim(), paymentMethod: attempt.payment_method,
        metadata: { order_id: attempt.order_id, attempt_id: attempt.id },
        description: `Holdfast order ${attempt.order_id}`, idempotencyKey, signal,
      }), {
      classify: (r) => r.kind, bypassBreaker: resolving,
      ...(resolving ? { timeoutMs: deps.resolveTimeoutMs } : {}),
    });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    // A request we are repeating may have reached the provider the first time: still in doubt.
    if (!err.sent && !resolving) return { kind: 'not_sent', reason: err.message };
    if (err.status === 401 || err.status === 403) {
      // The provider refused our credentials: nothing was charged, but this account is unusable.
      return resolving ? { kind: 'in_doubt', reason: err.message } : { kind: 'not_sent', reason: err.message };
    }
    if (!err.retryable && err.stripeType === 'invalid_request_error' && err.status !== 409) {
      // A definitive rejection (e.g. no such payment method): the charge did not and will not happen.
      const refused = { kind: 'declined', code: err.stripeCode ?? 'invalid_request', message: err.message } as const;
      return attempt.confirms_intent_id ? confirmRefused(deps, provider, attempt.confirms_intent_id, refused) : refused;
    }
    return { kind: 'in_doubt', reason: err.message };
  }
}

/**
 * A confirm the provider refused outright: usually the intent can no longer be confirmed (Stripe cancels
 * an intent at its confirmation limit) and nothing was charged. But "cannot confirm" is also the answer for
 * an intent that already charged, e.g. to an earlier confirm whose idempotency key the provider no longer
 * keeps; so the intent itself is asked before anything else is tried.
 */
async function confirmRefused(deps: PaymentDeps, provider: PaymentProvider, intentId: string, refused: Extract<AttemptOutcome, { kind: 'declined' }>): Promise<AttemptOutcome> {
  let intent: PaymentIntent;
  try {
    intent = await provider.resilience.execute('retrieve_payment_intent', (signal) => provider.client.retrieve(intentId, signal),
      { bypassBreaker: true, timeoutMs: deps.resolveTimeoutMs });
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { kind: 'in_doubt', reason: `confirm of ${intentId} refused and its state unknown: ${err.message}` };
  }
  if (intent.status === 'succeeded') return { kind: 'succeeded', intent };
  if (intent.status === 'processing' || intent.status === 'requires_capture') return { kind: 'in_doubt', reason: `${intentId} is ${intent.status}` };
  return refused;
}

async function markAttempt(db: pg.Pool | pg.PoolClient, id: string, status: AttemptRow['status'], p: { intentId?: string | undefined; code?: string | undefined; declineCode?: string | undefined; message?: string | undefined } = {}) {
  await query(db, Q.markAttempt, [id, status, p.intentId ?? null, p.code ?? null, p.declineCode ?? null, p.message?.slice(0, 500) ?? null]);
}

async function recordSuccess(deps: PaymentDeps, attempt: AttemptRow, intent: PaymentIntent): Promise<'paid' | 'refund_needed'> {
  const result = await withTransaction(deps.pool, async (tx) => {
    await markAttempt(tx, attempt.id, 'succeeded', { intentId: intent.id });
    const status = (await query<{ status: string }>(tx, Q.orderStatus, [attempt.order_id])).rows[0]?.status;
    if (status === 'pending_payment') {
      await transitionOrder(tx, attempt.order_id, 'paid', {
        type: 'payment.succeeded',
        data: { provider: attempt.provider, intentId: intent.id, attemptId: attempt.id, amount: intent.amount },
      });
      await commitReservations(tx, attempt.order_id);
      return 'paid' as const;
    }
    return status === 'paid' ? 'paid' as const : 'refund_needed' as const;
  });
  if (intent.amount !== attempt.amount) {
    deps.logger.error({ orderId: attempt.order_id, intentId: intent.id, charged: intent.amount, expected: attempt.amount }, 'provider charged a different amount than the order total');
  }
  return result;
}

async function recordDecline(deps: PaymentDeps, attempt: AttemptRow, outcome: Extract<ChargeOutcome, { kind: 'declined' }>): Promise<void> {
  await withTransaction(deps.pool, async (tx) => {
    await markAttempt(tx, attempt.id, 'declined', { intentId: outcome.intent?.id, code: outcome.code, declineCode: outcome.declineCode, message: outcome.message });
    const status = (await query<{ status: string }>(tx, Q.orderStatus, [attempt.order_id])).rows[0]?.status;
    if (status === 'pending_payment') {
      // The reservation stays held: the shopper may pay with another card until the payment deadline,
      // when the order is canceled and its items released (cancelOrdersPastDeadline).
      await transitionOrder(tx, attempt.order_id, 'payment_failed', {
        type: 'payment.declined',
        data: { provider: attempt.provider, code: outcome.code, declineCode: outcome.declineCode ?? null, message: outcome.message, attemptId: attempt.id },
      });
    }
  });
}

/** Refunds a charge that landed on an order that can no longer be paid (canceled meanwhile). */
async function refundOrphanCharge(deps: PaymentDeps, attempt: AttemptRow, intentId: string, reason: string): Promise<void> {
  const provider = deps.router.byName(attempt.provider);
  if (!provider) throw new RetryLater(`provider ${attempt.provider} is no longer configured; cannot refund ${intentId}`);
  const refund = await provider.resilience.execute('create_refund', (signal) => provider.client.refund({
    paymentIntent: intentId, idempotencyKey: `hf_refund_${attempt.id}`, metadata: { order_id: attempt.order_id, reason }, signal,
  }), { bypassBreaker: true, timeoutMs: deps.resolveTimeoutMs });
  await withTransaction(deps.pool, async (tx) => {
    await query(tx, Q.insertRefund, [attempt.order_id, attempt.id, attempt.provider, refund.amount, refund.id, reason]);
    await appendOrderEvent(tx, attempt.order_id, { type: 'payment.refunded', data: { reason, intentId, refundId: refund.id, amount: refund.amount } });
  });
  deps.logger.warn({ orderId: attempt.order_id, intentId, refundId: refund.id }, `refunded a charge on an order that was no longer payable (${reason})`);
}

export type JobResult = 'settled' | 'skipped';

/**
 * How long an order's payment lease lasts, from the payment job's heartbeat: half of it plus a second
 * (6 s for pg-boss's minimum heartbeat of 10 s), renewed every third of its length. A dead worker's lease
 * therefore lapses within 6 s of its death, which releaseLapsedLeases() notices first; and pg-boss, which
 * retries a job no sooner than half a heartbeat plus the retry delay (at least 1 s) after its worker's last
 * heartbeat, never hands the job to a new worker while the dead one's lease still holds the order.
 */
export function leaseSecondsFor(heartbeatSeconds: number): number {
  return Math.ceil(heartbeatSeconds / 2) + 1;
}

/**
 * Clears the leases of unpaid orders whose worker stopped renewing them (it died, or stalled past the
 * lease) and returns those orders: their payment jobs are still active in the queue, held by a worker that
 * will not finish them, and the caller has them retried now instead of when their heartbeat lapses. Safe
 * to run in every payments process at once: clearing is conditional, so each order is returned once.
 */
export async function releaseLapsedLeases(pool: pg.Pool, batch = 100): Promise<string[]> {
  const { rows } = await query<{ id: string }>(pool, Q.lapsedLeases, [batch]);
  const released: string[] = [];
  for (const { id } of rows) {
    if ((await query(pool, Q.clearLapsedLease, [id])).rowCount) released.push(id);
  }
  return released;
}

/**
 * Keeps the order's payment lease while this worker works on it: renewed every third of its length, so a
 * live worker keeps it however long a provider call takes, and a dead one's lapses within leaseSeconds.
 * lost() turns true when a renewal finds the lease no longer ours (this process stalled past it, and it was
 * cleared or taken by another worker); the job then starts nothing new. A renewal that cannot reach the
 * database is tried again on the next tick. Exactly-once does not rest on the lease (docs/payments.md): it
 * keeps two workers from working on one order at once.
 */
function holdLease(deps: PaymentDeps, orderId: string): { lost(): boolean; release(): Promise<void> } {
  let lost = false;
  const timer = setInterval(() => {
    query(deps.pool, Q.renewLease, [orderId, deps.workerId, deps.leaseSeconds])
      .then((r) => { if (r.rowCount === 0) lost = true; }, () => {});
  }, deps.leaseSeconds * 1000 / 3);
  timer.unref();
  return {
    lost: () => lost,
    release: async () => {
      clearInterval(timer);
      await query(deps.pool, Q.releaseLease, [orderId, deps.workerId]).catch(() => {});
    },
  };
}

/** Processes one payment job. Returns when the order is settled; throws RetryLater to be retried. */
export async function processPaymentJob(deps: PaymentDeps, orderId: string): Promise<JobResult> {
  const lease = await query<{ status: string; total_amount: number; currency: string; payment_method: string }>(
    deps.pool, Q.acquireLease, [orderId, deps.workerId, deps.leaseSeconds]);
  const order = lease.rows[0];
  if (!order) {
    const status = (await query<{ status: string }>(deps.pool, Q.orderStatus, [orderId])).rows[0]?.status;
    if (!status || status !== 'pending_payment') return 'skipped';
    throw new RetryLater(`order ${orderId} is being processed by another worker`);
  }
  const held = holdLease(deps, orderId);
  try {
    if (order.status !== 'pending_payment') {
      // Settled or canceled. An attempt left unresolved (e.g. the order was canceled by its deadline while
      // a provider was unreachable) must still be resolved so a late charge gets refunded.
      const open = (await query<AttemptRow>(deps.pool, Q.unresolvedAttempt, [orderId])).rows[0];
      if (open) await resolveAfterSettlement(deps, open);
      return 'skipped';
    }
    const notSentHere = new Set<string>();
    for (let hop = 0; hop <= deps.router.size; hop++) {
      if (held.lost()) throw new RetryLater(`order ${orderId}: this worker's payment lease lapsed`);
      let attempt = (await query<AttemptRow>(deps.pool, Q.unresolvedAttempt, [orderId])).rows[0];
      let outcome: AttemptOutcome;
      if (attempt) {
        const provider = deps.router.byName(attempt.provider);
        if (!provider) throw new RetryLater(`attempt ${attempt.id} is at unknown provider ${attempt.provider}`);
        outcome = await callProvider(deps, provider, attempt, true);
      } else {
        const provider = deps.router.pick(notSentHere);
        if (!provider) throw new RetryLater('no payment provider is available');
        const again = (await query<{ provider_intent_id: string | null }>(deps.pool, Q.intentToConfirmAgain, [orderId, provider.name])).rows[0]?.provider_intent_id ?? null;
        try {
          attempt = (await query<AttemptRow>(deps.pool, Q.insertAttempt, [orderId, provider.name, order.total_amount, order.currency.trim(), order.payment_method, again])).rows[0]!;
        } catch (err) {
          // Another worker started an attempt meanwhile (only possible if our lease lapsed): let it finish.
          if ((err as { code?: string }).code === '23505') throw new RetryLater(`order ${orderId} has a concurrent attempt`);
          throw err;
        }
        outcome = await callProvider(deps, provider, attempt, false);
      }
      switch (outcome.kind) {
        case 'succeeded': {
          const result = await recordSuccess(deps, attempt, outcome.intent);
          if (result === 'refund_needed') await refundOrphanCharge(deps, attempt, outcome.intent.id, 'order no longer payable');
          else {
            paymentsSettled.inc({ outcome: 'paid', provider: attempt.provider });
            attemptsPerOrder.observe((await query<{ n: number }>(deps.pool, Q.countAttempts, [orderId])).rows[0]?.n ?? 1);
          }
          return 'settled';
        }
        case 'declined':
          if (attempt.confirms_intent_id && !outcome.intent) {
            // The provider refused to confirm that intent at all and it has not charged (confirmRefused):
            // nothing was charged and it left no intent to reuse, so the next hop creates one.
            await markAttempt(deps.pool, attempt.id, 'declined', { code: outcome.code, declineCode: outcome.declineCode, message: outcome.message });
            continue;
          }
          await recordDecline(deps, attempt, outcome);
          paymentsSettled.inc({ outcome: 'payment_failed', provider: attempt.provider });
          attemptsPerOrder.observe((await query<{ n: number }>(deps.pool, Q.countAttempts, [orderId])).rows[0]?.n ?? 1);
          return 'settled';
        case 'not_sent':
          await markAttempt(deps.pool, attempt.id, 'not_sent', { message: outcome.reason });
          notSentHere.add(attempt.provider);
          continue; // safe to try the next provider: this one never saw the request
        case 'in_doubt':
          await markAttempt(deps.pool, attempt.id, 'in_doubt', { message: outcome.reason });
          throw new RetryLater(`outcome of attempt ${attempt.id} at ${attempt.provider} unknown: ${outcome.reason}`);
      }
    }
    throw new RetryLater('every provider refused the request');
  } finally {
    await held.release();
  }
}

async function resolveAfterSettlement(deps: PaymentDeps, attempt: AttemptRow): Promise<void> {
  const provider = deps.router.byName(attempt.provider);
  if (!provider) return;
  const outcome = await callProvider(deps, provider, attempt, true);
  if (outcome.kind === 'succeeded') {
    const result = await recordSuccess(deps, attempt, outcome.intent);
    if (result === 'refund_needed') await refundOrphanCharge(deps, attempt, outcome.intent.id, 'order canceled before the charge was confirmed');
  } else if (outcome.kind === 'declined') {
    await markAttempt(deps.pool, attempt.id, 'declined', { code: outcome.code, declineCode: outcome.declineCode, message: outcome.message });
  } else {
    throw new RetryLater(`attempt ${attempt.id} still unresolved: ${outcome.reason}`);
  }
}

/**
 * Cancels an unpaid order unless a payment for it is in progress or in doubt (canceling then could
 * leave a charge without an order). Takes the order's payment lease so no worker starts meanwhile.
 */
export async function cancelUnpaidOrder(pool: pg.Pool, orderId: string, reason: string, owner = 'canceller'): Promise<Order> {
  const lease = await query<{ status: string }>(pool, Q.acquireLease, [orderId, owner, 30]);
  if (!lease.rows[0]) {
    await getOrder(pool, orderId); // 404 when it does not exist
    throw PaymentErrors.PAYMENT_IN_PROGRESS();
  }
  try {
    const open = (await query<AttemptRow>(pool, Q.unresolvedAttempt, [orderId])).rows[0];
    if (open) throw PaymentErrors.PAYMENT_IN_PROGRESS('A payment attempt for this order has an unknown outcome; it cannot be canceled until it is resolved.');
    return await cancelOrder(pool, orderId, reason);
  } finally {
    await query(pool, Q.releaseLease, [orderId, owner]).catch(() => {});
  }
}

/** Cancels orders still unpaid after the deadline and returns their stock. */
export async function cancelOrdersPastDeadline(pool: pg.Pool, deadlineSeconds: number, logger: Logger, batch = 100): Promise<number> {
  const { rows } = await query<{ id: string }>(pool, Q.unpaidPastDeadline, [deadlineSeconds, batch]);
  let canceled = 0;
  for (const { id } of rows) {
    try {
      await cancelUnpaidOrder(pool, id, 'payment deadline passed', 'deadline');
      canceled++;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'PAYMENT_IN_PROGRESS' && code !== OrderErrors.ORDER_INVALID_TRANSITION().code) logger.warn({ err, orderId: id }, 'could not cancel unpaid order');
    }
  }
  return canceled;
}

/** Refunds a paid order in full (admin). Idempotent: a second call changes nothing. */
export async function refundOrder(pool: pg.Pool, router: ProviderRouter, orderId: string, reason: string): Promise<Order> {
  const order = await getOrder(pool, orderId);
  if (order.status === 'refunded') return order;
  if (order.status !== 'paid') throw OrderErrors.ORDER_INVALID_TRANSITION(`Only paid orders can be refunded; this one is ${order.status}.`);
  const attempt = (await query<AttemptRow>(pool, Q.succeededAttempt, [orderId])).rows[0];
  if (!attempt?.provider_intent_id) throw PaymentErrors.PAYMENT_NOT_FOUND();
  const provider = router.byName(attempt.provider);
  if (!provider) throw PaymentErrors.PROVIDER_UNAVAILABLE(`Provider ${attempt.provider} is not configured.`);
  let refund;
  try {
    refund = await provider.resilience.execute('create_refund', (signal) => provider.client.refund({
      paymentIntent: attempt.provider_intent_id!, idempotencyKey: `hf_refund_${attempt.id}`, metadata: { order_id: orderId, reason }, signal,
    }));
  } catch (err) {
    if (err instanceof ProviderError) throw PaymentErrors.PROVIDER_UNAVAILABLE(`The refund could not be confirmed by ${attempt.provider}; retry. (${err.message})`);
    throw err;
  }
  return withTransaction(pool, async (tx) => {
    await query(tx, Q.insertRefund, [orderId, attempt.id, attempt.provider, refund.amount, refund.id, reason]);
    await transitionOrder(tx, orderId, 'refunded', { type: 'payment.refunded', data: { reason, refundId: refund.id, amount: refund.amount, provider: attempt.provider } });
    return getOrder(tx, orderId);
  });
}

export async function paymentAttempts(pool: pg.Pool, orderId: string) {
  return (await query<AttemptRow>(pool, Q.attemptsOf, [orderId])).rows.map((a) => ({
    id: a.id, attemptNo: a.attempt_no, provider: a.provider, status: a.status, amount: a.amount, currency: a.currency.trim(),
    providerIntentId: a.provider_intent_id, errorCode: a.error_code, declineCode: a.decline_code, errorMessage: a.error_message,
    createdAt: a.created_at.toISOString(), updatedAt: a.updated_at.toISOString(),
  }));
}
