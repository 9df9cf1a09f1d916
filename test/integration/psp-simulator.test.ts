// What the simulator guarantees beyond the shared Stripe contract: two independent accounts, 409 for a
// key in flight, atomic intent + idempotency record, the 24-hour key window, the ledger queries the crash
// test uses, confirm/cancel, Stripe's wire details, prototype names as parameter names, search pagination
// and metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { formEncode } from '../contract/stripe-contract.ts';
import { listSucceededCharges, countSucceededCharges, succeededChargesByOrder, ledgerSummary, PSP_ACCOUNT_IDS, pspModule } from '../../src/psp/index.ts';

let app: TestApp;
before(async () => { app = await startTestApp({ targets: ['storefront', 'psp'], config: { pspPort: 0, logLevel: 'fatal' } }); });
after(async () => { await app?.stop(); });

type Account = 'primary' | 'secondary';
const keyOf = (a: Account) => (a === 'primary' ? app.config.pspPrimarySecretKey : app.config.pspSecondarySecretKey);

async function stripe(account: Account, method: 'GET' | 'POST', path: string, opts: {
  params?: Record<string, unknown>; idempotencyKey?: string; secretKey?: string; body?: string; contentType?: string; headers?: Record<string, string>;
} = {}) {
  const encoded = opts.params ? formEncode(opts.params) : '';
  const url = `${app.service(pspModule).urls()[account]}${path}${method === 'GET' && encoded ? `?${encoded}` : ''}`;
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${opts.secretKey ?? keyOf(account)}`,
      ...(method === 'POST' ? { 'content-type': opts.contentType ?? 'application/x-www-form-urlencoded' } : {}),
      ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      ...opts.headers,
    },
    ...(method === 'POST' ? { body: opts.body ?? encoded } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined, text };
}

const charge = (account: Account, extra: Record<string, unknown> = {}, idempotencyKey: string = randomUUID()) => stripe(account, 'POST', '/v1/payment_intents', {
  idempotencyKey,
  params: {
    amount: 1500, currency: 'usd', payment_method: 'pm_card_visa', confirm: 'true',
    automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' }, ...extra,
  },
});

test('primary and secondary are separate accounts: own keys, own ledgers, own idempotency keys', async () => {
  const wrongKey = await stripe('primary', 'GET', '/v1/payment_intents', { secretKey: keyOf('secondary') });
  assert.equal(wrongKey.status, 401);
  const pi = await charge('primary');
  assert.equal(pi.status, 200);
  assert.equal((await stripe('secondary', 'GET', `/v1/payment_intents/${pi.json.id}`)).status, 404, 'not in the secondary ledger');
  const key = randomUUID();
  const a = await charge('primary', {}, key);
  const b = await charge('secondary', {}, key);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.notEqual(a.json.id, b.json.id, 'idempotency keys are scoped per account');
  assert.equal(b.headers.get('idempotent-replayed'), null);
});

test('a key whose first request is still in flight gets 409; afterwards the request goes through', async () => {
  const key = randomUUID();
  const holder = await app.db.pool.connect();
  try {
    // Hold the simulator's per-key lock, as a slow first request would.
    await holder.query(`SELECT pg_advisory_lock(hashtextextended($1 || ':' || $2, 727401004))`, [PSP_ACCOUNT_IDS.primary, key]);
    const busy = await charge('primary', {}, key);
    assert.equal(busy.status, 409);
    assert.equal(busy.json.error.code, 'idempotency_key_in_use');
    await holder.query(`SELECT pg_advisory_unlock_all()`);
  } finally {
    holder.release();
  }
  const done = await charge('primary', {}, key);
  assert.equal(done.status, 200);
  assert.equal(done.headers.get('idempotent-replayed'), null, 'the 409 was not saved as the key\'s response');
});

test('the intent and its idempotency record commit together: a failure between them leaves neither', async () => {
  const key = `crash-${randomUUID()}`;
  const orderId = `order_${randomUUID()}`;
  // Make saving this key's record fail, after the intent row has been written in the same transaction.
  await app.db.pool.query(`CREATE OR REPLACE FUNCTION psp_test_fail_key() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.key LIKE 'crash-%' THEN RAISE EXCEPTION 'simulated crash'; END IF; RETURN NEW; END $$`);
  await app.db.pool.query(`CREATE TRIGGER psp_test_fail_key BEFORE INSERT ON psp.idempotency_keys FOR EACH ROW EXECUTE FUNCTION psp_test_fail_key()`);
  try {
    const failed = await charge('primary', { metadata: { order_id: orderId } }, key);
    assert.equal(failed.status, 500);
    assert.equal(failed.json.error.type, 'api_error');
    assert.equal(await countSucceededCharges(app.db.pool, orderId), 0, 'no charge without its idempotency record');
  } finally {
    await app.db.pool.query(`DROP TRIGGER psp_test_fail_key ON psp.idempotency_keys`);
  }
  const retried = await charge('primary', { metadata: { order_id: orderId } }, key);
  assert.equal(retried.status, 200);
  const again = await charge('primary', { metadata: { order_id: orderId } }, key);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(await countSucceededCharges(app.db.pool, orderId), 1);
});

test('idempotency keys are kept 24 hours, then the key may be reused', async () => {
  const key = randomUUID();
  assert.equal((await charge('primary', { amount: 700 }, key)).status, 200);
  assert.equal((await charge('primary', { amount: 800 }, key)).json.error.type, 'idempotency_error');
  await app.db.pool.query(`UPDATE psp.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
  const reused = await charge('primary', { amount: 800 }, key);
  assert.equal(reused.status, 200);
  assert.equal(reused.json.amount, 800);
});

