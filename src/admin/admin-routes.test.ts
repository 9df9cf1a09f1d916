// The admin API's contract (products, stock, orders), on its routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, SHIPPING, type RouteTest } from '../../test/helpers/route-test.ts';
import { adminRoutes } from './admin-routes.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db, adminTokenSha256 }) => adminRoutes(app, { pool: db.pool, adminTokenSha256 })); });
after(async () => { await t?.close(); });

const product = (slug: string) => ({ slug, sku: slug.toUpperCase(), title: `Test ${slug}`, price: { amount: 1299, currency: 'USD' }, stock: 5 });

test('401 UNAUTHORIZED without the admin token or with another; never cached', async () => {
  for (const headers of [{}, { authorization: 'Bearer wrong-token' }] as Record<string, string>[]) {
    const res = await t.call('GET', '/api/admin/products', { headers });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.code, 'UNAUTHORIZED');
  }
  assert.equal((await t.call('GET', '/api/admin/products', { admin: true })).headers['cache-control'], 'no-store');
});

test('products: 201 created with stock, 409 PRODUCT_SLUG_TAKEN / PRODUCT_SKU_TAKEN, 200 read and update, 204 off sale, 404 PRODUCT_NOT_FOUND', async () => {
  const slug = `admin-route-${Date.now()}`;
  const created = await t.call('POST', '/api/admin/products', { admin: true, body: product(slug) });
  assert.equal(created.status, 201, created.body);
  const id = created.json.id as string;
  const sameSlug = await t.call('POST', '/api/admin/products', { admin: true, body: { ...product(slug), sku: `${slug}-other` } });
  assert.equal(sameSlug.status, 409);
  assert.equal(sameSlug.json.error.code, 'PRODUCT_SLUG_TAKEN');
  const sameSku = await t.call('POST', '/api/admin/products', { admin: true, body: { ...product(`${slug}-other`), sku: slug.toUpperCase() } });
  assert.equal(sameSku.json.error.code, 'PRODUCT_SKU_TAKEN');
  assert.equal((await t.call('GET', `/api/admin/products/${id}`, { admin: true })).json.slug, slug);
  const updated = await t.call('PATCH', `/api/admin/products/${id}`, { admin: true, body: { title: 'Renamed' } });
  assert.equal(updated.status, 200);
  assert.equal(updated.json.title, 'Renamed');
  assert.equal((await t.call('PATCH', `/api/admin/products/${id}`, { admin: true, body: {} })).json.error.code, 'VALIDATION_FAILED');
  assert.equal((await t.call('DELETE', `/api/admin/products/${id}`, { admin: true })).status, 204);
  assert.equal((await t.call('GET', `/api/admin/products/${id}`, { admin: true })).json.active, false);
  const missing = await t.call('GET', `/api/admin/products/${randomUUID()}`, { admin: true });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'PRODUCT_NOT_FOUND');
});

test('stock: 200 read and set; 409 STOCK_BELOW_RESERVED; 404 for an unknown product', async () => {
  const slug = `admin-stock-${Date.now()}`;
  const { id } = (await t.call('POST', '/api/admin/products', { admin: true, body: product(slug) })).json;
  assert.deepEqual((await t.call('GET', `/api/admin/products/${id}/stock`, { admin: true })).json.onHand, 5);
  const set = await t.call('PUT', `/api/admin/products/${id}/stock`, { admin: true, body: { onHand: 9 } });
  assert.equal(set.status, 200);
  assert.equal(set.json.available, 9);
  await t.db.pool.query('UPDATE stock_levels SET reserved = 4 WHERE product_id = $1', [id]);
  const below = await t.call('PUT', `/api/admin/products/${id}/stock`, { admin: true, body: { onHand: 3 } });
  assert.equal(below.status, 409);
  assert.equal(below.json.error.code, 'STOCK_BELOW_RESERVED');
  assert.equal((await t.call('GET', `/api/admin/products/${randomUUID()}/stock`, { admin: true })).json.error.code, 'PRODUCT_NOT_FOUND');
});

