// The checkout transaction as one SQL function (migrations 006, 008, 012): what it writes, how it rejects,
// that it writes other contexts' tables only through their functions, and that the payment job it
// enqueues is the row pg-boss's own send() would have written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, api, SHIPPING, type TestApp } from '../../test/helpers/test-app.ts';
import { PAYMENT_QUEUE } from '../payments/index.ts';
import { placeOrder } from './checkout-service.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import type { PgBossJobQueue } from '../platform/queue/pg-boss-queue.ts';

let app: TestApp;
before(async () => { app = await startTestApp(); });
after(async () => { await app?.stop(); });

const db = () => app.db.pool;

async function productsWithStock(n: number, onHand: number): Promise<{ id: string; price: number; sku: string; title: string }[]> {
  const { rows } = await db().query<{ id: string; price_amount: number; sku: string; title: string }>(
    `SELECT id, price_amount::int AS price_amount, sku, title FROM products WHERE active ORDER BY random() LIMIT $1`, [n]);
  for (const r of rows) {
    await db().query(`INSERT INTO stock_levels (product_id, on_hand) VALUES ($1, $2)
      ON CONFLICT (product_id) DO UPDATE SET on_hand = $2, reserved = 0`, [r.id, onHand]);
  }
  return rows.map((r) => ({ id: r.id, price: r.price_amount, sku: r.sku, title: r.title }));
}

async function cartWith(lines: { productId: string; quantity: number }[]): Promise<string> {
  const cart = await api(app.url, 'POST', '/api/carts', {});
  for (const l of lines) {
    const added = await api(app.url, 'POST', `/api/carts/${cart.json.id}/items`, l);
    assert.equal(added.status, 200, added.text);
  }
  return cart.json.id;
}

const checkout = (cartId: string, key = randomUUID()) => api(app.url, 'POST', '/api/checkout',
  { cartId, email: 'fn@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': key });

test('a checkout writes the order, price snapshot, event, reservations, closed cart and payment job in one statement', async () => {
  const products = await productsWithStock(3, 50);
  const cartId = await cartWith(products.map((p, i) => ({ productId: p.id, quantity: i + 1 })));
  const key = randomUUID();
  const res = await checkout(cartId, key);
  assert.equal(res.status, 202, res.text);
  const { orderId } = res.json;

  // Later price changes never alter the order.
  await db().query(`UPDATE products SET price_amount = price_amount + 1000 WHERE id = ANY($1::uuid[])`, [products.map((p) => p.id)]);
  const order = (await db().query(`SELECT status, subtotal_amount::int AS subtotal, total_amount::int AS total, currency, cart_id, idempotency_key, email FROM orders WHERE id = $1`, [orderId])).rows[0];
  const expected = products.reduce((n, p, i) => n + p.price * (i + 1), 0);
  assert.deepEqual(order, { status: 'pending_payment', subtotal: expected, total: expected, currency: 'USD', cart_id: cartId, idempotency_key: key, email: 'fn@example.com' });
  const lines = (await db().query(`SELECT product_id, sku, title, unit_price_amount::int AS unit, quantity, line_total_amount::int AS total FROM order_lines WHERE order_id = $1 ORDER BY quantity`, [orderId])).rows;
  assert.deepEqual(lines, products.map((p, i) => ({ product_id: p.id, sku: p.sku, title: p.title, unit: p.price, quantity: i + 1, total: p.price * (i + 1) })));
  const events = (await db().query(`SELECT type, from_status, to_status, data FROM order_events WHERE order_id = $1`, [orderId])).rows;
  assert.deepEqual(events, [{ type: 'order.created', from_status: null, to_status: 'pending_payment', data: { cartId } }]);
  const held = (await db().query(`SELECT r.quantity, r.status, s.reserved FROM stock_reservations r JOIN stock_levels s USING (product_id) WHERE r.order_id = $1 ORDER BY r.quantity`, [orderId])).rows;
  assert.deepEqual(held, [1, 2, 3].map((q) => ({ quantity: q, status: 'held', reserved: q })));
  const cart = (await db().query(`SELECT checked_out_at FROM carts WHERE id = $1`, [cartId])).rows[0];
  assert.ok(cart.checked_out_at);
  const jobs = (await db().query(`SELECT name, data FROM pgboss.job WHERE singleton_key = $1`, [orderId])).rows;
  assert.deepEqual(jobs, [{ name: PAYMENT_QUEUE, data: { orderId } }]);

  // The customer can read it with the token from the 202.
  const read = await api(app.url, 'GET', `/api/orders/${orderId}`, undefined, { authorization: `Bearer ${res.json.accessToken}` });
  assert.equal(read.status, 200, read.text);
});

