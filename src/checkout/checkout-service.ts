// Checkout: one transaction that validates the cart, reserves stock, creates the order with a price
// snapshot, records the idempotency key with its response, and enqueues the payment job. Replaying a key
// with the same body returns the first response; with a different body it is IDEMPOTENCY_KEY_REUSED.
// Failed checkouts (empty cart, out of stock) roll back entirely, key included, so a retry re-executes.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { query, withTransaction } from '../platform/db/database.ts';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { lockCartForCheckout, markCheckedOut, CartErrors } from '../cart/index.ts';
import { reserveStock } from '../inventory/index.ts';
import { createOrder, newOrderId, newAccessToken, type ShippingAddress } from '../orders/index.ts';
import { enqueuePaymentJob } from '../payments/index.ts';
import { CheckoutQueries as Q } from './checkout-queries.ts';
import { CheckoutErrors } from './checkout-errors.ts';

export interface CheckoutRequest {
  cartId: string; email: string; shippingAddress: ShippingAddress; paymentMethod: string;
}

export interface CheckoutResponse { orderId: string; status: 'pending_payment'; accessToken: string }

export interface CheckoutResult { response: CheckoutResponse; replayed: boolean }

const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function validateIdempotencyKey(key: string | undefined): string {
  if (key === undefined || key === '') throw CheckoutErrors.CHECKOUT_IDEMPOTENCY_KEY_REQUIRED();
  if (!KEY_RE.test(key)) throw CheckoutErrors.CHECKOUT_IDEMPOTENCY_KEY_INVALID();
  return key;
}

/** Stable hash of the request body: key order does not matter. */
export function requestHash(body: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

export async function placeOrder(
  pool: pg.Pool, queue: JobQueue, req: CheckoutRequest, rawKey: string | undefined,
  opts: { reservationTtlSeconds: number; traceparent?: string | undefined },
): Promise<CheckoutResult> {
  const key = validateIdempotencyKey(rawKey);
  const hash = requestHash(req);
  const orderId = newOrderId();
  const accessToken = newAccessToken();
  const response: CheckoutResponse = { orderId, status: 'pending_payment', accessToken };
  return withTransaction(pool, async (tx) => {
    const claimed = await query(tx, Q.claimKey, [key, hash, JSON.stringify(response)]);
    if (!claimed.rowCount) {
      const prior = (await query<{ request_hash: string; response_status: number; response_body: CheckoutResponse }>(tx, Q.findKey, [key])).rows[0];
      if (!prior) throw CheckoutErrors.CHECKOUT_IDEMPOTENCY_KEY_INVALID('The Idempotency-Key is being used by a request that has not finished; retry.');
      if (prior.request_hash !== hash) throw CheckoutErrors.IDEMPOTENCY_KEY_REUSED();
      return { response: prior.response_body, replayed: true };
    }

    const cart = await lockCartForCheckout(tx, req.cartId);
    if (cart.checkedOut) throw CartErrors.CART_CHECKED_OUT();
    if (cart.lines.length === 0) throw CheckoutErrors.CHECKOUT_CART_EMPTY();
    const unavailable = cart.lines.find((l) => !l.purchasable);
    if (unavailable) throw CheckoutErrors.CHECKOUT_PRODUCT_UNAVAILABLE(undefined, { productId: unavailable.productId });

    await reserveStock(tx, orderId, cart.lines, opts.reservationTtlSeconds);
    await createOrder(tx, orderId, accessToken, {
      email: req.email, shippingAddress: req.shippingAddress, paymentMethod: req.paymentMethod,
      currency: cart.currency, cartId: cart.id, idempotencyKey: key,
      lines: cart.lines.map((l) => ({ productId: l.productId, sku: l.sku, title: l.title, unitPriceAmount: l.unitPrice.amount, quantity: l.quantity })),
    });
    await markCheckedOut(tx, cart.id);
    await enqueuePaymentJob(queue, tx, { orderId, ...(opts.traceparent ? { traceparent: opts.traceparent } : {}) });
    return { response, replayed: false };
  });
}

/** Idempotency records are kept 24 hours, like Stripe's. */
export async function purgeIdempotencyRecords(pool: pg.Pool, olderThanHours = 24): Promise<number> {
  return (await query(pool, Q.purgeKeys, [olderThanHours])).rowCount ?? 0;
}