test('orders count: 200 by status and creation time, without listing them; 400 VALIDATION_FAILED on a bad status or time', async () => {
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  for (const [id, status, at] of [[a, 'pending_payment', '2031-01-01T10:00:00Z'], [b, 'pending_payment', '2031-01-01T10:00:30Z'], [c, 'paid', '2031-01-01T10:00:10Z']]) {
    await t.db.pool.query(`INSERT INTO orders (id, status, access_token_hash, email, shipping_address, payment_method, currency, subtotal_amount, total_amount, cart_id, idempotency_key, created_at)
      VALUES ($1::uuid, $2, 'x', 'count@example.com', '{}', 'pm_card_visa', 'USD', 100, 100, $1::uuid, $1::text, $3)`, [id, status, at]);
  }
  const count = async (q: string) => (await t.call('GET', `/api/admin/orders/count?${q}`, { admin: true })).json.count as number;
  assert.equal(await count('createdFrom=2031-01-01T00:00:00Z'), 3);
  assert.equal(await count('status=pending_payment&createdFrom=2031-01-01T00:00:00Z'), 2);
  assert.equal(await count('status=pending_payment&createdFrom=2031-01-01T00:00:00Z&createdBefore=2031-01-01T10:00:30Z'), 1, 'createdBefore is exclusive');
  assert.equal((await t.call('GET', '/api/admin/orders/count?status=lost', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  assert.equal((await t.call('GET', '/api/admin/orders/count?createdFrom=yesterday', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  assert.equal((await t.call('GET', '/api/admin/orders/count')).status, 401);
  // rows made for the count only (no lines, no address): not for the listing's tests
  await t.db.pool.query('DELETE FROM orders WHERE id = ANY($1::uuid[])', [[a, b, c]]);
});

test('orders: 200 list (filtered), 400 INVALID_CURSOR, 404 ORDER_NOT_FOUND', async () => {
  const list = await t.call('GET', '/api/admin/orders?status=paid&limit=5', { admin: true });
  assert.equal(list.status, 200);
  assert.ok(Array.isArray(list.json.items));
  const bad = await t.call('GET', '/api/admin/orders?cursor=nope', { admin: true });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'INVALID_CURSOR');
  assert.equal((await t.call('GET', '/api/admin/orders?status=lost', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  const missing = await t.call('GET', `/api/admin/orders/${randomUUID()}`, { admin: true });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'ORDER_NOT_FOUND');
});

test('orders list: each order with its own lines (one query reads the lines of the whole page)', async () => {
  const email = `lines-${Date.now()}@example.com`;
  const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
  const lines: Record<string, [string, number][]> = { [a]: [['SKU-A1', 2], ['SKU-A2', 1]], [b]: [['SKU-B1', 3]], [c]: [] };
  for (const [i, id] of [a, b, c].entries()) {
    await t.db.pool.query(`INSERT INTO orders (id, status, access_token_hash, email, shipping_address, payment_method, currency, subtotal_amount, total_amount, cart_id, idempotency_key, created_at)
      VALUES ($1::uuid, 'paid', 'x', $2, $4, 'pm_card_visa', 'USD', 100, 100, $1::uuid, $1::text, now() - make_interval(secs => $3))`, [id, email, i, SHIPPING]);
    for (const [sku, quantity] of lines[id]!) {
      await t.db.pool.query(`INSERT INTO order_lines (order_id, product_id, sku, title, unit_price_amount, quantity, line_total_amount)
        VALUES ($1, $2, $3, $3, 100, $4, 100 * $4)`, [id, randomUUID(), sku, quantity]);
    }
  }
  const list = await t.call('GET', `/api/admin/orders?email=${encodeURIComponent(email)}&limit=10`, { admin: true });
  assert.equal(list.status, 200, list.body);
  const got = Object.fromEntries((list.json.items as { id: string; lines: { sku: string; quantity: number }[] }[]).map((o) => [o.id, o.lines.map((l) => [l.sku, l.quantity])]));
  assert.deepEqual(got, lines);
  await t.db.pool.query('DELETE FROM orders WHERE id = ANY($1::uuid[])', [[a, b, c]]);
});
