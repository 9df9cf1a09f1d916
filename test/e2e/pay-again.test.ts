// Paying a declined order again with another card, end to end over HTTP with the payment workers and the
// provider simulator: the items stay held after a decline, POST /api/orders/:id/payment moves the order
// back to pending_payment and the worker confirms the same PaymentIntent again; exactly one charge, also
// when the answer to that confirm is lost; concurrent retries start one payment; the deadline (with 30 s
// to spare for the payment to start), the number of retries per order and the order's state are
// enforced with stable codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { productInStock, placeOrder, waitForSettlement, setFault, clearFault, admin, type PlacedOrder } from '../helpers/shop.ts';
import { listSucceededCharges } from '../../src/psp/index.ts';
import { pspModule } from '../../src/psp/index.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp({ targets: ['storefront', 'psp', 'payments'], config: { pspPort: 0, providerTimeoutMs: 1500 } });
});
after(async () => { await app.stop(); });

interface Attempt { status: string; provider: string; providerIntentId: string | null; errorCode: string | null; declineCode: string | null }

const payAgain = (o: Pick<PlacedOrder, 'orderId' | 'accessToken'>, paymentMethod: string, key: string = randomUUID()) =>
  api(app.url, 'POST', `/api/orders/${o.orderId}/payment`, { paymentMethod }, { authorization: `Bearer ${o.accessToken}`, 'idempotency-key': key });

const getOrder = async (o: Pick<PlacedOrder, 'orderId' | 'accessToken'>) =>
  (await api(app.url, 'GET', `/api/orders/${o.orderId}`, undefined, { authorization: `Bearer ${o.accessToken}` })).json;

const attemptsOf = async (orderId: string): Promise<Attempt[]> =>
  (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${orderId}/payments`)).json.items;

async function stockOf(productId: string) {
  return (await admin(app.url, app.adminToken, 'GET', `/api/admin/products/${productId}/stock`)).json as { onHand: number; reserved: number; available: number };
}

async function declinedOrder(skip: number, quantity = 1) {
  const product = await productInStock(app.url, 5, skip);
  const before = await stockOf(product.id);
  const order = await placeOrder(app.url, { productId: product.id, quantity, paymentMethod: 'pm_card_chargeDeclined' });
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'payment_failed');
  return { product, before, order };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a declined order keeps its items and is paid with another card: one charge, the same PaymentIntent confirmed again', async () => {
  const { product, before, order } = await declinedOrder(0, 2);
  assert.equal((await stockOf(product.id)).available, before.available - 2, 'the items stay held after the decline');
  const declined = await getOrder(order);
  assert.deepEqual(declined.lastPaymentError, { code: 'card_declined', declineCode: 'generic_decline', message: 'Your card was declined.' });
  const heldFor = Date.parse(declined.paymentDeadline) - Date.parse(declined.createdAt);
  assert.ok(Math.abs(heldFor - 900_000) < 2_000, `held until the payment deadline, checkout + 900 s (${heldFor} ms)`);

  // A second card is declined too: its own reason is shown, the items are still held.
  const second = await payAgain(order, 'pm_card_chargeDeclinedInsufficientFunds');
  assert.equal(second.status, 202, second.text);
  assert.equal(second.json.status, 'pending_payment');
  assert.equal(second.json.paymentMethod, 'pm_card_chargeDeclinedInsufficientFunds');
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'payment_failed');
  const again = await getOrder(order);
  assert.equal(again.lastPaymentError.declineCode, 'insufficient_funds');
  assert.equal(again.paymentDeadline, declined.paymentDeadline, 'a retry does not extend the deadline');

  const key = randomUUID();
  const third = await payAgain(order, 'pm_card_visa', key);
  assert.equal(third.status, 202, third.text);
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');

  const charges = await listSucceededCharges(app.db.pool, { orderId: order.orderId });
  assert.equal(charges.length, 1, 'one charge in the provider ledger');
  assert.equal(charges[0]!.amount, order.total);
  const attempts = await attemptsOf(order.orderId);
  assert.deepEqual(attempts.map((a) => [a.status, a.declineCode]), [['declined', 'generic_decline'], ['declined', 'insufficient_funds'], ['succeeded', null]]);
  assert.equal(new Set(attempts.map((a) => a.providerIntentId)).size, 1, 'every attempt confirmed the same PaymentIntent');
  assert.equal(attempts[2]!.providerIntentId, charges[0]!.intentId);
  const stock = await stockOf(product.id);
  assert.equal(stock.onHand, before.onHand - 2, 'the held items are sold');
  assert.equal(stock.reserved, before.reserved, 'and no longer reserved');

  const events = (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${order.orderId}`)).json.events as { type: string; fromStatus: string; toStatus: string }[];
  assert.deepEqual(events.map((e) => e.type), ['order.created', 'payment.declined', 'payment.retried', 'payment.declined', 'payment.retried', 'payment.succeeded']);
  assert.deepEqual(events.filter((e) => e.type === 'payment.retried').map((e) => [e.fromStatus, e.toStatus]), [['payment_failed', 'pending_payment'], ['payment_failed', 'pending_payment']]);

  // The same request again replays its first answer; a new one is refused: the order is paid.
  const replay = await payAgain(order, 'pm_card_visa', key);
  assert.equal(replay.status, 202, replay.text);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.json.status, 'pending_payment', 'the stored first answer');
  const reused = await payAgain(order, 'pm_card_mastercard', key);
  assert.equal(reused.status, 422, reused.text);
  assert.equal(reused.json.error.code, 'PAYMENT_IDEMPOTENCY_KEY_REUSED');
  const paid = await payAgain(order, 'pm_card_visa');
  assert.equal(paid.status, 409, paid.text);
  assert.equal(paid.json.error.code, 'PAYMENT_NOT_RETRYABLE');
  assert.equal(paid.json.error.details.status, 'paid');
  assert.equal((await attemptsOf(order.orderId)).length, 3, 'no further attempt');
});