test('ledger queries: succeeded charges per order across accounts', async () => {
  const orderA = `order_${randomUUID()}`;
  const orderB = `order_${randomUUID()}`;
  await charge('primary', { metadata: { order_id: orderA }, amount: 1234 });
  await charge('primary', { metadata: { order_id: orderA }, payment_method: 'pm_card_chargeDeclined' });
  await charge('secondary', { metadata: { order_id: orderB } });
  await charge('primary', { metadata: { order_id: orderB } });
  const a = await listSucceededCharges(app.db.pool, { orderId: orderA });
  assert.equal(a.length, 1);
  assert.equal(a[0]!.amountReceived, 1234);
  assert.equal(a[0]!.accountId, PSP_ACCOUNT_IDS.primary);
  assert.equal(await countSucceededCharges(app.db.pool, orderB), 2, 'a double charge across accounts is visible');
  assert.equal(await countSucceededCharges(app.db.pool, orderB, { accountId: PSP_ACCOUNT_IDS.secondary }), 1);
  const byOrder = await succeededChargesByOrder(app.db.pool);
  assert.equal(byOrder.get(orderA)!.charges, 1);
  assert.equal(byOrder.get(orderB)!.charges, 2);
  assert.deepEqual(byOrder.get(orderB)!.accountIds.sort(), [PSP_ACCOUNT_IDS.primary, PSP_ACCOUNT_IDS.secondary]);
  const summary = await ledgerSummary(app.db.pool);
  assert.ok(summary.some((r) => r.accountId === PSP_ACCOUNT_IDS.secondary && r.status === 'succeeded' && r.intents >= 1));
});

test('confirm=false, then confirm; cancel; state errors', async () => {
  const draft = await charge('primary', { confirm: 'false' });
  assert.equal(draft.status, 200);
  assert.equal(draft.json.status, 'requires_confirmation');
  const confirmed = await stripe('primary', 'POST', `/v1/payment_intents/${draft.json.id}/confirm`, { idempotencyKey: randomUUID() });
  assert.equal(confirmed.status, 200, confirmed.text);
  assert.equal(confirmed.json.status, 'succeeded');
  const twice = await stripe('primary', 'POST', `/v1/payment_intents/${draft.json.id}/confirm`, {});
  assert.equal(twice.status, 400);
  assert.equal(twice.json.error.code, 'payment_intent_unexpected_state');

  const declined = await charge('primary', { payment_method: 'pm_card_chargeDeclined' });
  const id = declined.json.error.payment_intent.id;
  assert.equal(declined.json.error.payment_intent.payment_method, null, 'the declined PaymentMethod is detached');
  const retry = await stripe('primary', 'POST', `/v1/payment_intents/${id}/confirm`, { params: { payment_method: 'pm_card_mastercard' } });
  assert.equal(retry.json.status, 'succeeded');

  const other = await charge('primary', { payment_method: 'pm_card_chargeDeclinedLostCard' });
  const canceled = await stripe('primary', 'POST', `/v1/payment_intents/${other.json.error.payment_intent.id}/cancel`, { params: { cancellation_reason: 'abandoned' } });
  assert.equal(canceled.json.status, 'canceled');
  assert.equal(canceled.json.cancellation_reason, 'abandoned');
  const cantCancel = await stripe('primary', 'POST', `/v1/payment_intents/${retry.json.id}/cancel`, {});
  assert.equal(cantCancel.json.error.code, 'payment_intent_unexpected_state');
});

