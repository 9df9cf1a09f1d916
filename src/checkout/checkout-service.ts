// Checkout: one transaction that validates the cart, reserves stock, creates the order with a price
// snapshot, records the idempotency key with its response, and enqueues the payment job. Replaying a key
// with the same body returns the first response; with a different body it is IDEMPOTENCY_KEY_REUSED.
// Failed checkouts (empty cart, out of stock) roll back entirely, key included, so a retry re-executes.
//
// The transaction is the SQL function holdfast_place_order (src/checkout/migrations/012), called as one
// statement: one round trip instead of seven plus one per line, which is what bounds checkouts per second on
// a small machine. It writes the cart's, the inventory's and the orders' tables through their own SQL
// functions. Its rejections arrive as SQLSTATE HF001 with the stable code as the message and are mapped
// back here.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { query } from '../platform/db/database.ts';
import type { DomainError } from '../platform/errors/domain-error.ts';
import { isUuid } from '../catalog/index.ts';
import { CartErrors } from '../cart/index.ts';
import { InventoryErrors } from '../inventory/index.ts';
import { accessTokenHash, newOrderId, newAccessToken, type ShippingAddress } from '../orders/index.ts';
import { paymentJob } from '../payments/index.ts';
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

/** SQLSTATE of the rejections of holdfast_place_order and the cart and inventory functions it calls. */
const CHECKOUT_REJECTED = 'HF001';

/** The codes holdfast_place_order raises, as the errors the contexts define for them. */
const rejections: Record<string, (details: Record<string, unknown> | undefined) => DomainError> = {
  CHECKOUT_IDEMPOTENCY_KEY_IN_FLIGHT: () =>
    CheckoutErrors.CHECKOUT_IDEMPOTENCY_KEY_INVALID('The Idempotency-Key is being used by a request that has not finished; retry.'),
  IDEMPOTENCY_KEY_REUSED: () => CheckoutErrors.IDEMPOTENCY_KEY_REUSED(),
  CART_NOT_FOUND: () => CartErrors.CART_NOT_FOUND(),
  CART_CHECKED_OUT: () => CartErrors.CART_CHECKED_OUT(),
  CHECKOUT_CART_EMPTY: () => CheckoutErrors.CHECKOUT_CART_EMPTY(),
  CHECKOUT_PRODUCT_UNAVAILABLE: (d) => CheckoutErrors.CHECKOUT_PRODUCT_UNAVAILABLE(undefined, d),
  OUT_OF_STOCK: (d) => InventoryErrors.OUT_OF_STOCK(undefined, d),
};

function toRejection(err: unknown): unknown {
  const e = err as { code?: string; message?: string; detail?: string };
  if (e.code !== CHECKOUT_REJECTED || !e.message) return err;
  const make = rejections[e.message];
  if (!make) return err;
  return make(e.detail ? JSON.parse(e.detail) as Record<string, unknown> : undefined);
}

/** Places an order from a cart; its payment job is written by the same statement as the order. */
export async function placeOrder(
  pool: pg.Pool, req: CheckoutRequest, rawKey: string | undefined,
  opts: { reservationTtlSeconds: number; traceparent?: string | undefined },
): Promise<CheckoutResult> {
  const key = validateIdempotencyKey(rawKey);
  const hash = requestHash(req);
  const orderId = newOrderId();
  const accessToken = newAccessToken();
  const response: CheckoutResponse = { orderId, status: 'pending_payment', accessToken };
  const job = paymentJob(orderId, opts.traceparent);
  try {
    const { rows } = await query<{ replayed: boolean; response: CheckoutResponse }>(pool, Q.placeOrder, [
      key, hash, JSON.stringify(response), orderId, accessTokenHash(accessToken),
      // A cart id that is not a uuid finds no cart (CART_NOT_FOUND, after the key is checked).
      isUuid(req.cartId) ? req.cartId : null, req.email,
      JSON.stringify(req.shippingAddress), req.paymentMethod, opts.reservationTtlSeconds, JSON.stringify(job),
    ]);
    const row = rows[0]!;
    return { response: row.response, replayed: row.replayed };
  } catch (err) {
    throw toRejection(err);
  }
}

/** Idempotency records are kept 24 hours, like Stripe's. */
export async function purgeIdempotencyRecords(pool: pg.Pool, olderThanHours = 24): Promise<number> {
  return (await query(pool, Q.purgeKeys, [olderThanHours])).rowCount ?? 0;
}