test("checkout's function writes only its own table; the cart, inventory, orders and queue through their functions", async () => {
  const { rows } = await db().query<{ src: string }>(`SELECT prosrc AS src FROM pg_proc WHERE proname = 'holdfast_place_order'`);
  assert.equal(rows.length, 1);
  const body = rows[0]!.src.replace(/--[^\n]*/g, '');
  for (const table of ['carts', 'cart_lines', 'products', 'stock_levels', 'stock_reservations', 'orders', 'order_lines', 'order_events', 'pgboss']) {
    assert.doesNotMatch(body, new RegExp(`\\b${table}\\b`), `holdfast_place_order names ${table}`);
  }
  for (const fn of ['cart_lock_for_checkout', 'cart_lines_for_checkout', 'inventory_hold_stock', 'orders_create', 'cart_close', 'holdfast_enqueue_payment_job']) {
    assert.match(body, new RegExp(`\\b${fn}\\(`), `holdfast_place_order calls ${fn}`);
  }
});

test('the payment job row is the one pg-boss send() writes for the same job', async () => {
  const [p] = await productsWithStock(1, 5);
  const res = await checkout(await cartWith([{ productId: p!.id, quantity: 1 }]));
  assert.equal(res.status, 202, res.text);
  const viaBoss = `parity-${randomUUID()}`;
  const sent = await (app.service(queueModule) as PgBossJobQueue).boss.send(PAYMENT_QUEUE, { orderId: viaBoss }, { singletonKey: viaBoss });
  assert.ok(sent);
  // Every column of the installed pg-boss's job table; ids, data, the key and times by kind.
  const row = async (key: string) => (await db().query(`
    SELECT to_jsonb(j) - ARRAY['id', 'data', 'singleton_key', 'created_on', 'start_after', 'keep_until'] AS columns,
           (j.start_after - j.created_on)::text AS start_offset, (j.keep_until - j.created_on)::text AS keep_offset
    FROM pgboss.job j WHERE singleton_key = $1`, [key])).rows;
  const [mine] = await row(res.json.orderId);
  const [theirs] = await row(viaBoss);
  assert.ok(mine && theirs);
  assert.deepEqual(mine, theirs);
  await db().query(`DELETE FROM pgboss.job WHERE singleton_key = $1`, [viaBoss]);
});

test('rejections roll everything back and keep their stable codes and details', async () => {
  const [scarce, gone] = await productsWithStock(2, 1);
  const cartId = await cartWith([{ productId: scarce!.id, quantity: 2 }]);
  const key = randomUUID();
  const oos = await checkout(cartId, key);
  assert.equal(oos.status, 409, oos.text);
  assert.equal(oos.json.error.code, 'OUT_OF_STOCK');
  assert.deepEqual(oos.json.error.details, { productId: scarce!.id, requested: 2 });
  // Nothing was kept: the key is free, the cart open, no stock held.
  assert.equal((await db().query(`SELECT count(*)::int AS n FROM idempotency_records WHERE key = $1`, [key])).rows[0].n, 0);
  assert.equal((await db().query(`SELECT checked_out_at FROM carts WHERE id = $1`, [cartId])).rows[0].checked_out_at, null);
  assert.equal((await db().query(`SELECT reserved FROM stock_levels WHERE product_id = $1`, [scarce!.id])).rows[0].reserved, 0);
  // The same key works once stock arrives.
  await db().query(`UPDATE stock_levels SET on_hand = 2 WHERE product_id = $1`, [scarce!.id]);
  assert.equal((await checkout(cartId, key)).status, 202);

  const unavailable = await cartWith([{ productId: gone!.id, quantity: 1 }]);
  await db().query(`UPDATE products SET active = false WHERE id = $1`, [gone!.id]);
  const off = await checkout(unavailable);
  assert.equal(off.status, 422, off.text);
  assert.equal(off.json.error.code, 'CHECKOUT_PRODUCT_UNAVAILABLE');
  assert.deepEqual(off.json.error.details, { productId: gone!.id });
  await db().query(`UPDATE products SET active = true WHERE id = $1`, [gone!.id]);

  const missing = await checkout(randomUUID());
  assert.equal(missing.status, 404, missing.text);
  assert.equal(missing.json.error.code, 'CART_NOT_FOUND');

  // A cart id that is not a uuid (the storefront form passes its cookie) is simply not found.
  await assert.rejects(placeOrder(app.db.pool, { cartId: 'not-a-cart', email: 'x@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, randomUUID(), { reservationTtlSeconds: 60 }),
    (err: { code?: string }) => err.code === 'CART_NOT_FOUND');
});

test('concurrent first use of one key: one order, the others replay it', async () => {
  const [p] = await productsWithStock(1, 10);
  const cartId = await cartWith([{ productId: p!.id, quantity: 1 }]);
  const key = randomUUID();
  const results = await Promise.all(Array.from({ length: 8 }, () => checkout(cartId, key)));
  assert.deepEqual(new Set(results.map((r) => r.status)), new Set([202]));
  assert.equal(new Set(results.map((r) => r.json.orderId)).size, 1);
  assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 7);
  assert.equal((await db().query(`SELECT reserved FROM stock_levels WHERE product_id = $1`, [p!.id])).rows[0].reserved, 1);
});
