// The payments admin API's contract (cancel, refund, attempts, providers, dead letters, reconciliation),
// on its routes alone (inject, no socket). The provider account points at a port nobody listens on: what
// needs the provider answers as the provider being away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { routeTest, productWithStock, SHIPPING, type RouteTest } from '../../test/helpers/route-test.ts';
import { placeOrder } from '../checkout/index.ts';
import { paymentAdminRoutes } from './payment-routes.ts';
import { ProviderRouter } from './provider-router.ts';
import { DEFAULT_RESILIENCE } from './provider-resilience.ts';

let t: RouteTest;
const router = new ProviderRouter([{ name: 'primary', baseUrl: 'http://127.0.0.1:9', secretKey: 'sk_test_nobody_listens' }],
  { ...DEFAULT_RESILIENCE, timeoutMs: 500 }, pino({ level: 'silent' }), 0);
before(async () => {
  t = await routeTest((app, { db, queue, adminTokenSha256 }) => paymentAdminRoutes(app, { pool: db.pool, queue, adminTokenSha256, paymentRouter: () => router }), { queue: true });
});
after(async () => {
  await router.close();
  await t?.close();
});

async function anOrder(): Promise<string> {
  const product = await productWithStock(t.db, 1);
  const { rows } = await t.db.pool.query<{ id: string }>(`INSERT INTO carts DEFAULT VALUES RETURNING id`);
  await t.db.pool.query(`INSERT INTO cart_lines (cart_id, product_id, quantity) VALUES ($1, $2, 1)`, [rows[0]!.id, product.id]);
  return (await placeOrder(t.db.pool, { cartId: rows[0]!.id, email: 'ada@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    randomUUID(), { reservationTtlSeconds: 900 })).response.orderId;
}

test('401 UNAUTHORIZED without the admin token', async () => {
  const res = await t.call('GET', '/api/admin/payments/providers');
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'UNAUTHORIZED');
});

test('cancel: 200 canceled (again: 200, nothing changes); 409 PAYMENT_IN_PROGRESS while a worker holds it; 409 ORDER_INVALID_TRANSITION once paid; 404', async () => {
  const leased = await anOrder();
  await t.db.pool.query(`UPDATE orders SET payment_lease_owner = 'a-worker', payment_lease_until = now() + interval '1 minute' WHERE id = $1`, [leased]);
  const busy = await t.call('POST', `/api/admin/orders/${leased}/cancel`, { admin: true, body: {} });
  assert.equal(busy.status, 409);
  assert.equal(busy.json.error.code, 'PAYMENT_IN_PROGRESS');
  const orderId = await anOrder();
  const canceled = await t.call('POST', `/api/admin/orders/${orderId}/cancel`, { admin: true, body: { reason: 'test' } });
  assert.equal(canceled.status, 200, canceled.body);
  assert.equal(canceled.json.status, 'canceled');
  const again = await t.call('POST', `/api/admin/orders/${orderId}/cancel`, { admin: true, body: {} });
  assert.equal(again.status, 200);
  assert.equal(again.json.status, 'canceled');
  const paid = await anOrder();
  await t.db.pool.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [paid]);
  const refused = await t.call('POST', `/api/admin/orders/${paid}/cancel`, { admin: true, body: {} });
  assert.equal(refused.status, 409);
  assert.equal(refused.json.error.code, 'ORDER_INVALID_TRANSITION');
  assert.equal((await t.call('POST', `/api/admin/orders/${randomUUID()}/cancel`, { admin: true, body: {} })).json.error.code, 'ORDER_NOT_FOUND');
});

test('refund: 409 ORDER_INVALID_TRANSITION for an unpaid order, 404 PAYMENT_NOT_FOUND for a paid one without a charge', async () => {
  const orderId = await anOrder();
  const unpaid = await t.call('POST', `/api/admin/orders/${orderId}/refund`, { admin: true, body: {} });
  assert.equal(unpaid.status, 409);
  assert.equal(unpaid.json.error.code, 'ORDER_INVALID_TRANSITION');
  await t.db.pool.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [orderId]);
  const noCharge = await t.call('POST', `/api/admin/orders/${orderId}/refund`, { admin: true, body: {} });
  assert.equal(noCharge.status, 404);
  assert.equal(noCharge.json.error.code, 'PAYMENT_NOT_FOUND');
});

test('attempts 200 (404 ORDER_NOT_FOUND), providers 200, dead letters 200 (retry of an unknown one 404 DEAD_LETTER_NOT_FOUND)', async () => {
  const orderId = await anOrder();
  assert.deepEqual((await t.call('GET', `/api/admin/orders/${orderId}/payments`, { admin: true })).json, { items: [] });
  assert.equal((await t.call('GET', `/api/admin/orders/${randomUUID()}/payments`, { admin: true })).json.error.code, 'ORDER_NOT_FOUND');
  const providers = await t.call('GET', '/api/admin/payments/providers', { admin: true });
  assert.equal(providers.status, 200);
  assert.deepEqual(providers.json.items.map((p: { name: string; breaker: string }) => [p.name, p.breaker]), [['primary', 'closed']]);
  assert.deepEqual((await t.call('GET', '/api/admin/payments/dead-letters', { admin: true })).json, { items: [] });
  const retry = await t.call('POST', `/api/admin/payments/dead-letters/${randomUUID()}/retry`, { admin: true, body: {} });
  assert.equal(retry.status, 404);
  assert.equal(retry.json.error.code, 'DEAD_LETTER_NOT_FOUND');
});

test('a dead letter retried: 202, the job back on the payment queue keyed by its order, the dead letter gone', async () => {
  const orderId = randomUUID();
  const queue = (t.queue as unknown as { boss: import('pg-boss').PgBoss }).boss;
  const deadId = await queue.send('payment-charge-dead', { orderId });
  assert.ok(deadId);
  const listed = await t.call('GET', '/api/admin/payments/dead-letters', { admin: true });
  assert.deepEqual(listed.json.items.map((d: { orderId: string }) => d.orderId), [orderId]);
  const retried = await t.call('POST', `/api/admin/payments/dead-letters/${deadId}/retry`, { admin: true, body: {} });
  assert.equal(retried.status, 202, retried.body);
  assert.equal(retried.json.orderId, orderId);
  const jobs = await queue.findJobs('payment-charge', { data: { orderId } });
  assert.deepEqual(jobs.map((j) => j.singletonKey), [orderId]);
  assert.deepEqual((await t.call('GET', '/api/admin/payments/dead-letters', { admin: true })).json, { items: [] });
});

test('reconcile 200 with the unreachable provider reported, findings 200; 400 for a bad period', async () => {
  const report = await t.call('POST', '/api/admin/payments/reconcile', { admin: true, body: { sinceHours: 1 } });
  assert.equal(report.status, 200, report.body);
  assert.equal(report.json.providers[0].name, 'primary');
  assert.ok(report.json.providers[0].error, 'the provider could not be listed');
  assert.equal((await t.call('GET', '/api/admin/payments/reconciliation-findings', { admin: true })).status, 200);
  assert.equal((await t.call('POST', '/api/admin/payments/reconcile', { admin: true, body: { sinceHours: 0 } })).json.error.code, 'VALIDATION_FAILED');
});