test('concurrent retries start one payment: one 202, the rest 409, one attempt, one charge', async () => {
  const { order } = await declinedOrder(1);
  const replies = await Promise.all(Array.from({ length: 6 }, () => payAgain(order, 'pm_card_visa')));
  const accepted = replies.filter((r) => r.status === 202);
  assert.equal(accepted.length, 1, replies.map((r) => `${r.status} ${r.text}`).join('\n'));
  for (const r of replies.filter((x) => x.status !== 202)) {
    assert.equal(r.status, 409, r.text);
    assert.equal(r.json.error.code, 'PAYMENT_NOT_RETRYABLE');
  }
  // The same key sent twice at once: one payment, and both get the same answer.
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  assert.deepEqual((await attemptsOf(order.orderId)).map((a) => a.status), ['declined', 'succeeded']);
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1);

  const { order: twice } = await declinedOrder(2);
  const key = randomUUID();
  const [a, b] = await Promise.all([payAgain(twice, 'pm_card_visa', key), payAgain(twice, 'pm_card_visa', key)]);
  assert.deepEqual([a.status, b.status], [202, 202], `${a.text} ${b.text}`);
  assert.deepEqual([a.headers.get('idempotent-replayed'), b.headers.get('idempotent-replayed')].sort(), ['true', null].sort());
  assert.equal(await waitForSettlement(app.url, twice, 10_000), 'paid');
  assert.deepEqual((await attemptsOf(twice.orderId)).map((a) => a.status), ['declined', 'succeeded']);
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: twice.orderId })).length, 1);
});

test('the answer to the confirm is lost: resolved by repeating the same confirm, paid once', async () => {
  const { order } = await declinedOrder(3);
  await setFault(app.url, app.adminToken, 'psp.errors', { rate: 1, phase: 'after', statuses: [503] });
  try {
    assert.equal((await payAgain(order, 'pm_card_visa')).status, 202);
    await until('the retry in doubt', async () => ((await attemptsOf(order.orderId)).some((a) => a.status === 'in_doubt') ? true : undefined));
    assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1, 'the provider did charge');
    // While its outcome is unknown, nobody can start another payment.
    const blocked = await payAgain(order, 'pm_card_mastercard');
    assert.equal(blocked.status, 409, blocked.text);
  } finally {
    await clearFault(app.url, app.adminToken, 'psp.errors');
  }
  assert.equal(await waitForSettlement(app.url, order, 20_000), 'paid');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1, 'still exactly one charge');
  const attempts = await attemptsOf(order.orderId);
  assert.deepEqual(attempts.map((a) => a.status), ['declined', 'succeeded']);
  assert.equal(attempts[0]!.providerIntentId, attempts[1]!.providerIntentId, 'the same intent, confirmed once more');
});

