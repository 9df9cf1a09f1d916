// The catalog API's contract, on its routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, productWithStock, type RouteTest } from '../../test/helpers/route-test.ts';
import { catalogRoutes } from './catalog-routes.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db }) => catalogRoutes(app, { pool: db.pool })); });
after(async () => { await t?.close(); });

test('GET /api/products: 200 with a page and a cursor to the next; the cursor pages on; public for 5 s', async () => {
  const first = await t.call('GET', '/api/products?limit=3');
  assert.equal(first.status, 200);
  assert.equal(first.json.items.length, 3);
  assert.equal(first.headers['cache-control'], 'public, max-age=5');
  const next = await t.call('GET', `/api/products?limit=3&cursor=${first.json.nextCursor}`);
  assert.equal(next.status, 200);
  assert.notEqual(next.json.items[0].id, first.json.items[0].id);
  const found = await t.call('GET', '/api/products?q=scarf&limit=2');
  assert.equal(found.status, 200);
  assert.ok(found.json.items.length > 0);
});

test('GET /api/products: 400 VALIDATION_FAILED for a bad limit or an unknown parameter, 400 INVALID_CURSOR for a forged cursor', async () => {
  for (const url of ['/api/products?limit=0', '/api/products?limit=101', '/api/products?limit=x', '/api/products?sort=price']) {
    const res = await t.call('GET', url);
    assert.equal(res.status, 400, url);
    assert.equal(res.json.error.code, 'VALIDATION_FAILED', url);
  }
  for (const cursor of ['not-a-cursor', Buffer.from(JSON.stringify({ s: '\u0000' })).toString('base64url')]) {
    const res = await t.call('GET', `/api/products?cursor=${cursor}`);
    assert.equal(res.status, 400);
    assert.equal(res.json.error.code, 'INVALID_CURSOR');
  }
});

test('GET /api/products/:slug: 200 with available stock; 404 PRODUCT_NOT_FOUND', async () => {
  const product = await productWithStock(t.db, 1);
  const res = await t.call('GET', `/api/products/${product.slug}`);
  assert.equal(res.status, 200);
  assert.equal(res.json.id, product.id);
  assert.ok(Number.isInteger(res.json.available) && res.json.available >= 1);
  const missing = await t.call('GET', '/api/products/no-such-product');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'PRODUCT_NOT_FOUND');
});
