// Acceptance 3: 200 concurrent checkouts for a product with 10 in stock leave exactly 10 reserved and 190
// clean "out of stock" errors; stock never goes negative. Real sockets, real PostgreSQL, real concurrency.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import { startTestApp, SHIPPING, type TestApp } from '../helpers/test-app.ts';
import { cancelOrdersPastDeadline } from '../../src/payments/payment-service.ts';

let app: TestApp;
// Every request on its own connection pool slot: 200 requests really are 200 concurrent sockets.
const agent = new Agent({ connections: 256, pipelining: 1 });

before(async () => { app = await startTestApp(); });
after(async () => {
  await agent.close();
  await app.stop();
});

interface Reply { status: number; json: any; text: string }

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    // @ts-expect-error undici's dispatcher option is not in the DOM fetch types
    dispatcher: agent,
  });
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, json, text };
}

const admin = () => ({ authorization: `Bearer ${app.adminToken}` });

async function createProduct(stock: number) {
  const slug = `last-units-${randomUUID().slice(0, 8)}`;
  const res = await call('POST', '/api/admin/products', {
    slug, sku: slug.toUpperCase(), title: 'Last units of the season', price: { amount: 4999, currency: 'USD' }, stock,
  }, admin());
  assert.equal(res.status, 201, res.text);
  return res.json as { id: string; slug: string };
}

/** Creates n carts each holding `quantity` of the product, a few at a time. */
async function cartsWith(productId: string, n: number, quantity = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += 25) {
    ids.push(...await Promise.all(Array.from({ length: Math.min(25, n - i) }, async () => {
      const cart = await call('POST', '/api/carts', {});
      assert.equal(cart.status, 201, cart.text);
      const added = await call('POST', `/api/carts/${cart.json.id}/items`, { productId, quantity });
      assert.equal(added.status, 200, added.text);
      return cart.json.id as string;
    })));
  }
  return ids;
}

const checkoutBody = (cartId: string) => ({ cartId, email: 'buyer@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' });

async function stockRow(productId: string) {
  const { rows } = await app.db.pool.query('SELECT on_hand, reserved FROM stock_levels WHERE product_id = $1', [productId]);
  return rows[0] as { on_hand: number; reserved: number };
}

test('200 concurrent checkouts for 10 units: exactly 10 orders, 190 clean OUT_OF_STOCK, never oversold', async (t) => {
  const product = await createProduct(10);
  const carts = await cartsWith(product.id, 200);

  // While the burst runs, a shopper keeps looking at the product: availability never goes below zero.
  let watching = true;
  const seenAvailable: number[] = [];
  const watcher = (async () => {
    while (watching) {
      const page = await call('GET', `/api/products/${product.slug}`);
      assert.equal(page.status, 200);
      seenAvailable.push(page.json.available);
      const row = await stockRow(product.id);
      assert.ok(row.reserved <= row.on_hand && row.on_hand - row.reserved >= 0, `stock went negative: ${JSON.stringify(row)}`);
    }
  })();

  const replies = await Promise.all(carts.map((cartId) =>
    call('POST', '/api/checkout', checkoutBody(cartId), { 'idempotency-key': randomUUID() })
      .catch((err: Error) => ({ status: 0, json: undefined, text: `network error: ${err.message}` }))));
  watching = false;
  await watcher;

  const byStatus = new Map<number, number>();
  for (const r of replies) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const accepted = replies.filter((r) => r.status === 202);
  const outOfStock = replies.filter((r) => r.status === 409 && r.json?.error?.code === 'OUT_OF_STOCK');
  const summary = `checkout statuses: ${JSON.stringify(Object.fromEntries(byStatus))}; accepted=${accepted.length} out_of_stock=${outOfStock.length}`;
  t.diagnostic(summary);
  console.log(`[oversell] ${summary}`);

  const serverErrors = replies.filter((r) => r.status === 0 || r.status >= 500);
  assert.deepEqual(serverErrors.map((r) => `${r.status} ${r.text}`), [], 'no 5xx and no dropped connections');
  assert.equal(accepted.length, 10, summary);
  assert.equal(outOfStock.length, 190, summary);
  for (const r of outOfStock) {
    assert.equal(typeof r.json.error.message, 'string');
    assert.ok(r.json.error.message.length > 0);
  }
  for (const r of accepted) {
    assert.equal(r.json.status, 'pending_payment');
    assert.match(r.json.orderId, /^[0-9a-f-]{36}$/);
    assert.ok(r.json.accessToken.length >= 32);
  }
  assert.equal(new Set(accepted.map((r) => r.json.orderId)).size, 10, 'ten distinct orders');

  const stock = await stockRow(product.id);
  console.log(`[oversell] stock after the burst: on_hand=${stock.on_hand} reserved=${stock.reserved}`);
  assert.deepEqual(stock, { on_hand: 10, reserved: 10 }, 'all ten units reserved, none beyond');
  assert.ok(seenAvailable.every((a) => a >= 0 && a <= 10), `availability stayed within 0..10: ${seenAvailable.join(',')}`);
  const after = await call('GET', `/api/products/${product.slug}`);
  assert.equal(after.json.available, 0);

  const orders = await app.db.pool.query(
    `SELECT o.id, o.status FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE l.product_id = $1`, [product.id]);
  assert.equal(orders.rowCount, 10, 'exactly ten orders were written');
  assert.ok(orders.rows.every((o) => o.status === 'pending_payment'));
  assert.deepEqual(orders.rows.map((o) => o.id).toSorted(), accepted.map((r) => r.json.orderId).toSorted());
  const reservations = await app.db.pool.query(
    `SELECT count(*)::int AS n, sum(quantity)::int AS units FROM stock_reservations WHERE product_id = $1 AND status = 'held'`, [product.id]);
  assert.deepEqual(reservations.rows[0], { n: 10, units: 10 });
  const jobs = await app.db.pool.query(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'payment-charge' AND data->>'orderId' = ANY($1::text[])`,
    [accepted.map((r) => r.json.orderId)]);
  console.log(`[oversell] orders=${orders.rowCount} payment jobs=${jobs.rows[0].n}`);
  assert.equal(jobs.rows[0].n, 10, 'one payment job per order, enqueued with it');

  // The 190 failed checkouts rolled back entirely: their carts are still open and their keys unused.
  const checkedOut = await app.db.pool.query(`SELECT count(*)::int AS n FROM carts WHERE id = ANY($1::uuid[]) AND checked_out_at IS NOT NULL`, [carts]);
  assert.equal(checkedOut.rows[0].n, 10);
});

test('concurrent checkouts of the same cart with the same key return the same single order', async () => {
  const product = await createProduct(5);
  const [cartId] = await cartsWith(product.id, 1, 2);
  const key = randomUUID();
  const replies = await Promise.all(Array.from({ length: 25 }, () =>
    call('POST', '/api/checkout', checkoutBody(cartId!), { 'idempotency-key': key })));
  const statuses = replies.map((r) => r.status);
  assert.ok(statuses.every((s) => s === 202), `every replay is answered with the first response: ${statuses.join(',')}`);
  const orderIds = new Set(replies.map((r) => r.json.orderId));
  assert.equal(orderIds.size, 1, 'one order id for every reply');
  assert.equal(new Set(replies.map((r) => r.json.accessToken)).size, 1);
  const orders = await app.db.pool.query('SELECT id FROM orders WHERE cart_id = $1', [cartId]);
  assert.equal(orders.rowCount, 1, 'one order in the database');
  assert.deepEqual(await stockRow(product.id), { on_hand: 5, reserved: 2 }, 'stock reserved once');
  const jobs = await app.db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'payment-charge' AND data->>'orderId' = $1`, [[...orderIds][0]]);
  assert.equal(jobs.rows[0].n, 1, 'one payment job');
});

