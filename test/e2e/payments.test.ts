// Issue 3, acceptance 1 and the payment service's everyday behaviour, end to end over HTTP: the payment
// worker settles orders through the provider simulator, declines hold stock, an answer lost after the
// provider charged is resolved without a second charge, refunds, reconciliation, and the unpaid deadline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { productInStock, placeOrder, waitForSettlement, setFault, clearFault, admin } from '../helpers/shop.ts';
import { succeededChargesByOrder, listSucceededCharges } from '../../src/psp/index.ts';
import { StripeClient } from '../../src/payments/stripe-client.ts';
import { pspModule } from '../../src/psp/index.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp({ targets: ['storefront', 'psp', 'payments'], config: { pspPort: 0, providerTimeoutMs: 1500 } });
});
after(async () => { await app.stop(); });

async function stockOf(productId: string) {
  const res = await admin(app.url, app.adminToken, 'GET', `/api/admin/products/${productId}/stock`);
  return res.json as { onHand: number; reserved: number; available: number };
}

test('pm_card_visa: the order is paid within seconds, charged exactly once for its total, stock committed', async () => {
  const product = await productInStock(app.url, 5);
  const before = await stockOf(product.id);
  const order = await placeOrder(app.url, { productId: product.id, quantity: 2 });
  const started = Date.now();
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  console.log(`visa order paid ${Date.now() - started} ms after checkout`);
  const charges = await listSucceededCharges(app.db.pool, { orderId: order.orderId });
  assert.equal(charges.length, 1);
  assert.equal(charges[0]!.amount, order.total);
  const afterStock = await stockOf(product.id);
  assert.equal(afterStock.onHand, before.onHand - 2, 'sold stock leaves on_hand');
  assert.equal(afterStock.reserved, before.reserved, 'and is no longer reserved');
});

test('pm_card_chargeDeclined: payment_failed with the decline code, stock held for another card, nothing charged', async () => {
  const product = await productInStock(app.url, 5, 1);
  const before = await stockOf(product.id);
  const order = await placeOrder(app.url, { productId: product.id, quantity: 3, paymentMethod: 'pm_card_chargeDeclined' });
  assert.equal((await stockOf(product.id)).available, before.available - 3, 'reserved at checkout');
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'payment_failed');
  // Held until the payment deadline so the shopper can pay with another card (test/e2e/pay-again.test.ts).
  assert.equal((await stockOf(product.id)).available, before.available - 3, 'still held after the decline');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 0);
  const detail = await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${order.orderId}`);
  const declined = detail.json.events.find((e: { type: string }) => e.type === 'payment.declined');
  assert.equal(declined.data.code, 'card_declined');
  assert.equal(declined.data.declineCode, 'generic_decline');
});

test('insufficient funds carries Stripe\'s decline code through to the order history', async () => {
  const product = await productInStock(app.url, 5, 2);
  const order = await placeOrder(app.url, { productId: product.id, paymentMethod: 'pm_card_chargeDeclinedInsufficientFunds' });
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'payment_failed');
  const attempts = await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${order.orderId}/payments`);
  assert.equal(attempts.json.items.length, 1);
  assert.equal(attempts.json.items[0].declineCode, 'insufficient_funds');
});

test('a charge whose answer was lost is resolved with the same key: paid once, never twice', async () => {
  const product = await productInStock(app.url, 5, 3);
  // The provider charges, then the response is lost: the worker cannot know the outcome.
  await setFault(app.url, app.adminToken, 'psp.errors', { rate: 1, phase: 'after', statuses: [503] });
  const order = await placeOrder(app.url, { productId: product.id });
  const deadline = Date.now() + 10_000;
  let attempts;
  do {
    await new Promise((r) => setTimeout(r, 200));
    attempts = (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${order.orderId}/payments`)).json.items;
  } while (!attempts.some((a: { status: string }) => a.status === 'in_doubt') && Date.now() < deadline);
  assert.ok(attempts.some((a: { status: string }) => a.status === 'in_doubt'), 'the attempt is recorded as in doubt');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1, 'the provider did charge');
  await clearFault(app.url, app.adminToken, 'psp.errors');
  assert.equal(await waitForSettlement(app.url, order, 20_000), 'paid');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1, 'still exactly one charge');
  const final = (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${order.orderId}/payments`)).json.items;
  assert.equal(final.filter((a: { status: string }) => a.status === 'succeeded').length, 1);
  assert.ok(final.every((a: { provider: string }) => a.provider === final[0].provider), 'no failover while the outcome was unknown');
});

