// Fault injection end to end: each psp.* fault set through the admin API changes the simulator's
// behaviour within about a second, and clearing it restores normal service. Also the admin API's
// validation and error codes, the polling fallback of the reader, and the `holdfast faults` CLI.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { createFaultReader, faultsModule } from '../../src/faults/index.ts';
import { runFaultsCommand } from '../../src/faults/fault-cli.ts';
import { countSucceededCharges, pspModule } from '../../src/psp/index.ts';
import { formEncode } from '../contract/stripe-contract.ts';

let app: TestApp;
before(async () => { app = await startTestApp({ targets: ['storefront', 'psp'], config: { pspPort: 0, logLevel: 'warn' } }); });
after(async () => { await app?.stop(); });

const admin = (method: string, path: string, body?: unknown) =>
  api(app.url, method, path, body, { authorization: `Bearer ${app.adminToken}` });

const setFault = async (name: string, params: unknown) => {
  const res = await admin('PUT', `/api/admin/faults/${name}`, params);
  assert.equal(res.status, 200, res.text);
  return Date.now();
};
const clearFault = async (name: string) => {
  const res = await admin('DELETE', `/api/admin/faults/${name}`);
  assert.equal(res.status, 204, res.text);
  return Date.now();
};

const psp = (account: 'primary' | 'secondary') => ({
  url: app.service(pspModule).urls()[account]!,
  key: account === 'primary' ? app.config.pspPrimarySecretKey : app.config.pspSecondarySecretKey,
});

interface Outcome { status?: number; error?: string; ms: number; json?: any; headers?: Headers }

