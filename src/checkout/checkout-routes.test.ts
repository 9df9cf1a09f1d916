// The checkout API's contract, on its route alone (inject, no socket), with the payment queue declared:
// the checkout function enqueues the order's payment job itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, productWithStock, SHIPPING, type RouteTest } from '../../test/helpers/route-test.ts';
import { checkoutRoutes } from './checkout-routes.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db }) => checkoutRoutes(app, { pool: db.pool, reservationTtlSeconds: 900 }), { queue: true }); });
after(async () => { await t?.close(); });

async function cartWith(productId: string | undefined, quantity = 1): Promise<string> {
  const { rows } = await t.db.pool.query<{ id: string }>(`INSERT INTO carts DEFAULT VALUES RETURNING id`);
  const cartId = rows[0]!.id;
  if (productId) await t.db.pool.query(`INSERT INTO cart_lines (cart_id, product_id, quantity) VALUES ($1, $2, $3)`, [cartId, productId, quantity]);
  return cartId;
}

const checkout = (cartId: string, key: string | undefined, extra: Record<string, unknown> = {}) => t.call('POST', '/api/checkout', {
  body: { cartId, email: 'ada@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa', ...extra },
  headers: key === undefined ? {} : { 'idempotency-key': key },
});

test('202 with the order id, pending_payment and an access token; the same key and body replays it', async () => {
  const product = await productWithStock(t.db, 2);
  const cart = await cartWith(product.id);
  const key = randomUUID();
  const placed = await checkout(cart, key);
  assert.equal(placed.status, 202, placed.body);
  assert.equal(placed.json.status, 'pending_payment');
  assert.ok(placed.json.orderId && placed.json.accessToken);
  const replay = await checkout(cart, key);
  assert.equal(replay.status, 202);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.deepEqual(replay.json, placed.json);
  const reused = await checkout(cart, key, { email: 'someone-else@example.com' });
  assert.equal(reused.status, 422);
  assert.equal(reused.json.error.code, 'IDEMPOTENCY_KEY_REUSED');
});

test('400 CHECKOUT_IDEMPOTENCY_KEY_REQUIRED and _INVALID; 400 VALIDATION_FAILED for a bad body', async () => {
  const cart = await cartWith(undefined);
  assert.equal((await checkout(cart, undefined)).json.error.code, 'CHECKOUT_IDEMPOTENCY_KEY_REQUIRED');
  const badKey = await checkout(cart, 'has a space');
  assert.equal(badKey.status, 400);
  assert.equal(badKey.json.error.code, 'CHECKOUT_IDEMPOTENCY_KEY_INVALID');
  const badBody = await checkout(cart, randomUUID(), { email: 'not-an-email' });
  assert.equal(badBody.status, 400);
  assert.equal(badBody.json.error.code, 'VALIDATION_FAILED');
});

test('404 CART_NOT_FOUND, 422 CHECKOUT_CART_EMPTY, 409 OUT_OF_STOCK with its details, 409 CART_CHECKED_OUT', async () => {
  const missing = await checkout(randomUUID(), randomUUID());
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'CART_NOT_FOUND');
  const empty = await checkout(await cartWith(undefined), randomUUID());
  assert.equal(empty.status, 422);
  assert.equal(empty.json.error.code, 'CHECKOUT_CART_EMPTY');
  const product = await productWithStock(t.db, 1);
  await t.db.pool.query(`UPDATE stock_levels SET on_hand = reserved + 2 WHERE product_id = $1`, [product.id]);
  const oos = await checkout(await cartWith(product.id, 3), randomUUID());
  assert.equal(oos.status, 409);
  assert.equal(oos.json.error.code, 'OUT_OF_STOCK');
  assert.deepEqual(oos.json.error.details, { productId: product.id, requested: 3 });
  const cart = await cartWith(product.id);
  assert.equal((await checkout(cart, randomUUID())).status, 202);
  const again = await checkout(cart, randomUUID());
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'CART_CHECKED_OUT');
});
