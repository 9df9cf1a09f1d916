// Admission control over real sockets: a `holdfast start --target storefront` process whose concurrency
// limit is pinned at 10, under more concurrent browsing than that (catalog queries slowed by db.slow so
// requests stay in flight), refuses browsing with 503 OVERLOADED and Retry-After while every checkout
// placed during the overload is accepted; health and the admin API answer throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { REPO_ROOT } from '../helpers/child-processes.ts';
import { startRole, stopRole, type RoleProcess } from '../helpers/role-processes.ts';
import { api, SHIPPING } from '../helpers/test-app.ts';
import { productInStock, setFault, clearFault } from '../helpers/shop.ts';

const LIMIT = 10;
const SLOW_CATALOG_MS = 1500;
const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;

let db: TestDatabase;
let shop: RoleProcess | undefined;
before(async () => {
  db = await createTestDatabase();
  shop = await startRole('storefront', {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `admission-${db.name}`),
    HOLDFAST_CONCURRENCY_LIMIT_ENABLED: 'true',
    HOLDFAST_CONCURRENCY_LIMIT_INITIAL: String(LIMIT), HOLDFAST_CONCURRENCY_LIMIT_MIN: String(LIMIT), HOLDFAST_CONCURRENCY_LIMIT_MAX: String(LIMIT),
    // Enough connections that the slowed browsing cannot exhaust the pool: the limit, not the pool, refuses.
    HOLDFAST_DB_POOL_MAX: '30', HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
  });
});
after(async () => {
  if (shop) await stopRole(shop);
  await db?.drop();
});

async function cartWith(productId: string): Promise<string> {
  const cart = await api(shop!.url, 'POST', '/api/carts', {});
  assert.equal(cart.status, 201, cart.text);
  const added = await api(shop!.url, 'POST', `/api/carts/${cart.json.id}/items`, { productId, quantity: 1 });
  assert.equal(added.status, 200, added.text);
  return cart.json.id;
}

const checkout = (cartId: string) => api(shop!.url, 'POST', '/api/checkout', {
  cartId, email: 'shopper@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa',
}, { 'idempotency-key': randomUUID() });

test('over its limit the storefront sheds browsing with 503 OVERLOADED and Retry-After, and checkouts still succeed', async () => {
  const url = shop!.url;
  const product = await productInStock(url, 10);
  const carts = await Promise.all(Array.from({ length: 6 }, () => cartWith(product.id)));
  await setFault(url, adminToken, 'db.slow', { context: 'catalog', delayMs: SLOW_CATALOG_MS });
  try {
    // Wait until the fault is in force (faults reach the process by NOTIFY and polling).
    for (let i = 0; ; i++) {
      const started = Date.now();
      await api(url, 'GET', `/api/products?limit=99&q=probe${i}`);
      if (Date.now() - started >= SLOW_CATALOG_MS * 0.8) break;
      assert.ok(i < 50, 'db.slow never took effect');
    }
    // Three times the limit of browsing at once, every request a catalog query no cache has answered.
    const browsing = Array.from({ length: 3 * LIMIT }, (_, i) => api(url, 'GET', `/api/products?limit=${i + 1}`));
    await new Promise((r) => setTimeout(r, 300)); // the browsing is in flight, holding what it was admitted to
    const started = Date.now();
    const checkouts = await Promise.all(carts.map(checkout));
    const checkoutMs = Date.now() - started;
    const page = await fetch(`${url}/?q=scarf`, { headers: { accept: 'text/html' } });
    const pageBody = await page.text();
    const health = await api(url, 'GET', '/healthz');
    const faults = await api(url, 'GET', '/api/admin/faults', undefined, { authorization: `Bearer ${adminToken}` });
    const browsed = await Promise.all(browsing);

    assert.deepEqual(checkouts.map((c) => c.status), Array(carts.length).fill(202), checkouts.map((c) => c.text.slice(0, 200)).join('\n'));
    assert.ok(checkoutMs < SLOW_CATALOG_MS, `checkouts took ${checkoutMs} ms: they waited behind the browsing`);
    assert.equal(health.status, 200);
    assert.equal(faults.status, 200, 'the admin API is never limited');

    const served = browsed.filter((b) => b.status === 200);
    const shed = browsed.filter((b) => b.status === 503);
    assert.equal(served.length + shed.length, browsed.length, `only 200 or 503: ${browsed.map((b) => b.status).join(',')}`);
    // Browsing (sheddable_plus) is admitted up to 80% of the limit.
    assert.ok(served.length >= Math.floor(LIMIT * 0.8), `${served.length} browsing requests served`);
    assert.ok(shed.length >= 3 * LIMIT - LIMIT, `${shed.length} browsing requests shed`);
    for (const s of shed) {
      assert.equal(s.json.error.code, 'OVERLOADED');
      assert.equal(s.headers.get('retry-after'), '5');
    }
    // A shopper's search page refused for overload is an HTML page, with the search class's Retry-After
    // (10 s: only the limit says 10; every other 503 says 5).
    assert.equal(page.status, 503);
    assert.equal(page.headers.get('retry-after'), '10');
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(pageBody, /<html/i);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /holdfast_concurrency_shed_total\{[^}]*request_class="sheddable_plus"[^}]*\} [1-9]/);
    assert.match(metrics, /holdfast_concurrency_limit\{[^}]*\} 10\b/);
  } finally {
    await clearFault(url, adminToken, 'db.slow');
  }
});