async function call(account: 'primary' | 'secondary', method: 'GET' | 'POST', path: string, opts: { params?: Record<string, unknown>; key?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  const target = psp(account);
  const started = performance.now();
  try {
    const res = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(opts.key ? { 'idempotency-key': opts.key } : {}),
      },
      ...(method === 'POST' ? { body: formEncode(opts.params ?? {}) } : {}),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
    const text = await res.text();
    return { status: res.status, ms: performance.now() - started, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { error: e.cause?.code ?? e.name, ms: performance.now() - started };
  }
}

const ping = (account: 'primary' | 'secondary', timeoutMs?: number) =>
  call(account, 'GET', '/v1/payment_intents?limit=1', timeoutMs ? { timeoutMs } : {});

/** Polls until check passes; returns how long it took. Fails after timeoutMs. */
async function within(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('fault admin API', () => {
  test('lists every fault, inactive by default, with stable error codes', async () => {
    const list = await admin('GET', '/api/admin/faults');
    assert.equal(list.status, 200);
    const names = list.json.items.map((f: { name: string }) => f.name);
    for (const n of ['psp.latency', 'psp.errors', 'psp.timeout', 'psp.down']) assert.ok(names.includes(n), n);
    assert.ok(list.json.items.every((f: { active: boolean }) => !f.active));

    const unknown = await admin('PUT', '/api/admin/faults/psp.nonsense', { rate: 1 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'FAULT_UNKNOWN');
    assert.equal((await admin('GET', '/api/admin/faults/psp.nonsense')).json.error.code, 'FAULT_UNKNOWN');
    assert.equal((await admin('DELETE', '/api/admin/faults/psp.nonsense')).status, 404);

    for (const [name, params] of [
      ['psp.errors', { rate: 2 }], ['psp.errors', { rate: 0.5, statuses: [418] }], ['psp.latency', {}],
      ['psp.latency', { latencyMs: 100, account: 'tertiary' }], ['psp.down', { nope: true }], ['psp.timeout', { rate: '1' }],
    ] as const) {
      const res = await admin('PUT', `/api/admin/faults/${name}`, params);
      assert.equal(res.status, 400, `${name} ${JSON.stringify(params)}: ${res.text}`);
      assert.equal(res.json.error.code, 'FAULT_PARAMS_INVALID');
    }
    const notObject = await admin('PUT', '/api/admin/faults/psp.down', '[1]');
    assert.equal(notObject.status, 400);

    const noToken = await api(app.url, 'PUT', '/api/admin/faults/psp.down', {});
    assert.equal(noToken.status, 401);
  });

  test('PUT shows the fault active (with a TTL when asked); GET shows its schema; DELETE clears', async () => {
    const put = await admin('PUT', '/api/admin/faults/psp.latency?ttlSeconds=60', { latencyMs: 1 });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json.active, true);
    assert.deepEqual(put.json.params, { latencyMs: 1 });
    assert.ok(Date.parse(put.json.expiresAt) > Date.now() + 50_000);
    const got = await admin('GET', '/api/admin/faults/psp.latency');
    assert.equal(got.json.active, true);
    assert.equal(got.json.paramsSchema.type, 'object');
    assert.ok(got.json.paramsSchema.properties.latencyMs);
    assert.equal((await admin('DELETE', '/api/admin/faults/psp.latency')).status, 204);
    assert.equal((await admin('GET', '/api/admin/faults/psp.latency')).json.active, false);
    assert.equal((await admin('DELETE', '/api/admin/faults/psp.latency')).status, 204, 'clearing twice is fine');
  });

  test('an expired fault stops applying by itself', async () => {
    await app.db.pool.query(`INSERT INTO faults (name, params, expires_at) VALUES ('psp.down', '{}', now() - interval '1 second')`);
    assert.equal((await admin('GET', '/api/admin/faults/psp.down')).json.active, false);
    await app.service(faultsModule).refresh();
    assert.equal(app.service(faultsModule).get('psp.down'), undefined);
    await app.db.pool.query(`DELETE FROM faults WHERE name = 'psp.down'`);
  });

  test('the reader picks changes up by polling alone (no LISTEN) within a second', async () => {
    const reader = createFaultReader({ pool: app.db.pool, refreshMs: 500 });
    await reader.start();
    try {
      await app.db.pool.query(`INSERT INTO faults (name, params) VALUES ('psp.timeout', '{"rate":0}')`);
      await within(1000, 'poll saw psp.timeout', async () => reader.get('psp.timeout')?.rate === 0);
      await app.db.pool.query(`DELETE FROM faults WHERE name = 'psp.timeout'`);
      await within(1000, 'poll saw it cleared', async () => reader.get('psp.timeout') === undefined);
      // Rows that do not match the schema are ignored, not half-applied.
      await app.db.pool.query(`INSERT INTO faults (name, params) VALUES ('psp.timeout', '{"rate":"lots"}')`);
      await reader.refresh();
      assert.equal(reader.get('psp.timeout'), undefined);
    } finally {
      await app.db.pool.query(`DELETE FROM faults WHERE name = 'psp.timeout'`);
      await reader.stop();
    }
  });
});

describe('faults change the simulator within a second', () => {
  test('psp.latency slows the targeted account only, and clearing restores it', async () => {
    const base = await ping('primary');
    assert.equal(base.status, 200);
    assert.ok(base.ms < 400, `baseline ${base.ms} ms`);
    await setFault('psp.latency', { latencyMs: 600, jitterMs: 100, account: 'primary' });
    const took = await within(1200, 'latency applied', async () => (await ping('primary')).ms >= 550);
    assert.ok(took < 1200);
    const slow = await ping('primary');
    assert.equal(slow.status, 200);
    assert.ok(slow.ms >= 580 && slow.ms < 1500, `with latency ${slow.ms} ms`);
    const other = await ping('secondary');
    assert.equal(other.status, 200);
    assert.ok(other.ms < 400, `secondary unaffected: ${other.ms} ms`);
    await clearFault('psp.latency');
    await within(1200, 'latency cleared', async () => (await ping('primary')).ms < 300);
  });

  test('psp.errors fails about the requested share with Stripe api_errors', async () => {
    await setFault('psp.errors', { rate: 1, statuses: [503] });
    await within(1000, 'errors applied', async () => (await ping('primary')).status === 503);
    const failed = await ping('secondary');
    assert.equal(failed.status, 503, 'no account given: every account');
    assert.equal(failed.json.error.type, 'api_error');

    await setFault('psp.errors', { rate: 0.5 });
    await new Promise((r) => setTimeout(r, 700));
    const results = await Promise.all(Array.from({ length: 60 }, () => ping('primary')));
    const errors = results.filter((r) => r.status === 500 || r.status === 503).length;
    assert.ok(results.every((r) => [200, 500, 503].includes(r.status!)));
    assert.ok(errors >= 15 && errors <= 45, `${errors} of 60 failed at rate 0.5`);

    await clearFault('psp.errors');
    await within(1000, 'errors cleared', async () => {
      const rs = await Promise.all(Array.from({ length: 10 }, () => ping('primary')));
      return rs.every((r) => r.status === 200);
    });
  });

  test('psp.errors with phase "after": the charge is made, the answer lost; the retry replays it', async () => {
    await setFault('psp.errors', { rate: 1, phase: 'after', account: 'primary' });
    await new Promise((r) => setTimeout(r, 700));
    const orderId = `order_${randomUUID()}`;
    const key = randomUUID();
    const params = {
      amount: 2000, currency: 'usd', payment_method: 'pm_card_visa', confirm: 'true', metadata: { order_id: orderId },
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
    };
    const lost = await call('primary', 'POST', '/v1/payment_intents', { params, key });
    assert.ok((lost.status ?? 0) >= 500, `status ${lost.status}`);
    assert.equal(await countSucceededCharges(app.db.pool, orderId), 1, 'charged although the client saw an error');
    await clearFault('psp.errors');
    await within(1000, 'errors cleared', async () => (await ping('primary')).status === 200);
    const retry = await call('primary', 'POST', '/v1/payment_intents', { params, key });
    assert.equal(retry.status, 200);
    assert.equal(retry.headers!.get('idempotent-replayed'), 'true');
    assert.equal(await countSucceededCharges(app.db.pool, orderId), 1, 'the retry did not charge again');
  });

  test('psp.timeout holds requests unanswered until the client gives up or the fault clears', async () => {
    await setFault('psp.timeout', { rate: 1, account: 'primary' });
    await within(1000, 'timeout applied', async () => (await ping('primary', 400)).error === 'TimeoutError');
    const gaveUp = await ping('primary', 1500);
    assert.equal(gaveUp.error, 'TimeoutError', 'no answer within the client timeout');
    assert.ok(gaveUp.ms >= 1400);
    assert.equal((await ping('secondary')).status, 200, 'secondary unaffected');

    const pending = ping('primary', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const cleared = await clearFault('psp.timeout');
    const released = await pending;
    assert.notEqual(released.error, 'TimeoutError', 'held request released when the fault cleared');
    assert.ok(Date.now() - cleared < 1500, 'released within about a second');
    await within(1000, 'answers again', async () => (await ping('primary')).status === 200);
  });

  test('psp.down refuses connections to the targeted account; clearing brings it back', async () => {
    await setFault('psp.down', { account: 'primary' });
    await within(1000, 'down applied', async () => (await ping('primary', 1000)).error === 'ECONNREFUSED');
    assert.equal(app.service(pspModule).servers.find((s) => s.account.name === 'primary')!.down, true);
    assert.equal((await ping('secondary')).status, 200, 'secondary still up');
    await clearFault('psp.down');
    await within(1500, 'back up', async () => (await ping('primary')).status === 200);
  });
});

test('holdfast faults CLI sets, lists and clears faults over HTTP', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); } };
  const env = { HOLDFAST_URL: app.url, HOLDFAST_ADMIN_TOKEN: app.adminToken };
  assert.equal(await runFaultsCommand(['set', 'psp.latency', '{"latencyMs":5,"account":"secondary"}', '--ttl', '120'], env, io), 0, err.join(''));
  assert.match(out.join(''), /psp\.latency\s+ON\s+\{.*"latencyMs":5.*\} \(until /);
  out.length = 0;
  assert.equal(await runFaultsCommand(['list'], env, io), 0);
  assert.match(out.join(''), /psp\.latency\s+ON/);
  assert.match(out.join(''), /psp\.down\s+off/);
  assert.equal(await runFaultsCommand(['set', 'psp.errors', '{"rate":7}'], env, io), 1);
  assert.match(err.join(''), /FAULT_PARAMS_INVALID/);
  assert.equal(await runFaultsCommand(['set', 'psp.errors', 'not json'], env, io), 2);
  assert.equal(await runFaultsCommand(['clear', 'psp.latency'], env, io), 0);
  assert.equal((await admin('GET', '/api/admin/faults/psp.latency')).json.active, false);
  assert.equal(await runFaultsCommand(['frobnicate'], env, io), 2);
  assert.equal(await runFaultsCommand(['list'], { HOLDFAST_URL: app.url, HOLDFAST_ADMIN_TOKEN: 'wrong-token-000000' }, io), 1);
});