test("Stripe's wire details: arrays, headers, content types, unknown URLs, refunds by charge", async () => {
  const res = await stripe('primary', 'POST', '/v1/payment_intents', {
    idempotencyKey: 'wire-1',
    body: 'amount=990&currency=USD&payment_method=pm_card_amex&confirm=true&payment_method_types[]=card&metadata[order_id]=w1',
    headers: { 'stripe-version': '2023-10-16' },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.currency, 'usd');
  assert.deepEqual(res.json.payment_method_types, ['card']);
  assert.equal(res.json.automatic_payment_methods, null);
  assert.equal(res.headers.get('stripe-version'), '2023-10-16');
  assert.equal(res.headers.get('idempotency-key'), 'wire-1');
  assert.match(res.headers.get('request-id')!, /^req_/);

  const json = await stripe('primary', 'POST', '/v1/payment_intents', { body: '{"amount":100}', contentType: 'application/json' });
  assert.equal(json.status, 400);
  assert.equal(json.json.error.type, 'invalid_request_error');
  const conflicting = await stripe('primary', 'POST', '/v1/payment_intents', { body: 'metadata=x&metadata[a]=b' });
  assert.equal(conflicting.status, 400);
  const unknownUrl = await stripe('primary', 'GET', '/v1/charges_nope');
  assert.equal(unknownUrl.status, 404);
  assert.match(unknownUrl.json.error.message, /^Unrecognized request URL \(GET: \/v1\/charges_nope\)/);
  const wrongMethodKey = await stripe('primary', 'GET', '/v1/payment_intents', { secretKey: 'sk_test_nope_abcd' });
  assert.equal(wrongMethodKey.headers.get('www-authenticate'), 'Basic realm="Stripe"');

  const byCharge = await stripe('primary', 'POST', '/v1/refunds', { params: { charge: res.json.latest_charge, amount: 90 } });
  assert.equal(byCharge.status, 200, byCharge.text);
  assert.equal(byCharge.json.payment_intent, res.json.id);
  const got = await stripe('primary', 'GET', `/v1/refunds/${byCharge.json.id}`);
  assert.deepEqual(got.json, byCharge.json);
  assert.equal((await stripe('secondary', 'GET', `/v1/refunds/${byCharge.json.id}`)).status, 404);
});

test('prototype names are ordinary parameter names: unknown at the top level, kept as metadata keys', async () => {
  const unknown = await stripe('primary', 'GET', '/v1/payment_intents?__proto__[expand]=x');
  assert.equal(unknown.status, 400);
  assert.deepEqual([unknown.json.error.code, unknown.json.error.param], ['parameter_unknown', '__proto__']);
  const nested = await stripe('primary', 'POST', '/v1/payment_intents', { body: 'amount=500&currency=usd&constructor[prototype][expand]=x' });
  assert.deepEqual([nested.status, nested.json.error.code, nested.json.error.param], [400, 'parameter_unknown', 'constructor']);
  // Stripe allows any metadata key without square brackets: __proto__ and constructor are stored and returned.
  const tag = `proto_${randomUUID()}`;
  const body = `amount=500&currency=usd&metadata[__proto__]=${tag}&metadata[constructor]=c&metadata[toString]=t`;
  const created = await stripe('primary', 'POST', '/v1/payment_intents', { body, idempotencyKey: tag });
  assert.equal(created.status, 200, created.text);
  // JSON.parse keeps "__proto__" as an own key (an assignment would have set the prototype instead)
  const ownMetadata = (pi: { metadata: object }) => Object.entries(pi.metadata).sort(([x], [y]) => x.localeCompare(y));
  assert.deepEqual(ownMetadata(created.json), [['__proto__', tag], ['constructor', 'c'], ['toString', 't']]);
  const replay = await stripe('primary', 'POST', '/v1/payment_intents', { body, idempotencyKey: tag });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.text, created.text);
  const fetched = await stripe('primary', 'GET', `/v1/payment_intents/${created.json.id}`);
  assert.deepEqual(ownMetadata(fetched.json), ownMetadata(created.json));
  const found = await stripe('primary', 'GET', '/v1/payment_intents/search', { params: { query: `metadata['__proto__']:'${tag}'` } });
  assert.deepEqual(found.json.data.map((pi: { id: string }) => pi.id), [created.json.id]);
  // A hash where metadata wants a string is refused, wherever it is nested.
  const hash = await stripe('primary', 'POST', '/v1/payment_intents', { body: 'amount=500&currency=usd&metadata[__proto__][polluted]=yes' });
  assert.deepEqual([hash.status, hash.json.error.param], [400, 'metadata[__proto__]']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('Stripe routes the simulator does not implement get a 400 that names them; other URLs a 404', async () => {
  const pi = await charge('primary', { metadata: { order_id: 'unserved-1' } });
  assert.equal(pi.status, 200, pi.text);
  const send = async (method: string, path: string, body?: string, key: string | null = keyOf('primary')) => {
    const res = await fetch(`${app.service(pspModule).urls().primary}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    return { status: res.status, json: await res.json() as { error: Record<string, unknown> } };
  };
  const notSupported = / is not supported by the Holdfast payment provider simulator \(see docs\/psp-simulator\.md\)\.$/;
  const unserved: [string, string, string | undefined, string][] = [
    ['POST', `/v1/payment_intents/${pi.json.id}/capture`, 'amount_to_capture=100', `POST /v1/payment_intents/${pi.json.id}/capture (capture a PaymentIntent)`],
    ['POST', `/v1/payment_intents/${pi.json.id}`, 'metadata[order_id]=changed', `POST /v1/payment_intents/${pi.json.id} (update a PaymentIntent)`],
    ['POST', '/v1/refunds/re_123/cancel', '', 'POST /v1/refunds/re_123/cancel (cancel a Refund)'],
    ['GET', '/v1/charges', undefined, 'GET /v1/charges'],
    ['GET', `/v1/charges/${pi.json.latest_charge}`, undefined, `GET /v1/charges/${pi.json.latest_charge}`],
    ['POST', '/v1/webhook_endpoints', 'url=https://example.test/hook&enabled_events[]=*', 'POST /v1/webhook_endpoints'],
    ['GET', '/v1/events', undefined, 'GET /v1/events'],
    ['DELETE', '/v1/customers/cus_123', undefined, 'DELETE /v1/customers/cus_123'],
    ['POST', '/v1/checkout/sessions', '', 'POST /v1/checkout/sessions'],
  ];
  for (const [method, path, body, route] of unserved) {
    const res = await send(method, path, body);
    assert.equal(res.status, 400, `${method} ${path}`);
    assert.equal(res.json.error.type, 'invalid_request_error');
    assert.equal(res.json.error.message, `${route} is not supported by the Holdfast payment provider simulator (see docs/psp-simulator.md).`);
    assert.match(String(res.json.error.message), notSupported);
  }
  // Nothing happened: the update was not applied.
  assert.equal((await stripe('primary', 'GET', `/v1/payment_intents/${pi.json.id}`)).json.metadata.order_id, 'unserved-1');
  // Authentication comes first, as on Stripe.
  assert.equal((await send('GET', '/v1/charges', undefined, null)).status, 401);
  // Not Stripe routes at all: Stripe's own 404.
  for (const [method, path] of [['GET', '/v1/charges_nope'], ['GET', `/v1/payment_intents/${pi.json.id}/bogus`], ['PUT', '/v1/charges'], ['GET', '/v1/refunds/re_1/cancel']] as const) {
    const res = await send(method, path);
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal(res.json.error.message, `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`);
  }
});

test('search pages with next_page; OR, negation and amount comparisons work', async () => {
  const tag = `s_${randomUUID()}`;
  for (const amount of [1000, 2000, 3000, 4000, 5000]) await charge('secondary', { amount, metadata: { order_id: tag } });
  const seen = new Set<string>();
  let page: string | undefined;
  let pages = 0;
  do {
    const res = await stripe('secondary', 'GET', '/v1/payment_intents/search', { params: { query: `metadata['order_id']:'${tag}'`, limit: 2, page } });
    assert.equal(res.status, 200, res.text);
    for (const pi of res.json.data) { assert.ok(!seen.has(pi.id)); seen.add(pi.id); }
    page = res.json.next_page ?? undefined;
    assert.equal(res.json.has_more, Boolean(page));
    pages++;
  } while (page);
  assert.equal(seen.size, 5);
  assert.equal(pages, 3);
  const big = await stripe('secondary', 'GET', '/v1/payment_intents/search', { params: { query: `metadata['order_id']:'${tag}' AND amount>=4000`, limit: 10 } });
  assert.deepEqual(big.json.data.map((p: { amount: number }) => p.amount), [5000, 4000]);
  const notBig = await stripe('secondary', 'GET', '/v1/payment_intents/search', { params: { query: `metadata['order_id']:'${tag.toUpperCase()}' AND -amount>1000` } });
  assert.deepEqual(notBig.json.data.map((p: { amount: number }) => p.amount), [1000], 'metadata match is case-insensitive');
  const bad = await stripe('secondary', 'GET', '/v1/payment_intents/search', { params: { query: 'color:"red"' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'query');
});

test('metrics count simulator requests by account, route and outcome', async () => {
  await charge('secondary', { payment_method: 'pm_card_chargeDeclined' });
  const res = await fetch(`${app.service(pspModule).urls().secondary}/metrics`);
  const text = await res.text();
  assert.match(text, /holdfast_psp_requests_total\{[^}]*account="secondary"[^}]*route="\/v1\/payment_intents"[^}]*outcome="declined"[^}]*\} \d+/);
  assert.match(text, /holdfast_psp_request_duration_seconds_bucket\{[^}]*account="primary"/);
  const health = await (await fetch(`${app.service(pspModule).urls().primary}/healthz`)).json();
  assert.deepEqual(health, { status: 'ok', account: 'primary', accountId: PSP_ACCOUNT_IDS.primary });
});
