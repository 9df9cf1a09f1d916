// Bulkheads inside one process (`--target all`): the payment workers have a pool of their own, so a
// payments pool with every connection taken leaves the storefront's queries untouched; and a request that
// finds the main pool full waits a bounded time, then gets 503 DATABASE_BUSY with Retry-After rather than
// joining a pile.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { productInStock, placeOrder, orderStatus, waitForSettlement } from '../helpers/shop.ts';
import { databaseModule } from '../../src/platform/db/database-module.ts';

const POOL_MAX = 3;
const WAIT_TIMEOUT_MS = 300;

let app: TestApp;
before(async () => {
  app = await startTestApp({ targets: ['all'], config: { pspPort: 0, dbPoolMax: POOL_MAX, dbPoolWaitTimeoutMs: WAIT_TIMEOUT_MS, logLevel: 'warn' } });
});
after(async () => { await app?.stop(); });

/** Takes every connection of a pool; returns how to give them back. */
async function exhaust(pool: pg.Pool): Promise<() => void> {
  const clients = await Promise.all(Array.from({ length: POOL_MAX }, () => pool.connect()));
  return () => { for (const c of clients) c.release(); };
}

/** A catalog search no cache has answered yet: it needs the database. */
let searches = 0;
const uncachedSearch = () => api(app.url, 'GET', `/api/products?q=scarf&limit=${1 + (searches++ % 40)}`);

test('with the payments pool exhausted, storefront queries are served and the payment waits its turn', async () => {
  const product = await productInStock(app.url, 3);
  const database = app.service(databaseModule);
  const paymentsPool = database.rolePool('payments');
  assert.notEqual(paymentsPool, database.pool, 'the payment workers have a pool of their own');
  const giveBack = await exhaust(paymentsPool);
  let released = false;
  try {
    const order = await placeOrder(app.url, { productId: product.id });
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 12 }, () => uncachedSearch()));
    assert.deepEqual(answers.map((a) => a.status), Array(12).fill(200), answers.map((a) => a.text.slice(0, 120)).join('\n'));
    assert.equal((await api(app.url, 'GET', `/api/products/${product.slug}`)).status, 200);
    assert.ok(Date.now() - started < WAIT_TIMEOUT_MS * 20, 'storefront queries did not wait for the payments pool');
    // The payment worker cannot get a connection: the order is still waiting for it.
    assert.equal(await orderStatus(app.url, order), 'pending_payment');
    giveBack();
    released = true;
    assert.equal(await waitForSettlement(app.url, order, 30_000), 'paid');
  } finally {
    if (!released) giveBack();
  }
});

test('a request that finds the main pool full waits its bounded time, then gets 503 DATABASE_BUSY with Retry-After', async () => {
  const giveBack = await exhaust(app.service(databaseModule).pool);
  let released = false;
  try {
    const started = Date.now();
    const busy = await uncachedSearch();
    const waited = Date.now() - started;
    assert.equal(busy.status, 503, busy.text);
    assert.equal(busy.json.error.code, 'DATABASE_BUSY');
    assert.equal(busy.headers.get('retry-after'), '5');
    assert.ok(waited >= WAIT_TIMEOUT_MS * 0.9, `answered after ${waited} ms, before its wait was over`);
    assert.ok(waited < 8_000, `answered after ${waited} ms: not within the bound (the connect timeout is 10 s)`);
    assert.equal((await api(app.url, 'GET', '/healthz')).status, 200);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    assert.match(metrics, /holdfast_db_pool_wait_timeouts_total\{[^}]*pool="main"[^}]*\} [1-9]/);
    giveBack();
    released = true;
    assert.equal((await uncachedSearch()).status, 200, 'served again once connections are free');
  } finally {
    if (!released) giveBack();
  }
});

test('a full main pool whose connections keep coming back is waited for past the bound: a burst it drains is served, not answered 503', async () => {
  const pool = app.service(databaseModule).pool;
  // Each query holds its connection for a sixth of the bound; 16 per connection queue up for more than two
  // bounds in all, but a connection comes back every sixth of the bound or so: the queue moves (a busy
  // machine may stall a while, not a whole bound).
  const holdSeconds = WAIT_TIMEOUT_MS / 6 / 1000;
  const started = Date.now();
  const queries: Promise<unknown>[] = [];
  // One at a time, as requests arrive (pg-pool hands an idle connection over on a later tick, so callers
  // in one tick would all see it idle and never wait).
  for (let i = 0; i < POOL_MAX * 16; i++) {
    queries.push(pool.query('SELECT pg_sleep($1)', [holdSeconds]));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const results = await Promise.allSettled(queries);
  const waited = Date.now() - started;
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
  assert.deepEqual(failed, [], `a moving queue is not a stuck pool (the burst took ${waited} ms)`);
  assert.ok(waited > WAIT_TIMEOUT_MS * 2, `the burst took ${waited} ms: it must outlast the bound for this test to say anything`);
});
