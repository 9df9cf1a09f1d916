// The ops console over a real socket (control role): sign-in exchanges the admin token for a session
// cookie (HttpOnly, SameSite=Strict) and the token never reaches a page; pages without a session redirect
// to the sign-in page; every state-changing form is refused without the session's CSRF token (403, a
// stable code) or without a session (401); sessions expire and end at sign-out; the live stream is capped
// and gives its place back when its client goes away; faults are injected with an expiry and cleared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { recordCapacityRun, waitingRoomLimitsFor } from '../../src/capacity/index.ts';
import { defaultScalingPolicy } from '../../src/autoscaler/index.ts';
import { opsConsoleModule } from '../../src/ops-console/index.ts';
import { withOptions } from '../../src/platform/modules/module-manager.ts';
import { queueModule } from '../../src/platform/queue/queue-module.ts';
import { PAYMENT_DEAD_LETTER_QUEUE } from '../../src/payments/index.ts';
import { createHash } from 'node:crypto';

let app: TestApp;
before(async () => {
  // sessions of open streams looked up again every 200 ms (a sign-out on another replica), not every 5 s
  app = await startTestApp({ targets: ['control'], config: { opsConsoleMaxStreams: 1 }, options: [withOptions(opsConsoleModule, { streamSessionCheckMs: 200 })] });
});
after(async () => { await app?.stop(); });

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function get(path: string, cookie?: string) {
  return fetch(`${app.url}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
}

async function post(path: string, fields: Record<string, string>, cookie?: string) {
  const res = await fetch(`${app.url}${path}`, { method: 'POST', redirect: 'manual', body: form(fields), headers: { ...FORM, ...(cookie ? { cookie } : {}) } });
  const text = await res.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { res, text, json };
}

const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;
const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1];

/** Signs in as a browser would: the sign-in page's cookie and form token, then the admin token (of `on`, the shared app by default). */
async function signIn(on: TestApp = app, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const formPage = await fetch(`${on.url}/ops/sign-in`, { headers });
  const pre = cookiePair(formPage.headers.getSetCookie()[0]!);
  const preCsrf = csrfOf(await formPage.text())!;
  const res = await fetch(`${on.url}/ops/sign-in`, {
    method: 'POST', redirect: 'manual', body: form({ csrf: preCsrf, token: on.adminToken, next: '/ops' }), headers: { ...FORM, ...headers, cookie: pre },
  });
  assert.equal(res.status, 303);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('hf_ops_session='))!;
  const cookie = cookiePair(setCookie);
  const page = await (await fetch(`${on.url}/ops`, { headers: { cookie } })).text();
  return { cookie, csrf: csrfOf(page)!, setCookie };
}

test('pages without a session redirect to the sign-in page, which never shows the token', async () => {
  const overview = await get('/ops');
  assert.equal(overview.status, 303);
  assert.equal(overview.headers.get('location'), '/ops/sign-in');
  const incident = await get('/ops/incidents/3f1c1d7e-0000-4000-8000-000000000001');
  assert.equal(incident.headers.get('location'), '/ops/sign-in?next=%2Fops%2Fincidents%2F3f1c1d7e-0000-4000-8000-000000000001');
  const signInPage = await get('/ops/sign-in');
  assert.equal(signInPage.status, 200);
  const pre = signInPage.headers.getSetCookie()[0]!;
  assert.match(pre, /^hf_ops_sign_in=[^;]+; Max-Age=3600; Path=\/ops\/sign-in; HttpOnly; SameSite=Strict$/);
  const html = await signInPage.text();
  assert.match(html, /<label for="token">Admin token<\/label>/);
  assert.ok(!html.includes(app.adminToken));
});

test('sign-in: the sign-in form needs its own token; a wrong admin token is refused; the right one gives a strict, HttpOnly session cookie', async () => {
  const noCsrf = await post('/ops/sign-in', { token: app.adminToken });
  assert.equal(noCsrf.res.status, 403);
  assert.equal(noCsrf.json.error.code, 'OPS_CONSOLE_CSRF_INVALID');

  const formPage = await get('/ops/sign-in');
  const pre = cookiePair(formPage.headers.getSetCookie()[0]!);
  const preCsrf = csrfOf(await formPage.text())!;
  const wrong = await post('/ops/sign-in', { csrf: preCsrf, token: 'not-the-token' }, pre);
  assert.equal(wrong.res.status, 401);
  assert.match(wrong.text, /That is not the admin token/);
  assert.ok(!wrong.text.includes('not-the-token'), 'the submitted token is not echoed');

  const { cookie, csrf, setCookie } = await signIn();
  assert.match(setCookie, /^hf_ops_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/ops; HttpOnly; SameSite=Strict$/, 'no Secure over plain http');
  const page = await (await get('/ops', cookie)).text();
  assert.match(page, /<h1>Overview<\/h1>/);
  assert.match(page, /<caption>Latest readings<\/caption>[\s\S]*<th scope="row">storefront<\/th>/, "the charts' numbers are in a table too");
  assert.ok(csrf && csrf.length >= 40);
  assert.ok(!page.includes(app.adminToken), 'the admin token is never in a page');
  // only the id's hash is stored
  const stored = await app.db.pool.query('SELECT id_sha256 FROM ops_console_sessions');
  assert.ok(stored.rows.every((r) => !cookie.includes(r.id_sha256)));
});

test('a state-changing request without the session, or without or with a wrong CSRF token, is refused', async () => {
  const { cookie, csrf } = await signIn();
  const fields = { params: '{"latencyMs":100}', ttlSeconds: '60' };
  const noSession = await post('/ops/faults/psp.latency', { ...fields, csrf });
  assert.equal(noSession.res.status, 401);
  assert.equal(noSession.json.error.code, 'OPS_CONSOLE_SIGN_IN_REQUIRED');
  const noToken = await post('/ops/faults/psp.latency', fields, cookie);
  assert.equal(noToken.res.status, 403);
  assert.equal(noToken.json.error.code, 'OPS_CONSOLE_CSRF_INVALID');
  const other = await signIn();
  const wrongToken = await post('/ops/faults/psp.latency', { ...fields, csrf: other.csrf }, cookie);
  assert.equal(wrongToken.res.status, 403, "another session's token does not do");
  assert.equal(wrongToken.json.error.code, 'OPS_CONSOLE_CSRF_INVALID');
  const faults = await api(app.url, 'GET', '/api/admin/faults', undefined, { authorization: `Bearer ${app.adminToken}` });
  assert.equal(faults.status, 404, 'the faults API is not on the control role');
  const active = await app.db.pool.query(`SELECT count(*)::int AS n FROM faults`);
  assert.equal(active.rows[0].n, 0, 'nothing was injected');
});

test('faults: injected with parameters and an expiry, cleared; bad parameters are a 400 with a stable code', async () => {
  const { cookie, csrf } = await signIn();
  const bad = await post('/ops/faults/psp.latency', { csrf, params: '[1]', ttlSeconds: '60' }, cookie);
  assert.equal(bad.res.status, 400);
  assert.equal(bad.json.error.code, 'OPS_CONSOLE_FAULT_PARAMS_INVALID');
  const badTtl = await post('/ops/faults/psp.latency', { csrf, params: '{}', ttlSeconds: 'soon' }, cookie);
  assert.equal(badTtl.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  const unknown = await post('/ops/faults/no.such.fault', { csrf, params: '{}', ttlSeconds: '60' }, cookie);
  assert.equal(unknown.res.status, 404);

  const set = await post('/ops/faults/psp.latency', { csrf, params: '{"latencyMs":300}', ttlSeconds: '120' }, cookie);
  assert.equal(set.res.status, 303);
  assert.equal(set.res.headers.get('location'), '/ops/faults?done=injected#fault-psp.latency');
  const row = (await app.db.pool.query(`SELECT params, expires_at - updated_at AS ttl FROM faults WHERE name = 'psp.latency'`)).rows[0];
  assert.deepEqual(row.params, { latencyMs: 300 });
  const page = await (await get('/ops/faults?done=injected', cookie)).text();
  assert.match(page, /Fault injected/);
  assert.match(page, /Clear psp\.latency/);
  const change = await app.db.pool.query(`SELECT summary FROM change_events WHERE kind = 'fault.set' AND subject = 'psp.latency'`);
  assert.equal(change.rowCount, 1, 'the change log records it');

  const cleared = await post('/ops/faults/psp.latency/clear', { csrf }, cookie);
  assert.equal(cleared.res.status, 303);
  assert.equal((await app.db.pool.query(`SELECT count(*)::int AS n FROM faults`)).rows[0].n, 0);
});

test('sessions expire, and sign-out ends the session (its cookie no longer works)', async () => {
  const a = await signIn();
  await app.db.pool.query(`UPDATE ops_console_sessions SET expires_at = now() - interval '1 second'`);
  const expired = await get('/ops', a.cookie);
  assert.equal(expired.status, 303);
  assert.equal(expired.headers.get('location'), '/ops/sign-in');

  const b = await signIn();
  const out = await post('/ops/sign-out', { csrf: b.csrf }, b.cookie);
  assert.equal(out.res.status, 303);
  assert.equal(out.res.headers.get('location'), '/ops/sign-in');
  assert.match(out.res.headers.getSetCookie()[0]!, /^hf_ops_session=; Max-Age=0; Path=\/ops; HttpOnly; SameSite=Strict$/);
  assert.equal((await get('/ops', b.cookie)).status, 303, 'a copy of the old cookie is signed out too');
});

test('the live stream: server-sent overview events; one stream over the cap is refused with 503, and a closed stream gives its place back', async () => {
  const { cookie } = await signIn();
  const first = new AbortController();
  const res = await fetch(`${app.url}/ops/events`, { headers: { cookie }, signal: first.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('event: overview')) text += new TextDecoder().decode((await reader.read()).value);
  const data = JSON.parse(/event: overview\ndata: (.*)\n/.exec(text)![1]!);
  assert.deepEqual(Object.keys(data.components), ['storefront', 'database', 'payments', 'provider']);
  assert.ok(data.panels.slo.includes('<table>'));

  const over = await fetch(`${app.url}/ops/events`, { headers: { cookie } });
  assert.equal(over.status, 503);
  assert.equal(over.headers.get('retry-after'), '5');
  assert.equal((await over.json()).error.code, 'OPS_CONSOLE_STREAMS_EXHAUSTED');

  first.abort();
  const deadline = Date.now() + 5000;
  for (;;) {
    const again = await fetch(`${app.url}/ops/events`, { headers: { cookie }, signal: AbortSignal.timeout(3000) }).catch(() => undefined);
    if (again?.status === 200) { await again.body!.cancel(); break; }
    await again?.body?.cancel();
    assert.ok(Date.now() < deadline, 'the closed stream was not let go');
    await new Promise((r) => setTimeout(r, 100));
  }
  const noSession = await fetch(`${app.url}/ops/events`, { redirect: 'manual' });
  assert.equal(noSession.status, 303);
});

/** Opens a live view and reads it until its first overview event; then `rest()` reads it to its end. */
async function openStream(cookie: string) {
  const res = await fetch(`${app.url}/ops/events`, { headers: { cookie }, signal: AbortSignal.timeout(20_000) });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: overview')) text += decoder.decode((await reader.read()).value);
  return {
    async rest() {
      let tail = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) tail += decoder.decode(r.value);
      return tail;
    },
  };
}

test('an open live view ends when its session signs out (in another tab, or on another replica)', { timeout: 30_000 }, async () => {
  const a = await signIn();
  const viewA = await openStream(a.cookie);
  const out = await post('/ops/sign-out', { csrf: a.csrf }, a.cookie);
  assert.equal(out.res.status, 303);
  assert.match(await viewA.rest(), /event: signed-out\n/, 'signed out in another tab: the stream ends and says why');

  // signed out on another control replica: only the table says so
  const b = await signIn();
  const viewB = await openStream(b.cookie);
  const key = createHash('sha256').update(b.cookie.split('=')[1]!).digest('hex');
  assert.equal((await app.db.pool.query('DELETE FROM ops_console_sessions WHERE id_sha256 = $1', [key])).rowCount, 1);
  assert.match(await viewB.rest(), /event: signed-out\n/);

  // expired (the table's expiry, as another replica's clock would find it)
  const c = await signIn();
  const viewC = await openStream(c.cookie);
  await app.db.pool.query(`UPDATE ops_console_sessions SET expires_at = now() - interval '1 second'`);
  assert.match(await viewC.rest(), /event: signed-out\n/);
});

test('GET /api/ops/console/overview: the same overview for scripts, admin token only', async () => {
  const without = await api(app.url, 'GET', '/api/ops/console/overview');
  assert.equal(without.status, 401);
  const res = await api(app.url, 'GET', '/api/ops/console/overview', undefined, { authorization: `Bearer ${app.adminToken}` });
  assert.equal(res.status, 200);
  assert.ok(Array.isArray(res.json.times));
  assert.ok(Array.isArray(res.json.slo) && res.json.slo.length > 0);
  assert.ok(typeof res.json.panels.alerts === 'string');
});

test('bad input to the console pages is a 4xx with a stable code', async () => {
  const { cookie, csrf } = await signIn();
  const badId = await get('/ops/incidents/not-a-uuid', cookie);
  assert.equal(badId.status, 400);
  const missing = await get('/ops/incidents/3f1c1d7e-0000-4000-8000-000000000001', cookie);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, 'INCIDENT_NOT_FOUND');
  const emptyNote = await post('/ops/incidents/3f1c1d7e-0000-4000-8000-000000000001/notes', { csrf, text: '' }, cookie);
  assert.equal(emptyNote.res.status, 400);
  assert.equal(emptyNote.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  // text PostgreSQL cannot store (a NUL byte) is refused before any INSERT
  const unstorable = await post('/ops/status/override', { csrf, component: 'payments', status: 'under_maintenance', reason: 'a\u0000b' }, cookie);
  assert.equal(unstorable.res.status, 400);
  assert.equal(unstorable.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  const asset = await get('/ops/assets/nope.js');
  assert.equal(asset.status, 404);
  const uplot = await get('/ops/assets/uplot.iife.min.js');
  assert.equal(uplot.status, 200);
  assert.match(uplot.headers.get('content-type')!, /javascript/);
});

test('scaling, status components and payments pages; the waiting room changed live from the console (settings and queue-all), recorded in the change log', async () => {
  const { cookie, csrf } = await signIn();
  const scaling = await get('/ops/scaling', cookie);
  assert.equal(scaling.status, 200);
  assert.match(await scaling.text(), /<h2 id="h-role-storefront">storefront: \d+ replica/);
  const status = await (await get('/ops/status', cookie)).text();
  assert.match(status, /<tr data-component="checkout">/);
  assert.match(status, /data-override-form/);
  const payments = await (await get('/ops/payments', cookie)).text();
  assert.match(payments, /Orders pending payment \(0\)/);
  assert.match(payments, /Dead-letter queue \(0\)/);

  const room = await (await get('/ops/waiting-room', cookie)).text();
  assert.match(room, /Queue all is <strong>off<\/strong>/);
  const saved = await post('/ops/waiting-room', { csrf, mode: 'on', totalActiveUsers: '200', newUsersPerMinute: '50' }, cookie);
  assert.equal(saved.res.status, 303);
  assert.equal(saved.res.headers.get('location'), '/ops/waiting-room?done=room-changed');
  const queueAll = await post('/ops/waiting-room', { csrf, queueAll: 'true' }, cookie);
  assert.equal(queueAll.res.status, 303);
  const after = await (await get('/ops/waiting-room?done=room-changed', cookie)).text();
  assert.match(after, /Queue all is <strong>on: nobody new is let in<\/strong>/);
  assert.match(after, /value="on" checked/);
  assert.match(after, /name="totalActiveUsers" type="number" min="1" required value="200"/);
  const stored = (await app.db.pool.query('SELECT settings FROM waiting_room')).rows[0].settings;
  assert.equal(stored.queueAll, true);
  assert.equal(stored.totalActiveUsers, 200);
  const changes = await app.db.pool.query(`SELECT summary, details FROM change_events WHERE kind = 'config.changed' AND subject = 'waiting-room' ORDER BY id`);
  assert.equal(changes.rowCount, 2);
  assert.equal(changes.rows[0].details.source, 'ops console');

  const invalid = await post('/ops/waiting-room', { csrf, totalActiveUsers: '10', newUsersPerMinute: '50' }, cookie);
  assert.equal(invalid.res.status, 400);
  assert.equal(invalid.json.error.code, 'WAITING_ROOM_SETTINGS_INVALID');
  const notNumber = await post('/ops/waiting-room', { csrf, totalActiveUsers: 'many' }, cookie);
  assert.equal(notNumber.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  const noCsrf = await post('/ops/waiting-room', { queueAll: 'false' }, cookie);
  assert.equal(noCsrf.res.status, 403);
  const retryMissing = await post('/ops/payments/dead-letters/3f1c1d7e-0000-4000-8000-000000000001/retry', { csrf }, cookie);
  assert.equal(retryMissing.res.status, 404);
  assert.equal(retryMissing.json.error.code, 'DEAD_LETTER_NOT_FOUND');
});

test('a status component set by hand from the console wins over its automatic state until handed back; both are change events', async () => {
  const { cookie, csrf } = await signIn();
  const set = await post('/ops/status/override', { csrf, component: 'payments', status: 'under_maintenance', reason: 'provider migration', durationMinutes: '30' }, cookie);
  assert.equal(set.res.status, 303, set.text);
  assert.equal(set.res.headers.get('location'), '/ops/status?done=override-set');
  const shown = await (await get('/ops/status?done=override-set', cookie)).text();
  assert.match(shown, /<tr data-component="payments"><th scope="row">payments<\/th><td>under maintenance<\/td>\s*<td>by hand, until /);
  assert.match(shown, /Hand payments back to automatic/);
  const api = await fetch(`${app.url}/api/ops/status/components`, { headers: { authorization: `Bearer ${app.adminToken}` } });
  const payments = ((await api.json()) as { items: { name: string; status: string; source: string; override: { reason: string } | null }[] }).items.find((c) => c.name === 'payments')!;
  assert.deepEqual([payments.status, payments.source, payments.override?.reason], ['under_maintenance', 'manual', 'provider migration']);

  const bad = await post('/ops/status/override', { csrf, component: 'payments', status: 'on_fire', reason: 'x' }, cookie);
  assert.equal(bad.res.status, 400);
  assert.equal(bad.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  const unknown = await post('/ops/status/override/clear', { csrf, component: 'warehouse' }, cookie);
  assert.equal(unknown.json.error.code, 'OPS_CONSOLE_FORM_INVALID');
  const noCsrf = await post('/ops/status/override/clear', { component: 'payments' }, cookie);
  assert.equal(noCsrf.res.status, 403);

  const cleared = await post('/ops/status/override/clear', { csrf, component: 'payments' }, cookie);
  assert.equal(cleared.res.headers.get('location'), '/ops/status?done=override-cleared');
  const back = await (await get('/ops/status', cookie)).text();
  assert.match(back, /<tr data-component="payments"><th scope="row">payments<\/th><td>operational<\/td>\s*<td>automatically<\/td>/);
  const kinds = (await app.db.pool.query(`SELECT kind FROM change_events WHERE subject = 'status-page:payments' ORDER BY id`)).rows.map((r) => r.kind);
  assert.deepEqual(kinds, ['status_page.override_set', 'status_page.override_cleared']);
});

test('the capacity page lists the recorded capacity runs, newest first, with a regression and both bottlenecks named', async () => {
  const { cookie } = await signIn();
  const empty = await (await get('/ops/capacity', cookie)).text();
  assert.match(empty, /No run recorded yet/);
  const run = (rate: number, pool: number, bottleneck: string) => ({
    scenario: 'mixed', target: 'http://shop.test', slo: 'p(99)<500ms', stepDurationSec: 5, sustainableRate: rate, sustainableRequestsPerSec: rate * 3,
    breakingRate: rate * 2, bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: bottleneck }, replicas: 1,
    deployment: { pools: { 'all/main': pool }, bulkheads: {} },
  });
  await recordCapacityRun(app.db.pool, run(80, 10, 'postgres pool main: 3 waiting'), 'v1');
  await recordCapacityRun(app.db.pool, run(20, 2, 'postgres pool main: 22 waiting (2/2 connections in use)'), 'v1');
  const page = await (await get('/ops/capacity', cookie)).text();
  assert.match(page, /2 runs shown; <strong>1 regression<\/strong>/);
  const rows = [...page.matchAll(/<tr data-capacity-run="(\d+)"( class="regression")?>/g)];
  assert.equal(rows.length, 2);
  assert.ok(Number(rows[0]![1]) > Number(rows[1]![1]), 'newest first');
  assert.equal(rows[0]![2], ' class="regression"');
  assert.match(page, /<strong>Regression:<\/strong> [^<]*postgres pool main: 3 waiting[^<]*postgres pool main: 22 waiting/);
  assert.match(page, /<a href="\/ops\/capacity" aria-current="page">Capacity<\/a>/);
});

test('stopping the control role ends the open live streams (they do not hold the HTTP server\'s drain)', { timeout: 30_000 }, async () => {
  const other = await startTestApp({ targets: ['control'] });
  let stopped = false;
  try {
    const { cookie } = await signIn(other);
    const res = await fetch(`${other.url}/ops/events`, { headers: { cookie } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read();
    const stopping = other.stop().then(() => { stopped = true; });
    // the stream ends (done) rather than staying open until the drain's grace runs out
    for (;;) if ((await reader.read()).done) break;
    await stopping;
  } finally {
    if (!stopped) await other.stop();
  }
});

test('with HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY the console shows the limits the storefronts take from capacity, and queue-all keeps them', { timeout: 30_000 }, async () => {
  const other = await startTestApp({
    targets: ['control'],
    config: { waitingRoomLimitsFromCapacity: true, waitingRoom: { mode: 'on', totalActiveUsers: 9000, newUsersPerMinute: 3000, sessionDurationSeconds: 120 } },
  });
  try {
    await recordCapacityRun(other.db.pool, {
      scenario: 'mixed', target: 'http://shop.test', slo: 'p(99)<500ms', stepDurationSec: 5, sustainableRate: 40, sustainableRequestsPerSec: 120,
      breakingRate: 80, bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 3 waiting' }, replicas: 2,
      deployment: { pools: { 'all/main': 10 }, bulkheads: {} },
    }, 'v1');
    // what a storefront starts with: 40 journeys/s over 2 replicas, at the policy's maximum storefront replicas
    const expected = waitingRoomLimitsFor((40 / 2) * defaultScalingPolicy().roles.storefront.maxReplicas, 120);
    assert.notEqual(expected.totalActiveUsers, 9000);
    const { cookie, csrf } = await signIn(other);
    const shown = await (await fetch(`${other.url}/ops/waiting-room`, { headers: { cookie } })).text();
    assert.match(shown, new RegExp(`name="totalActiveUsers" type="number" min="1" required value="${expected.totalActiveUsers}"`), 'nothing stored yet: the capacity-derived limits');
    assert.match(shown, new RegExp(`name="newUsersPerMinute" type="number" min="1" required value="${expected.newUsersPerMinute}"`));

    const queueAll = await fetch(`${other.url}/ops/waiting-room`, { method: 'POST', redirect: 'manual', body: form({ csrf, queueAll: 'true' }), headers: { ...FORM, cookie } });
    assert.equal(queueAll.status, 303);
    const stored = (await other.db.pool.query('SELECT settings FROM waiting_room')).rows[0].settings;
    assert.equal(stored.queueAll, true);
    assert.deepEqual([stored.totalActiveUsers, stored.newUsersPerMinute, stored.sessionDurationSeconds], [expected.totalActiveUsers, expected.newUsersPerMinute, 120],
      'the stored set every storefront follows keeps the limits taken from capacity');
  } finally {
    await other.stop();
  }
});

test('once the console has stopped, a live view reconnecting is refused with 503 and Retry-After, not taken on', { timeout: 30_000 }, async () => {
  const other = await startTestApp({ targets: ['control'] });
  try {
    const { cookie } = await signIn(other);
    // what the module's stop does, while later modules (and the HTTP server's drain) are still to stop
    other.service(opsConsoleModule).close();
    const res = await fetch(`${other.url}/ops/events`, { headers: { cookie }, signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal((await res.json()).error.code, 'OPS_CONSOLE_STOPPING');
    assert.equal(other.service(opsConsoleModule).open, 0);
  } finally {
    await other.stop();
  }
});

test('behind a TLS-terminating proxy listed in HOLDFAST_TRUST_PROXY the session cookie is Secure; from any other peer X-Forwarded-Proto is not believed', { timeout: 30_000 }, async () => {
  const viaProxy = { 'x-forwarded-proto': 'https' };
  const untrusted = await signIn(app, viaProxy);
  assert.doesNotMatch(untrusted.setCookie, /Secure/, 'no proxy trusted (the default): the header is anyone\'s to send');
  const other = await startTestApp({ targets: ['control'], config: { trustProxy: ['127.0.0.1'] } });
  try {
    const { setCookie } = await signIn(other, viaProxy);
    assert.match(setCookie, /^hf_ops_session=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/ops; HttpOnly; Secure; SameSite=Strict$/);
    const direct = await signIn(other);
    assert.doesNotMatch(direct.setCookie, /Secure/, 'plain http through the proxy: no Secure');
  } finally {
    await other.stop();
  }
});

test('the payments page counts every dead letter, not only the 500 it lists', { timeout: 60_000 }, async () => {
  // as the payments worker leaves them: jobs waiting in the dead-letter queue (written there directly, as pg-boss does)
  const boss = (app.service(queueModule) as unknown as { boss: import('pg-boss').PgBoss }).boss;
  await boss.insert(PAYMENT_DEAD_LETTER_QUEUE, Array.from({ length: 501 }, (_, i) => ({ data: { orderId: `3f1c1d7e-0000-4000-8000-${String(i).padStart(12, '0')}` } })));
  const { cookie } = await signIn();
  const page = await (await get('/ops/payments', cookie)).text();
  assert.match(page, /Dead-letter queue \(501\)/);
  assert.match(page, /The oldest 500 are shown\./);
  assert.equal([...page.matchAll(/action="\/ops\/payments\/dead-letters\/[^"]+\/retry"/g)].length, 500);
});