test('an intent the provider will no longer confirm (canceled there): a new intent is created, paid once', async () => {
  const { order } = await declinedOrder(8);
  const [declined] = await attemptsOf(order.orderId);
  const primary = app.service(pspModule).clientAccounts().find((a) => a.name === declined!.provider)!;
  const canceled = await fetch(`${primary.baseUrl}/v1/payment_intents/${declined!.providerIntentId}/cancel`, {
    method: 'POST', headers: { authorization: `Bearer ${primary.secretKey}` },
  });
  assert.equal(canceled.status, 200, await canceled.text());
  assert.equal((await payAgain(order, 'pm_card_visa')).status, 202);
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  const attempts = await attemptsOf(order.orderId);
  assert.deepEqual(attempts.map((a) => [a.status, a.errorCode]), [['declined', 'card_declined'], ['declined', 'payment_intent_unexpected_state'], ['succeeded', null]]);
  const charges = await listSucceededCharges(app.db.pool, { orderId: order.orderId });
  assert.equal(charges.length, 1);
  assert.equal(charges[0]!.intentId, attempts[2]!.providerIntentId);
  assert.notEqual(attempts[2]!.providerIntentId, declined!.providerIntentId, 'a new intent');
});

test('a refused confirm of an intent that did charge is recognised as paid, never charged again', async () => {
  // As if an earlier confirm had charged and its idempotency key had since expired at the provider: the
  // intent is succeeded, so confirming it again is refused (payment_intent_unexpected_state).
  const { order } = await declinedOrder(9);
  const [declined] = await attemptsOf(order.orderId);
  const account = app.service(pspModule).clientAccounts().find((a) => a.name === declined!.provider)!;
  const confirmed = await fetch(`${account.baseUrl}/v1/payment_intents/${declined!.providerIntentId}/confirm`, {
    method: 'POST', headers: { authorization: `Bearer ${account.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'payment_method=pm_card_visa',
  });
  assert.equal(confirmed.status, 200, await confirmed.text());
  assert.equal((await payAgain(order, 'pm_card_visa')).status, 202);
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  const charges = await listSucceededCharges(app.db.pool, { orderId: order.orderId });
  assert.deepEqual(charges.map((c) => c.intentId), [declined!.providerIntentId], 'the one charge, on the intent that made it');
  assert.deepEqual((await attemptsOf(order.orderId)).map((a) => a.status), ['declined', 'succeeded']);
});

test('an attempt whose outcome is unknown blocks a retry until it is resolved', async () => {
  const { order } = await declinedOrder(4);
  // A declined order has no unresolved attempt by construction; plant one to check the rule holds anyway.
  const { rows } = await app.db.pool.query<{ id: string }>(
    `INSERT INTO payment_attempts (order_id, attempt_no, provider, amount, currency, payment_method, status)
     VALUES ($1, 99, 'primary', $2, 'USD', 'pm_card_visa', 'in_doubt') RETURNING id`, [order.orderId, order.total]);
  const blocked = await payAgain(order, 'pm_card_visa');
  assert.equal(blocked.status, 409, blocked.text);
  assert.equal(blocked.json.error.code, 'PAYMENT_IN_PROGRESS');
  assert.equal((await getOrder(order)).status, 'payment_failed', 'nothing changed');
  await app.db.pool.query(`UPDATE payment_attempts SET status = 'not_sent' WHERE id = $1`, [rows[0]!.id]);
  assert.equal((await payAgain(order, 'pm_card_visa')).status, 202);
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
});

test('after the payment deadline: 409 PAYMENT_DEADLINE_PASSED, the order canceled and its items released', async () => {
  const { product, before, order } = await declinedOrder(5, 2);
  await app.db.pool.query(`UPDATE stock_reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1`, [order.orderId]);
  await app.db.pool.query(`UPDATE orders SET created_at = now() - interval '16 minutes' WHERE id = $1`, [order.orderId]);
  const late = await payAgain(order, 'pm_card_visa');
  assert.equal(late.status, 409, late.text);
  assert.equal(late.json.error.code, 'PAYMENT_DEADLINE_PASSED');
  // The payment service cancels it at its next round (every 5 s) and returns the stock.
  await until('the order canceled', async () => ((await getOrder(order)).status === 'canceled' ? true : undefined));
  assert.equal((await stockOf(product.id)).available, before.available, 'the items are back on the shelf');
  const canceled = await getOrder(order);
  assert.equal(canceled.paymentDeadline, undefined);
  const after = await payAgain(order, 'pm_card_visa');
  assert.equal(after.status, 409, after.text);
  assert.equal(after.json.error.code, 'PAYMENT_DEADLINE_PASSED');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 0);
});

test('one order can be paid again paymentRetryMaxAttempts times (5 by default): the next is 409 PAYMENT_ATTEMPTS_EXHAUSTED and changes nothing', async () => {
  // A card tester trying card after card on one order stops here; the shopper is told to place a new order.
  const { order } = await declinedOrder(10);
  assert.equal((await getOrder(order)).paymentRetries, 0);
  let lastKey = '';
  for (let retry = 1; retry <= 5; retry++) {
    lastKey = randomUUID();
    const r = await payAgain(order, 'pm_card_chargeDeclined', lastKey);
    assert.equal(r.status, 202, `retry ${retry}: ${r.text}`);
    assert.equal(await waitForSettlement(app.url, order, 10_000), 'payment_failed');
    assert.equal((await getOrder(order)).paymentRetries, retry);
  }
  const refused = await payAgain(order, 'pm_card_visa');
  assert.equal(refused.status, 409, refused.text);
  assert.equal(refused.json.error.code, 'PAYMENT_ATTEMPTS_EXHAUSTED');
  assert.deepEqual(refused.json.error.details, { maxAttempts: 5 });
  const after = await getOrder(order);
  assert.equal(after.status, 'payment_failed', 'still declined, its items held until the deadline');
  assert.equal(after.paymentRetries, 5);
  assert.ok(after.paymentDeadline, 'the deadline still stands');
  assert.equal((await attemptsOf(order.orderId)).length, 6, 'no seventh card was tried');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 0);
  // The answer to a request already made is still its answer.
  const replay = await payAgain(order, 'pm_card_chargeDeclined', lastKey);
  assert.equal(replay.status, 202, replay.text);
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
});

test('a retry with less than 30 s before the payment deadline is refused (PAYMENT_DEADLINE_PASSED): the deadline sweep could cancel it before a worker took it', async () => {
  const { order } = await declinedOrder(11);
  const leaveSeconds = (s: number) => app.db.pool.query(`UPDATE stock_reservations SET expires_at = now() + make_interval(secs => $2) WHERE order_id = $1`, [order.orderId, s]);
  await leaveSeconds(20);
  const late = await payAgain(order, 'pm_card_visa');
  assert.equal(late.status, 409, late.text);
  assert.equal(late.json.error.code, 'PAYMENT_DEADLINE_PASSED');
  const unchanged = await getOrder(order);
  assert.equal(unchanged.status, 'payment_failed');
  assert.equal(unchanged.paymentRetries, 0, 'nothing was reopened');
  // With time enough left, the same order is paid.
  await leaveSeconds(45);
  const inTime = await payAgain(order, 'pm_card_visa');
  assert.equal(inTime.status, 202, inTime.text);
  assert.equal(await waitForSettlement(app.url, order, 10_000), 'paid');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: order.orderId })).length, 1);
});

test('bad requests get stable 4xx codes and change nothing', async () => {
  const { order } = await declinedOrder(6);
  const cases: [string, Promise<Awaited<ReturnType<typeof api>>>, number, string][] = [
    ['no such payment method format', payAgain(order, 'visa'), 400, 'VALIDATION_FAILED'],
    ['no Idempotency-Key', api(app.url, 'POST', `/api/orders/${order.orderId}/payment`, { paymentMethod: 'pm_card_visa' }, { authorization: `Bearer ${order.accessToken}` }), 400, 'VALIDATION_FAILED'],
    ['an unknown field', api(app.url, 'POST', `/api/orders/${order.orderId}/payment`, { paymentMethod: 'pm_card_visa', amount: 1 }, { authorization: `Bearer ${order.accessToken}`, 'idempotency-key': randomUUID() }), 400, 'VALIDATION_FAILED'],
    ['no token', api(app.url, 'POST', `/api/orders/${order.orderId}/payment`, { paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() }), 401, 'ORDER_TOKEN_REQUIRED'],
    ['a wrong token', payAgain({ orderId: order.orderId, accessToken: 'not-the-token' }, 'pm_card_visa'), 404, 'ORDER_NOT_FOUND'],
    ['not an order id', payAgain({ orderId: 'nope', accessToken: order.accessToken }, 'pm_card_visa'), 404, 'ORDER_NOT_FOUND'],
  ];
  for (const [name, reply, status, code] of cases) {
    const r = await reply;
    assert.equal(r.status, status, `${name}: ${r.text}`);
    assert.equal(r.json.error.code, code, name);
  }
  assert.equal((await getOrder(order)).status, 'payment_failed', 'still declined');
  assert.equal((await attemptsOf(order.orderId)).length, 1);

  // An order that was never declined cannot be "paid again".
  const product = await productInStock(app.url, 5, 7);
  const fresh = await placeOrder(app.url, { productId: product.id });
  const r = await payAgain(fresh, 'pm_card_visa');
  assert.equal(r.status, 409, r.text);
  assert.equal(r.json.error.code, 'PAYMENT_NOT_RETRYABLE');
  assert.equal(await waitForSettlement(app.url, fresh, 10_000), 'paid');
  assert.equal((await listSucceededCharges(app.db.pool, { orderId: fresh.orderId })).length, 1);
});