test('concurrent checkouts of the same cart with different keys place one order; the rest are told the cart is checked out', async () => {
  const product = await createProduct(5);
  const [cartId] = await cartsWith(product.id, 1);
  const replies = await Promise.all(Array.from({ length: 10 }, () =>
    call('POST', '/api/checkout', checkoutBody(cartId!), { 'idempotency-key': randomUUID() })));
  assert.equal(replies.filter((r) => r.status === 202).length, 1, replies.map((r) => r.status).join(','));
  for (const r of replies.filter((x) => x.status !== 202)) {
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error.code, 'CART_CHECKED_OUT');
  }
  assert.deepEqual(await stockRow(product.id), { on_hand: 5, reserved: 1 });
});

test('an order unpaid past the payment deadline is canceled and its reserved stock released', async () => {
  const product = await createProduct(3);
  const [expiring, fresh] = await cartsWith(product.id, 2);
  const placed = await call('POST', '/api/checkout', checkoutBody(expiring!), { 'idempotency-key': randomUUID() });
  assert.equal(placed.status, 202, placed.text);
  const kept = await call('POST', '/api/checkout', checkoutBody(fresh!), { 'idempotency-key': randomUUID() });
  assert.equal(kept.status, 202, kept.text);
  assert.deepEqual(await stockRow(product.id), { on_hand: 3, reserved: 2 });

  await app.db.pool.query(`UPDATE orders SET created_at = now() - interval '1 hour' WHERE id = $1`, [placed.json.orderId]);
  const canceled = await cancelOrdersPastDeadline(app.db.pool, 900, app.logger);
  assert.equal(canceled, 1);

  const order = await call('GET', `/api/orders/${placed.json.orderId}`, undefined, { authorization: `Bearer ${placed.json.accessToken}` });
  assert.equal(order.json.status, 'canceled', 'the shopper sees the order canceled');
  const events = await app.db.pool.query(`SELECT type, from_status, to_status, data FROM order_events WHERE order_id = $1 ORDER BY id`, [placed.json.orderId]);
  assert.deepEqual(events.rows.at(-1), { type: 'order.canceled', from_status: 'pending_payment', to_status: 'canceled', data: { reason: 'payment deadline passed' } });
  const reservation = await app.db.pool.query('SELECT status FROM stock_reservations WHERE order_id = $1', [placed.json.orderId]);
  assert.equal(reservation.rows[0].status, 'released');
  assert.deepEqual(await stockRow(product.id), { on_hand: 3, reserved: 1 }, 'the expired unit is back on the shelf');

  const other = await call('GET', `/api/orders/${kept.json.orderId}`, undefined, { authorization: `Bearer ${kept.json.accessToken}` });
  assert.equal(other.json.status, 'pending_payment', 'an unexpired order is untouched');
  assert.equal(await cancelOrdersPastDeadline(app.db.pool, 900, app.logger), 0, 'running it again changes nothing');
  assert.deepEqual(await stockRow(product.id), { on_hand: 3, reserved: 1 }, 'released stock is not released twice');

  // The released unit can be sold again.
  const [again] = await cartsWith(product.id, 1, 2);
  const resold = await call('POST', '/api/checkout', checkoutBody(again!), { 'idempotency-key': randomUUID() });
  assert.equal(resold.status, 202, resold.text);
  assert.deepEqual(await stockRow(product.id), { on_hand: 3, reserved: 3 });
});
