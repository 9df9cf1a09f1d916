// Orders: customer access by token, status transitions with an event history, admin listing and
// cancellation. Orders are created by the checkout transaction, through orders_create (the orders' SQL
// function, src/orders/migrations/010, which checkout's holdfast_place_order calls).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { Queryable } from '../platform/db/database.ts';
import { query, withTransaction } from '../platform/db/database.ts';
import { isUuid, type Money } from '../catalog/index.ts';
import { releaseReservations, paymentDeadline } from '../inventory/index.ts';
import { OrderQueries as Q } from './order-queries.ts';
import { OrderErrors } from './order-errors.ts';
import { RequestErrors } from '../platform/errors/request-errors.ts';
import { canTransition, payAgainRefusal, type OrderStatus, type PayAgainLimits, type PayAgainRefusal } from './order-state-machine.ts';

export interface ShippingAddress {
  name: string; line1: string; line2?: string | undefined; city: string; postalCode: string; country: string;
  region?: string | undefined;
}

export interface OrderLine { productId: string; sku: string; title: string; unitPrice: Money; quantity: number; lineTotal: Money }
export interface OrderEvent { type: string; fromStatus: string | null; toStatus: string | null; data: unknown; at: string }

/** The provider's reason for a decline (Stripe's error code, decline_code and message). */
export interface PaymentError { code: string; declineCode?: string | undefined; message: string }

export interface Order {
  id: string; number: number; status: OrderStatus; email: string; shippingAddress: ShippingAddress;
  paymentMethod: string; subtotal: Money; total: Money; lines: OrderLine[]; createdAt: string; updatedAt: string;
  /** payment_failed only: why the last payment was declined. */
  lastPaymentError?: PaymentError | undefined;
  /** payment_failed only, while its items are held: until when the order can be paid with another card. */
  paymentDeadline?: string | undefined;
  /** payment_failed only: how many times the order was paid again with another payment method. */
  paymentRetries?: number | undefined;
}

interface OrderRow {
  id: string; number: number; status: OrderStatus; access_token_hash: string; email: string;
  shipping_address: ShippingAddress; payment_method: string; currency: string; subtotal_amount: number;
  total_amount: number; cart_id: string; idempotency_key: string; created_at: Date; updated_at: Date;
}
interface LineRow { product_id: string; sku: string; title: string; unit_price_amount: number; quantity: number; line_total_amount: number }

/** What an order stores of its access token (checkout writes it; only the shopper ever sees the token). */
export const accessTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

