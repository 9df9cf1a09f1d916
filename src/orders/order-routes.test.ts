// The shopper's order API's contract, on its route alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, productWithStock, SHIPPING, type RouteTest } from '../../test/helpers/route-test.ts';
import { placeOrder } from '../checkout/index.ts';
import { orderRoutes } from './order-routes.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db }) => orderRoutes(app, { pool: db.pool }), { queue: true }); });
after(async () => { await t?.close(); });

async function anOrder() {
  const product = await productWithStock(t.db, 1);
  const { rows } = await t.db.pool.query<{ id: string }>(`INSERT INTO carts DEFAULT VALUES RETURNING id`);
  await t.db.pool.query(`INSERT INTO cart_lines (cart_id, product_id, quantity) VALUES ($1, $2, 1)`, [rows[0]!.id, product.id]);
  const placed = await placeOrder(t.db.pool, { cartId: rows[0]!.id, email: 'ada@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    randomUUID(), { reservationTtlSeconds: 900 });
  return placed.response;
}

test('GET /api/orders/:id: 200 for the holder of its access token, never cached', async () => {
  const order = await anOrder();
  const res = await t.call('GET', `/api/orders/${order.orderId}`, { headers: { authorization: `Bearer ${order.accessToken}` } });
  assert.equal(res.status, 200, res.body);
  assert.equal(res.json.id, order.orderId);
  assert.equal(res.json.status, 'pending_payment');
  assert.equal(res.headers['cache-control'], 'no-store');
});

test('401 ORDER_TOKEN_REQUIRED without a token; 404 ORDER_NOT_FOUND for a wrong token or an unknown order', async () => {
  const order = await anOrder();
  const none = await t.call('GET', `/api/orders/${order.orderId}`);
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'ORDER_TOKEN_REQUIRED');
  const wrong = await t.call('GET', `/api/orders/${order.orderId}`, { headers: { authorization: 'Bearer not-the-token' } });
  assert.equal(wrong.status, 404);
  assert.equal(wrong.json.error.code, 'ORDER_NOT_FOUND');
  const unknown = await t.call('GET', `/api/orders/${randomUUID()}`, { headers: { authorization: `Bearer ${order.accessToken}` } });
  assert.equal(unknown.json.error.code, 'ORDER_NOT_FOUND');
});
