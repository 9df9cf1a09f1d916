// The shopper's API for paying a declined order again: its contract on its route alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, productWithStock, SHIPPING, type RouteTest } from '../../test/helpers/route-test.ts';
import { placeOrder } from '../checkout/index.ts';
import { orderPaymentRoutes } from './order-payment-routes.ts';

let t: RouteTest;
before(async () => {
  t = await routeTest((app, { db, queue }) => orderPaymentRoutes(app, { pool: db.pool, queue, payAgain: { maxRetries: 2, minSecondsLeft: 30 } }), { queue: true });
});
after(async () => { await t?.close(); });

async function anOrder(status?: 'payment_failed') {
  const product = await productWithStock(t.db, 1);
  const { rows } = await t.db.pool.query<{ id: string }>(`INSERT INTO carts DEFAULT VALUES RETURNING id`);
  await t.db.pool.query(`INSERT INTO cart_lines (cart_id, product_id, quantity) VALUES ($1, $2, 1)`, [rows[0]!.id, product.id]);
  const order = (await placeOrder(t.db.pool, { cartId: rows[0]!.id, email: 'ada@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_chargeDeclined' },
    randomUUID(), { reservationTtlSeconds: 900 })).response;
  if (status) await t.db.pool.query(`UPDATE orders SET status = $2 WHERE id = $1`, [order.orderId, status]);
  return order;
}

const payAgain = (order: { orderId: string; accessToken: string }, key: string, paymentMethod = 'pm_card_visa', token = order.accessToken) =>
  t.call('POST', `/api/orders/${order.orderId}/payment`, {
    body: { paymentMethod }, headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
  });

test('202 pending_payment for a declined order; the same key and card replays; another card under that key 422', async () => {
  const order = await anOrder('payment_failed');
  const key = randomUUID();
  const paid = await payAgain(order, key);
  assert.equal(paid.status, 202, paid.body);
  assert.equal(paid.json.status, 'pending_payment');
  assert.equal(paid.json.paymentMethod, 'pm_card_visa');
  const replay = await payAgain(order, key);
  assert.equal(replay.status, 202);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  const other = await payAgain(order, key, 'pm_card_mastercard');
  assert.equal(other.status, 422);
  assert.equal(other.json.error.code, 'PAYMENT_IDEMPOTENCY_KEY_REUSED');
});

test('409 PAYMENT_NOT_RETRYABLE for an order that was not declined; 401/404 without the right token; 400 without a key', async () => {
  const pending = await anOrder();
  const refused = await payAgain(pending, randomUUID());
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'PAYMENT_NOT_RETRYABLE');
  assert.equal((await t.call('POST', `/api/orders/${pending.orderId}/payment`, { body: { paymentMethod: 'pm_card_visa' }, headers: { 'idempotency-key': randomUUID() } })).json.error.code, 'ORDER_TOKEN_REQUIRED');
  assert.equal((await payAgain(pending, randomUUID(), 'pm_card_visa', 'not-the-token')).json.error.code, 'ORDER_NOT_FOUND');
  const noKey = await t.call('POST', `/api/orders/${pending.orderId}/payment`, { body: { paymentMethod: 'pm_card_visa' }, headers: { authorization: `Bearer ${pending.accessToken}` } });
  assert.equal(noKey.status, 400);
  assert.equal(noKey.json.error.code, 'VALIDATION_FAILED');
});

test('409 PAYMENT_ATTEMPTS_EXHAUSTED after maxRetries; 409 PAYMENT_DEADLINE_PASSED when too close to the deadline', async () => {
  const order = await anOrder('payment_failed');
  for (let i = 0; i < 2; i++) {
    assert.equal((await payAgain(order, randomUUID())).status, 202);
    await t.db.pool.query(`UPDATE orders SET status = 'payment_failed' WHERE id = $1`, [order.orderId]);
    await t.db.pool.query(`DELETE FROM pgboss.job WHERE singleton_key = $1`, [order.orderId]);
  }
  const exhausted = await payAgain(order, randomUUID());
  assert.equal(exhausted.status, 409);
  assert.equal(exhausted.json.error.code, 'PAYMENT_ATTEMPTS_EXHAUSTED');
  const late = await anOrder('payment_failed');
  await t.db.pool.query(`UPDATE stock_reservations SET expires_at = now() + interval '10 seconds' WHERE order_id = $1`, [late.orderId]);
  const tooLate = await payAgain(late, randomUUID());
  assert.equal(tooLate.status, 409);
  assert.equal(tooLate.json.error.code, 'PAYMENT_DEADLINE_PASSED');
});