function toOrder(r: OrderRow, lines: LineRow[]): Order {
  const currency = r.currency.trim();
  return {
    id: r.id, number: r.number, status: r.status, email: r.email, shippingAddress: r.shipping_address,
    paymentMethod: r.payment_method, subtotal: { amount: r.subtotal_amount, currency },
    total: { amount: r.total_amount, currency },
    lines: lines.map((l) => ({
      productId: l.product_id, sku: l.sku, title: l.title, unitPrice: { amount: l.unit_price_amount, currency },
      quantity: l.quantity, lineTotal: { amount: l.line_total_amount, currency },
    })),
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

/** Pre-allocates an order id so stock can be reserved against it before the row exists. */
export function newOrderId(): string { return randomUUID(); }

/** A new order access token: 256 random bits, shown to the shopper once; only its hash is stored. */
export function newAccessToken(): string { return randomBytes(32).toString('base64url'); }

async function loadOrder(db: Queryable, id: string): Promise<OrderRow | undefined> {
  if (!isUuid(id)) return undefined;
  return (await query<OrderRow>(db, Q.get, [id])).rows[0];
}

async function withLines(db: Queryable, row: OrderRow, lines?: LineRow[]): Promise<Order> {
  const order = toOrder(row, lines ?? (await query<LineRow>(db, Q.lines, [row.id])).rows);
  return row.status === 'payment_failed' ? { ...order, ...await declineFacts(db, row.id) } : order;
}

/** A page of orders with their lines: one query for every order's lines, not one per order. */
async function withLinesOfMany(db: Queryable, rows: OrderRow[]): Promise<Order[]> {
  if (!rows.length) return [];
  const byOrder = new Map<string, LineRow[]>();
  for (const line of (await query<LineRow & { order_id: string }>(db, Q.linesOfMany, [rows.map((r) => r.id)])).rows) {
    const lines = byOrder.get(line.order_id) ?? [];
    lines.push(line);
    byOrder.set(line.order_id, lines);
  }
  return Promise.all(rows.map((r) => withLines(db, r, byOrder.get(r.id) ?? [])));
}

/** What a shopper needs to pay a declined order again: the reason, the deadline while items are held, the retries made. */
async function declineFacts(db: Queryable, id: string): Promise<Pick<Order, 'lastPaymentError' | 'paymentDeadline' | 'paymentRetries'>> {
  const d = (await query<{ data: { code?: string; declineCode?: string | null; message?: string } }>(db, Q.lastDecline, [id])).rows[0]?.data;
  const payment = await paymentDeadline(db, id);
  return {
    ...(d?.code ? { lastPaymentError: { code: d.code, ...(d.declineCode ? { declineCode: d.declineCode } : {}), message: d.message ?? 'The payment was declined.' } } : {}),
    ...(payment.itemsHeld && payment.deadline ? { paymentDeadline: payment.deadline.toISOString() } : {}),
    paymentRetries: await retriesOf(db, id),
  };
}

async function retriesOf(db: Queryable, id: string): Promise<number> {
  return (await query<{ n: number }>(db, Q.retries, [id])).rows[0]?.n ?? 0;
}

/** The shopper's view of an order: needs the access token returned by checkout. */
/** The order's row, for the holder of its access token only (anyone else: not found). */
async function loadOrderForCustomer(db: Queryable, id: string, accessToken: string | undefined) {
  if (!accessToken) throw OrderErrors.ORDER_TOKEN_REQUIRED();
  const row = await loadOrder(db, id);
  if (!row) throw OrderErrors.ORDER_NOT_FOUND();
  const given = Buffer.from(accessTokenHash(accessToken));
  const expected = Buffer.from(row.access_token_hash);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw OrderErrors.ORDER_NOT_FOUND();
  return row;
}

export async function getOrderForCustomer(db: Queryable, id: string, accessToken: string | undefined): Promise<Order> {
  return withLines(db, await loadOrderForCustomer(db, id, accessToken));
}

/** Just the order's status (one query, no lines): what the order page polls while a payment is processing. */
export async function getOrderStatusForCustomer(db: Queryable, id: string, accessToken: string | undefined): Promise<OrderStatus> {
  return (await loadOrderForCustomer(db, id, accessToken)).status;
}

export async function getOrder(db: Queryable, id: string): Promise<Order> {
  const row = await loadOrder(db, id);
  if (!row) throw OrderErrors.ORDER_NOT_FOUND();
  return withLines(db, row);
}

export async function getOrderEvents(db: Queryable, id: string): Promise<OrderEvent[]> {
  const { rows } = await query<{ type: string; from_status: string | null; to_status: string | null; data: unknown; created_at: Date }>(db, Q.events, [id]);
  return rows.map((r) => ({ type: r.type, fromStatus: r.from_status, toStatus: r.to_status, data: r.data, at: r.created_at.toISOString() }));
}

/**
 * Moves an order to a new status inside the caller's transaction, locking its row. Returns the previous
 * status. An illegal move throws ORDER_INVALID_TRANSITION; moving to the current status is a no-op
 * (so a redelivered job settling an already settled order changes nothing).
 */
export async function transitionOrder(
  tx: Queryable, id: string, to: OrderStatus, event: { type: string; data?: Record<string, unknown> },
): Promise<{ from: OrderStatus; changed: boolean }> {
  if (!isUuid(id)) throw OrderErrors.ORDER_NOT_FOUND();
  const row = (await query<OrderRow>(tx, Q.getForUpdate, [id])).rows[0];
  if (!row) throw OrderErrors.ORDER_NOT_FOUND();
  if (row.status === to) return { from: row.status, changed: false };
  if (!canTransition(row.status, to)) {
    throw OrderErrors.ORDER_INVALID_TRANSITION(`An order in ${row.status} cannot become ${to}.`, { from: row.status, to });
  }
  await query(tx, Q.setStatus, [id, to]);
  await query(tx, Q.insertEvent, [id, event.type, row.status, to, JSON.stringify(event.data ?? {})]);
  return { from: row.status, changed: true };
}

/**
 * Records something that happened to an order without changing its status (a refund of a charge that
 * landed on an order no longer payable), inside the caller's transaction. The orders own their history:
 * other contexts add to it only through here and transitionOrder().
 */
export async function appendOrderEvent(tx: Queryable, id: string, event: { type: string; data?: Record<string, unknown> }): Promise<void> {
  await query(tx, Q.insertEvent, [id, event.type, null, null, JSON.stringify(event.data ?? {})]);
}

/**
 * Reopens a declined order for payment with another payment method, inside the caller's transaction:
 * under the order's row lock, checks payAgainRefusal() against the order's payment deadline (judged by
 * the database clock) and the retries it had, then payment_failed -> pending_payment with a
 * payment.retried event. Returns the refusal, changing nothing, when the order cannot be paid again. The
 * caller enqueues the payment job in the same transaction.
 */
export async function reopenForPayment(tx: Queryable, id: string, paymentMethod: string, limits: PayAgainLimits): Promise<PayAgainRefusal | undefined> {
  const row = isUuid(id) ? (await query<OrderRow>(tx, Q.getForUpdate, [id])).rows[0] : undefined;
  if (!row) throw OrderErrors.ORDER_NOT_FOUND();
  const refusal = payAgainRefusal(row.status, { ...await paymentDeadline(tx, id), retries: await retriesOf(tx, id) }, limits);
  if (refusal) return refusal;
  await transitionOrder(tx, id, 'pending_payment', { type: 'payment.retried', data: { paymentMethod, previousPaymentMethod: row.payment_method } });
  await query(tx, Q.setPaymentMethod, [id, paymentMethod]);
  return undefined;
}

/** Cancels an unpaid order and returns its reserved stock. */
export async function cancelOrder(pool: pg.Pool, id: string, reason: string): Promise<Order> {
  return withTransaction(pool, async (tx) => {
    await transitionOrder(tx, id, 'canceled', { type: 'order.canceled', data: { reason } });
    await releaseReservations(tx, id);
    return getOrder(tx, id);
  });
}

export interface OrderListQuery { status?: OrderStatus | undefined; email?: string | undefined; limit: number; cursor?: string | undefined }

function isIsoTimestamp(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(s)) return false;
  const d = new Date(s);
  return !Number.isNaN(d.getTime()) && d.toISOString() === s;
}

export async function listOrders(db: Queryable, q: OrderListQuery): Promise<{ items: Order[]; nextCursor: string | null }> {
  let after: { t: string; id: string } | null = null;
  if (q.cursor) {
    try {
      const c = JSON.parse(Buffer.from(q.cursor, 'base64url').toString()) as { t?: unknown; id?: unknown };
      // Only the exact form this function writes: Date.parse accepts dates PostgreSQL rejects ("1", "+275760-…").
      if (typeof c.t === 'string' && typeof c.id === 'string' && isUuid(c.id) && isIsoTimestamp(c.t)) after = { t: c.t, id: c.id };
    } catch { /* invalid */ }
    if (!after) throw RequestErrors.INVALID_CURSOR();
  }
  const { rows } = await query<OrderRow>(db, Q.list, [q.status ?? null, q.email ?? null, after?.t ?? null, after?.id ?? null, q.limit + 1]);
  const page = rows.slice(0, q.limit);
  const items = await withLinesOfMany(db, page);
  const last = page.at(-1);
  return {
    items,
    nextCursor: rows.length > q.limit && last
      ? Buffer.from(JSON.stringify({ t: last.created_at.toISOString(), id: last.id })).toString('base64url') : null,
  };
}

/** Orders of a status (any when absent) created in [createdFrom, createdBefore): one count, no listing. */
export async function countOrders(db: Queryable, q: { status?: OrderStatus | undefined; createdFrom?: string | undefined; createdBefore?: string | undefined }): Promise<number> {
  const { rows } = await query<{ n: number }>(db, Q.count, [q.status ?? null, q.createdFrom ?? null, q.createdBefore ?? null]);
  return rows[0]!.n;
}

export async function countOrdersByStatus(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await query<{ status: string; n: number }>(db, Q.countByStatus);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
