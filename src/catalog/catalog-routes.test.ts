// The catalog API's contract, on its routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, productWithStock, type RouteTest } from '../../test/helpers/route-test.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { createProduct } from './catalog-service.ts';
import { setOnHand } from '../inventory/index.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db }) => catalogRoutes(app, { pool: db.pool, lowStockThreshold: 10 })); });
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

/** Three products only a search for "quokkaberry" finds: sold out, low stock (3 left) and in stock (50), cheapest last made. */
async function quokkaberries() {
  const made = [];
  for (const [slug, amount, onHand] of [['quokkaberry-jam', 900, 0], ['quokkaberry-tea', 450, 3], ['quokkaberry-cake', 1500, 50]] as const) {
    const p = await createProduct(t.db.pool, { slug, sku: slug.toUpperCase(), title: slug.replace('-', ' '), description: 'Quokkaberry treat', price: { amount, currency: 'USD' } });
    await setOnHand(t.db.pool, p.id, onHand);
    made.push(p);
  }
  return made;
}

test('GET /api/products: every item carries its availability (sold_out, low_stock up to the threshold, in_stock), and a search its total', async () => {
  await quokkaberries();
  const res = await t.call('GET', '/api/products?q=quokkaberry&limit=2');
  assert.equal(res.status, 200);
  assert.equal(res.json.total, 3, 'all matches are counted, not only this page');
  assert.equal(res.json.items.length, 2);
  const all = (await t.call('GET', '/api/products?q=quokkaberry&limit=10')).json.items as { slug: string; available: number; availability: string }[];
  const by = Object.fromEntries(all.map((p) => [p.slug, [p.availability, p.available]]));
  assert.deepEqual(by, { 'quokkaberry-jam': ['sold_out', 0], 'quokkaberry-tea': ['low_stock', 3], 'quokkaberry-cake': ['in_stock', 50] });
  const listing = await t.call('GET', '/api/products?limit=5');
  assert.equal(listing.json.total, undefined, 'a plain listing is not counted');
  assert.ok(listing.json.items.every((p: { availability: string }) => ['in_stock', 'low_stock', 'sold_out'].includes(p.availability)));
  const one = await t.call('GET', '/api/products/quokkaberry-tea');
  assert.deepEqual([one.json.availability, one.json.available], ['low_stock', 3]);
});

test('GET /api/products?sort=: price ascending and descending and newest, each paging on with its own cursor', async () => {
  const prices = async (sort: string) => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call('GET', `/api/products?q=quokkaberry&limit=1&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      seen.push(...res.json.items.map((p: { price: { amount: number } }) => p.price.amount));
      cursor = res.json.nextCursor;
    } while (cursor);
    return seen;
  };
  assert.deepEqual(await prices('price_asc'), [450, 900, 1500]);
  assert.deepEqual(await prices('price_desc'), [1500, 900, 450]);
  assert.deepEqual(await prices('newest'), [1500, 450, 900], 'the last made first');
  assert.equal((await prices('relevance')).length, 3);
  // Without a search the whole catalog pages by price too.
  const cheapest = await t.call('GET', '/api/products?sort=price_asc&limit=3');
  const amounts = cheapest.json.items.map((p: { price: { amount: number } }) => p.price.amount);
  assert.deepEqual(amounts, [...amounts].sort((a, b) => a - b));
});

test('GET /api/products: 400 VALIDATION_FAILED for an unknown sort, 400 INVALID_CURSOR for a cursor of another sort order', async () => {
  for (const url of ['/api/products?sort=cheapest', '/api/products?sort=', '/api/products?sort=price_asc&sort=newest']) {
    const res = await t.call('GET', url);
    assert.equal(res.status, 400, url);
    assert.equal(res.json.error.code, 'VALIDATION_FAILED', url);
  }
  const byPrice = await t.call('GET', '/api/products?sort=price_asc&limit=1');
  for (const url of [`/api/products?sort=newest&cursor=${byPrice.json.nextCursor}`, `/api/products?cursor=${byPrice.json.nextCursor}`,
    `/api/products?sort=price_asc&cursor=${Buffer.from(JSON.stringify({ o: 'price_asc', p: -1, id: 'x' })).toString('base64url')}`,
    `/api/products?sort=newest&cursor=${Buffer.from(JSON.stringify({ o: 'newest', t: "now'); --", id: '00000000-0000-0000-0000-000000000000' })).toString('base64url')}`,
    // the shape of a timestamp but no real one: PostgreSQL's cast would fail
    ...['2026-13-01 00:00:00+00', '2026-02-30 00:00:00+00', '0000-01-01 00:00:00+00', '2026-01-01 24:00:00+00', '2026-01-01 00:00:00+99'].map((t) =>
      `/api/products?sort=newest&cursor=${Buffer.from(JSON.stringify({ o: 'newest', t, id: '00000000-0000-4000-8000-000000000000' })).toString('base64url')}`)]) {
    const res = await t.call('GET', url);
    assert.equal(res.status, 400, url);
    assert.equal(res.json.error.code, 'INVALID_CURSOR', url);
  }
});
