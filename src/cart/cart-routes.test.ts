// The cart API's contract, on its routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, productWithStock, type RouteTest } from '../../test/helpers/route-test.ts';
import { cartRoutes } from './cart-routes.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db }) => cartRoutes(app, { pool: db.pool })); });
after(async () => { await t?.close(); });

const newCart = async () => (await t.call('POST', '/api/carts', { body: {} })).json.id as string;

test('POST /api/carts: 201 with an empty cart; GET it: 200; an unknown cart 404 CART_NOT_FOUND, a malformed id 400', async () => {
  const created = await t.call('POST', '/api/carts', { body: {} });
  assert.equal(created.status, 201);
  assert.deepEqual({ lines: created.json.lines, itemCount: created.json.itemCount, checkedOut: created.json.checkedOut }, { lines: [], itemCount: 0, checkedOut: false });
  assert.equal((await t.call('GET', `/api/carts/${created.json.id}`)).status, 200);
  const unknown = await t.call('GET', `/api/carts/${randomUUID()}`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'CART_NOT_FOUND');
  assert.equal((await t.call('GET', '/api/carts/not-a-uuid')).json.error.code, 'VALIDATION_FAILED');
});

test('POST /api/carts/:id/items: 200 with totals from server prices; 422 CART_PRODUCT_UNAVAILABLE, CART_QUANTITY_LIMIT; 400 for a client price', async () => {
  const cart = await newCart();
  const product = await productWithStock(t.db, 1);
  const added = await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: product.id, quantity: 2 } });
  assert.equal(added.status, 200);
  assert.equal(added.json.subtotal.amount, product.price * 2);
  const unknown = await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: randomUUID(), quantity: 1 } });
  assert.equal(unknown.status, 422);
  assert.equal(unknown.json.error.code, 'CART_PRODUCT_UNAVAILABLE');
  const tooMany = await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: product.id, quantity: 98 } });
  assert.equal(tooMany.status, 422);
  assert.equal(tooMany.json.error.code, 'CART_QUANTITY_LIMIT');
  const priced = await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: product.id, quantity: 1, price: 1 } });
  assert.equal(priced.status, 400);
  assert.equal(priced.json.error.code, 'VALIDATION_FAILED');
  const noCart = await t.call('POST', `/api/carts/${randomUUID()}/items`, { body: { productId: product.id, quantity: 1 } });
  assert.equal(noCart.json.error.code, 'CART_NOT_FOUND');
});

test('PATCH and DELETE a line: 200; a line not in the cart 404 CART_LINE_NOT_FOUND; a checked-out cart 409 CART_CHECKED_OUT', async () => {
  const cart = await newCart();
  const product = await productWithStock(t.db, 1);
  await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: product.id, quantity: 1 } });
  const patched = await t.call('PATCH', `/api/carts/${cart}/items/${product.id}`, { body: { quantity: 3 } });
  assert.equal(patched.status, 200);
  assert.equal(patched.json.itemCount, 3);
  const other = randomUUID();
  assert.equal((await t.call('PATCH', `/api/carts/${cart}/items/${other}`, { body: { quantity: 1 } })).json.error.code, 'CART_LINE_NOT_FOUND');
  assert.equal((await t.call('DELETE', `/api/carts/${cart}/items/${other}`)).json.error.code, 'CART_LINE_NOT_FOUND');
  const removed = await t.call('DELETE', `/api/carts/${cart}/items/${product.id}`);
  assert.equal(removed.status, 200);
  assert.equal(removed.json.itemCount, 0);
  await t.db.pool.query('UPDATE carts SET checked_out_at = now() WHERE id = $1', [cart]);
  const closed = await t.call('POST', `/api/carts/${cart}/items`, { body: { productId: product.id, quantity: 1 } });
  assert.equal(closed.status, 409);
  assert.equal(closed.json.error.code, 'CART_CHECKED_OUT');
});