test('admin refund: the order becomes refunded, the provider ledger shows the refund, a second call changes nothing', async () => {
  const product = await productInStock(app.url, 5, 4);
  const order = await placeOrder(app.url, { productId: product.id });
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  const refunded = await admin(app.url, app.adminToken, 'POST', `/api/admin/orders/${order.orderId}/refund`, { reason: 'customer request' });
  assert.equal(refunded.status, 200, refunded.text);
  assert.equal(refunded.json.status, 'refunded');
  const again = await admin(app.url, app.adminToken, 'POST', `/api/admin/orders/${order.orderId}/refund`, {});
  assert.equal(again.status, 200);
  const charge = (await listSucceededCharges(app.db.pool, { orderId: order.orderId }))[0]!;
  assert.equal(charge.amountRefunded, order.total);
  const unpaid = await admin(app.url, app.adminToken, 'POST', `/api/admin/orders/${order.orderId}/cancel`, {});
  assert.equal(unpaid.status, 409, 'a refunded order cannot be canceled');
});

test('reconciliation refunds a charge that has no order and reports it', async () => {
  const primary = app.service(pspModule).clientAccounts().find((a) => a.name === 'primary')!;
  const client = new StripeClient({ baseUrl: primary.baseUrl, secretKey: primary.secretKey });
  const strayOrderId = '00000000-0000-4000-8000-000000000001';
  const outcome = await client.createAndConfirm({ amount: 4200, currency: 'usd', paymentMethod: 'pm_card_visa', metadata: { order_id: strayOrderId }, idempotencyKey: `stray-${Date.now()}` });
  assert.equal(outcome.kind, 'succeeded');
  await client.close();
  const report = await admin(app.url, app.adminToken, 'POST', '/api/admin/payments/reconcile', { sinceHours: 1 });
  assert.equal(report.status, 200, report.text);
  const finding = report.json.findings.find((f: { intentId: string }) => f.intentId === (outcome as { intent: { id: string } }).intent.id);
  assert.ok(finding, JSON.stringify(report.json));
  assert.equal(finding.kind, 'charge_without_order');
  assert.equal(finding.action, 'refunded');
  assert.ok(report.json.ordersChecked > 0);
  const stored = await admin(app.url, app.adminToken, 'GET', '/api/admin/payments/reconciliation-findings');
  assert.ok(stored.json.items.some((f: { intentId: string }) => f.intentId === finding.intentId));
  // Every paid order so far has exactly one charge: reconciliation found nothing else to repair.
  const byOrder = await succeededChargesByOrder(app.db.pool);
  for (const [orderId, c] of byOrder) if (orderId !== strayOrderId) assert.equal(c.charges, 1, `order ${orderId}`);
});

test('an order still unpaid after the deadline is canceled and its stock released', async () => {
  const product = await productInStock(app.url, 5, 5);
  const before = await stockOf(product.id);
  await setFault(app.url, app.adminToken, 'psp.down', {});
  try {
    const order = await placeOrder(app.url, { productId: product.id });
    await app.db.pool.query(`UPDATE orders SET created_at = now() - interval '2 hours' WHERE id = $1`, [order.orderId]);
    assert.equal(await waitForSettlement(app.url, order, 15_000), 'canceled');
    assert.equal((await stockOf(product.id)).available, before.available);
  } finally {
    await clearFault(app.url, app.adminToken, 'psp.down');
  }
});

test('payment metrics are exported with stable names', async () => {
  const res = await api(app.url, 'GET', '/metrics');
  for (const name of ['holdfast_payment_provider_call_duration_seconds', 'holdfast_payment_provider_calls_total', 'holdfast_payment_breaker_state',
    'holdfast_payment_queue_jobs', 'holdfast_payment_queue_oldest_job_age_seconds', 'holdfast_payment_attempts_per_order', 'holdfast_payments_settled_total']) {
    assert.match(res.text, new RegExp(`^${name}`, 'm'), name);
  }
  assert.match(res.text, /holdfast_payment_provider_calls_total\{[^}]*provider="primary"[^}]*outcome="succeeded"/);
});
