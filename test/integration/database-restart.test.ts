// A PostgreSQL restart under checkout traffic, with one process per role (storefront, two payments, psp,
// control) on a PostgreSQL server of this test's own (the shared test server must never restart). While
// payment jobs are in flight the server stops for about 7 s, then starts again. Asserts: every process
// stays alive throughout; each reports not ready (/readyz 503) during the outage while /healthz stays 200,
// and is ready again within 10 s of the server's return; the fault readers LISTEN again; every order
// accepted (202) settles by itself (paid or payment_failed, as its card says), those in flight at the
// stop within 30 s of the return; the provider's ledger holds exactly one charge per paid order and none
// for the rest; no request got a 5xx other than 503, and every 503 carried Retry-After (and, on the
// JSON API, an error code). Prints the figures.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/platform/db/embedded-postgres.ts';
import { ensureDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { MIGRATION_FOLDERS } from '../../src/app/holdfast-modules.ts';
import { seedDemoCatalog } from '../../src/catalog/index.ts';
import { succeededChargesByOrder } from '../../src/psp/index.ts';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { SHIPPING } from '../helpers/test-app.ts';
import { admin, setFault } from '../helpers/shop.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const OUTAGE_MS = 7_000;
const SHOPPERS = 8;
/** Each shopper's pause between journeys: a steady stream of checkouts rather than a flood. */
const THINK_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: EmbeddedPostgresHandle | undefined;
let shop: RoleDeployment | undefined;
const dataDir = path.join(ROOT, '.holdfast-test', `db-restart-${process.pid}`);
after(async () => {
  await shop?.stop().catch(() => {});
  await server?.stop().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
});

/** The embedded server's URL over TCP (as a DATABASE_URL deployment connects), for database `name`. */
function tcpUrl(connectionString: string, name: string): string {
  const url = new URL(connectionString);
  url.searchParams.delete('host');
  url.hostname = '127.0.0.1';
  url.pathname = `/${name}`;
  return url.toString();
}

interface Answer { at: number; route: string; status: number; code?: string; retryAfter?: string }

test('a PostgreSQL restart under checkout traffic: every role survives, reports not ready, recovers; every order settles once', { timeout: 420_000 }, async () => {
  await rm(dataDir, { recursive: true, force: true });
  const port = await freePort();
  server = await startEmbeddedPostgres({ dataDir, port });
  const dbName = 'holdfast_restart';
  const url = tcpUrl(server.connectionString, dbName);
  await ensureDatabase(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {}); // this test's own connections die with the server too
  await migrate(pool, MIGRATION_FOLDERS);
  await seedDemoCatalog(pool, 60);

  shop = await startRoleDeployment({ HOLDFAST_PROVIDER_TIMEOUT_MS: '2500', HOLDFAST_RECONCILE_INTERVAL_SECONDS: '0' }, {
    database: { url, name: dbName, pool, drop: async () => { await pool.end(); } },
    paymentsProcesses: 2,
  });
  const { url: base, adminToken } = shop;
  const exits: string[] = [];
  for (const p of shop.processes) p.child.once('exit', (code, signal) => exits.push(`${p.role} (pid ${p.child.pid}) exited with ${code ?? signal}`));

  const products = (await (await fetch(`${base}/api/products?limit=6`)).json()).items as { id: string; slug: string }[];
  for (const p of products) assert.equal((await admin(base, adminToken, 'PUT', `/api/admin/products/${p.id}/stock`, { onHand: 100_000 })).status, 200);
  // A slow provider keeps payment jobs in flight when the database goes away.
  await setFault(base, adminToken, 'psp.latency', { latencyMs: 300, jitterMs: 300 });

  // --- checkout traffic: each shopper browses, fills a cart and checks out, retrying what got a 503 ---
  const answers: Answer[] = [];
  const unanswered: string[] = [];
  const accepted: { orderId: string; declined: boolean }[] = [];
  let traffic = true;
  const call = async (route: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
    try {
      const res = await fetch(`${base}${p}`, {
        method, signal: AbortSignal.timeout(20_000),
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: any;
      try { json = JSON.parse(text); } catch { json = undefined; }
      const retryAfter = res.headers.get('retry-after') ?? undefined;
      answers.push({ at: Date.now(), route, status: res.status, ...(json?.error?.code ? { code: json.error.code } : {}), ...(retryAfter ? { retryAfter } : {}) });
      return { status: res.status, json };
    } catch (err) {
      unanswered.push(`${route}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`);
      return { status: 0, json: undefined };
    }
  };
  /** Repeats a request until it is answered with something other than a 503 (or traffic stops). */
  const retrying503 = async (route: string, method: string, p: string, body?: unknown, headers?: Record<string, string>) => {
    for (;;) {
      const res = await call(route, method, p, body, headers);
      if ((res.status !== 503 && res.status !== 0) || !traffic) return res;
      await sleep(250);
    }
  };
  let n = 0;
  const shopper = async () => {
    while (traffic) {
      const i = n++;
      await call('GET /api/products', 'GET', '/api/products?limit=5');
      await call('GET /', 'GET', '/', undefined, { accept: 'text/html' });
      const cart = await retrying503('POST /api/carts', 'POST', '/api/carts', {});
      if (cart.status !== 201) continue;
      const added = await retrying503('POST /api/carts/:id/items', 'POST', `/api/carts/${cart.json.id}/items`, { productId: products[i % products.length]!.id, quantity: 1 + (i % 2) });
      if (added.status !== 200) continue;
      const declined = i % 10 === 9;
      const key = randomUUID();
      const checkout = await retrying503('POST /api/checkout', 'POST', '/api/checkout', {
        cartId: cart.json.id, email: `restart-${i}@example.com`, shippingAddress: SHIPPING,
        paymentMethod: declined ? 'pm_card_chargeDeclined' : 'pm_card_visa',
      }, { 'idempotency-key': key });
      if (checkout.status !== 202) continue;
      accepted.push({ orderId: checkout.json.orderId, declined });
      await call('GET /api/orders/:id', 'GET', `/api/orders/${checkout.json.orderId}`, undefined, { authorization: `Bearer ${checkout.json.accessToken}` });
      await sleep(THINK_MS);
    }
  };
  const shoppers = Array.from({ length: SHOPPERS }, shopper);

  // --- every other kind of route, a request each twice a second: API, admin API and pages ---
  const auth = { authorization: `Bearer ${adminToken}` };
  const sweepCart = (await (await fetch(`${base}/api/carts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()).id as string;
  const emptyCart = (await (await fetch(`${base}/api/carts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json()).id as string;
  assert.equal((await call('POST /api/carts/:id/items', 'POST', `/api/carts/${sweepCart}/items`, { productId: products[0]!.id, quantity: 1 })).status, 200);
  while (accepted.length === 0) await sleep(100);
  const sampleOrderId = accepted[0]!.orderId;
  const sweep: [string, string, string, unknown?, Record<string, string>?][] = [
    ['GET /api/products/:slug', 'GET', `/api/products/${products[1]!.slug}`],
    ['GET /api/carts/:id', 'GET', `/api/carts/${sweepCart}`],
    ['PATCH /api/carts/:id/items/:productId', 'PATCH', `/api/carts/${sweepCart}/items/${products[0]!.id}`, { quantity: 2 }],
    ['POST /api/checkout (empty cart)', 'POST', '/api/checkout', { cartId: emptyCart, email: 'sweep@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() }],
    ['GET /api/admin/orders', 'GET', '/api/admin/orders?limit=1', undefined, auth],
    ['GET /api/admin/orders/:id', 'GET', `/api/admin/orders/${sampleOrderId}`, undefined, auth],
    ['GET /api/admin/orders/:id/payments', 'GET', `/api/admin/orders/${sampleOrderId}/payments`, undefined, auth],
    ['GET /api/admin/products/:id/stock', 'GET', `/api/admin/products/${products[0]!.id}/stock`, undefined, auth],
    ['GET /api/admin/faults', 'GET', '/api/admin/faults', undefined, auth],
    ['PUT /api/admin/faults/:name', 'PUT', '/api/admin/faults/psp.latency', { latencyMs: 300, jitterMs: 300 }, auth],
    ['GET /api/admin/payments/dead-letters', 'GET', '/api/admin/payments/dead-letters', undefined, auth],
    ['GET /products/:slug', 'GET', `/products/${products[2]!.slug}`, undefined, { accept: 'text/html' }],
  ];
  const sweeper = (async () => {
    while (traffic) {
      for (const [route, method, p, body, headers] of sweep) await call(route, method, p, body, headers);
      await sleep(500);
    }
  })();

  // --- readiness and liveness of every process, four times a second ---
  const probed = [
    ...shop.processes.filter((p) => p.url).map((p) => ({ name: `${p.role}:${p.child.pid}`, url: p.url })),
    { name: 'psp', url: shop.pspUrl },
  ];
  const probes = new Map(probed.map((p) => [p.name, { notReadyAt: [] as number[], readyAt: [] as number[], healthNot200: [] as string[] }]));
  let probing = true;
  const prober = (async () => {
    while (probing) {
      await Promise.all(probed.map(async (p) => {
        const rec = probes.get(p.name)!;
        const at = Date.now();
        const ready = await fetch(`${p.url}/readyz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
        (ready === 200 ? rec.readyAt : rec.notReadyAt).push(at);
        const health = await fetch(`${p.url}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => r.status, () => 0);
        if (health !== 200) rec.healthNot200.push(`${health} at ${at}`);
      }));
      await sleep(250);
    }
  })();

  // --- the outage, once payment jobs are in flight ---
  await sleep(4000);
  const faultListeners = async () => (await pool.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'holdfast-faults' AND query ILIKE 'LISTEN%'`, [dbName])).rows[0].n as number;
  const listenersBefore = await faultListeners();
  const activeJobs = async () => (await pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'payment-charge' AND state = 'active'`)).rows[0].n as number;
  let inFlight = 0;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && inFlight === 0;) inFlight = await activeJobs();
  const acceptedBefore = accepted.length;
  const stoppedAt = Date.now();
  await server.stop();
  const downAt = Date.now();
  await sleep(OUTAGE_MS);
  const startAt = Date.now();
  server = await startEmbeddedPostgres({ dataDir, port });
  const upAt = Date.now();
  // The orders accepted before the stop (their payments were in flight): when did the last one settle?
  const beforeStop = accepted.slice(0, acceptedBefore).map((o) => o.orderId);
  let inFlightSettledAt: number | undefined;
  const inFlightWatch = (async () => {
    for (const deadline = upAt + 240_000; Date.now() < deadline && inFlightSettledAt === undefined; await sleep(250)) {
      const left = await pool.query(`SELECT count(*)::int AS n FROM orders WHERE id = ANY($1) AND status = 'pending_payment'`, [beforeStop]).then((r) => r.rows[0].n as number, () => -1);
      if (left === 0) inFlightSettledAt = Date.now();
    }
  })();

  // --- recovery: every process ready again; the LISTEN connections of the fault readers are back ---
  const readyAfter = new Map<string, number | null>();
  const recoverUntil = upAt + 30_000;
  while (Date.now() < recoverUntil && readyAfter.size < probed.length) {
    for (const p of probed) {
      const first = probes.get(p.name)!.readyAt.find((t) => t >= upAt);
      if (first !== undefined && !readyAfter.has(p.name)) readyAfter.set(p.name, (first - upAt) / 1000);
    }
    await sleep(100);
  }
  let listeners = 0;
  for (const deadline = upAt + 15_000; Date.now() < deadline; await sleep(250)) {
    listeners = await faultListeners().catch(() => 0);
    if (listeners >= 4) break;
  }
  const listenersAfter = (Date.now() - upAt) / 1000;

  // Traffic continues a little after recovery, then every accepted order must settle by itself.
  await sleep(5000);
  traffic = false;
  await Promise.all([...shoppers, sweeper]);
  probing = false;
  await prober;
  const ids = accepted.map((o) => o.orderId);
  let pending = ids.length;
  let settledAt = Date.now();
  for (const deadline = Date.now() + 240_000; Date.now() < deadline; await sleep(250)) {
    pending = (await pool.query(`SELECT count(*)::int AS n FROM orders WHERE id = ANY($1) AND status = 'pending_payment'`, [ids])).rows[0].n;
    settledAt = Date.now();
    if (pending === 0) break;
  }

  await inFlightWatch;

  // --- figures ---
  const { rows } = await pool.query<{ id: string; status: string; total_amount: number }>(`SELECT id, status, total_amount FROM orders WHERE id = ANY($1)`, [ids]);
  const byStatus = rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  const charges = await succeededChargesByOrder(pool);
  let notOnce = 0; let onUnpaid = 0;
  for (const r of rows) {
    const c = charges.get(r.id)?.charges ?? 0;
    if (r.status === 'paid' && c !== 1) notOnce++;
    if (r.status !== 'paid' && c > 0) onUnpaid += c;
  }
  const stray = [...charges.keys()].filter((id) => !rows.some((r) => r.id === id)).length;
  const wrongOutcome = accepted.filter((o) => rows.find((r) => r.id === o.orderId)?.status !== (o.declined ? 'payment_failed' : 'paid'));
  const server5xx = answers.filter((a) => a.status >= 500);
  const not503 = server5xx.filter((a) => a.status !== 503);
  const unavailable = server5xx.filter((a) => a.status === 503);
  const apiWithoutCode = unavailable.filter((a) => a.route.includes('/api/') && !a.code);
  const withoutRetryAfter = unavailable.filter((a) => !a.retryAfter);
  const codes = unavailable.reduce<Record<string, number>>((m, a) => ({ ...m, [a.code ?? '(html page)']: (m[a.code ?? '(html page)'] ?? 0) + 1 }), {});
  const byRoute = new Map<string, Record<number, number>>();
  for (const a of answers) {
    const row = byRoute.get(a.route) ?? {};
    row[a.status] = (row[a.status] ?? 0) + 1;
    byRoute.set(a.route, row);
  }
  const unhandled: string[] = [];
  for (const p of probed) {
    const text = await fetch(`${p.url}/metrics`).then((r) => r.text(), () => '');
    for (const line of text.split('\n')) if (line.startsWith('holdfast_process_unhandled_errors_total{')) unhandled.push(`${p.name} ${line.replace(/,?service="[^"]*"/, '')}`);
  }
  console.log([
    `database restart: server stopped ${((downAt - stoppedAt) / 1000).toFixed(1)} s after the stop began, down ${((upAt - downAt) / 1000).toFixed(1)} s (start took ${((upAt - startAt) / 1000).toFixed(1)} s); payment jobs active at the stop: ${inFlight}`,
    `  requests: ${answers.length} answered, ${unanswered.length} unanswered; 5xx: ${server5xx.length} (503: ${unavailable.length} ${JSON.stringify(codes)}; other 5xx: ${not503.length}); 503 without Retry-After: ${withoutRetryAfter.length}, API 503 without a code: ${apiWithoutCode.length}`,
    `  by route and status: ${[...byRoute].map(([route, row]) => `${route} ${JSON.stringify(row)}`).join('; ')}`,
    `  orders accepted: ${accepted.length} (${acceptedBefore} before the stop); ${JSON.stringify(byStatus)}; still pending: ${pending}; the ${acceptedBefore} accepted before the stop all settled ${inFlightSettledAt ? ((inFlightSettledAt - upAt) / 1000).toFixed(1) : 'never'} s after the server was back, the last of all ${((settledAt - upAt) / 1000).toFixed(1)} s after (traffic went on for 5 s)`,
    `  ledger: paid orders without exactly one charge: ${notOnce}; charges on unpaid orders: ${onUnpaid}; charges without an order: ${stray}; orders whose outcome differs from their card: ${wrongOutcome.length}`,
    `  ready again after the server was back (s): ${probed.map((p) => `${p.name}=${readyAfter.get(p.name) ?? 'never'}`).join(', ')}`,
    `  fault-reader LISTEN connections: ${listenersBefore} before the outage; ${listeners} of 4 ${listenersAfter.toFixed(1)} s after the server was back`,
    `  process exits: ${exits.length ? exits.join('; ') : 'none'}`,
    ...unhandled.map((l) => `  ${l}`),
  ].join('\n'));
  for (const p of shop.processes) if (p.child.exitCode !== null) console.log(`  ${p.role} (pid ${p.child.pid}), last output:\n${p.output().slice(-2500)}`);
  if (unanswered.length) console.log(`  unanswered, first: ${unanswered.slice(0, 5).join(' | ')}`);
  if (not503.length) console.log(`  other 5xx, first: ${JSON.stringify(not503.slice(0, 5))}`);

  assert.deepEqual(exits, [], 'no process exited');
  for (const p of shop.processes) assert.equal(p.child.exitCode, null, `${p.role} is still running\n${p.output().slice(-3000)}`);
  for (const p of probed) {
    const rec = probes.get(p.name)!;
    assert.ok(rec.notReadyAt.some((t) => t >= downAt && t < upAt), `${p.name} reported not ready while the database was down`);
    assert.deepEqual(rec.healthNot200, [], `${p.name}: /healthz stayed 200`);
    const ready = readyAfter.get(p.name);
    assert.ok(ready !== undefined && ready !== null && ready <= 10, `${p.name} ready again within 10 s of the database's return (${ready ?? 'never'})`);
  }
  assert.ok(listeners >= 4, `every fault reader LISTENs again (${listeners} of 4)`);
  assert.deepEqual(unanswered, [], 'every request was answered');
  assert.ok(unavailable.length > 0, 'the outage was seen by the traffic (503s)');
  assert.deepEqual(not503, [], 'no 5xx other than 503');
  assert.deepEqual(withoutRetryAfter, [], 'every 503 carries Retry-After');
  assert.deepEqual(apiWithoutCode, [], 'every API 503 carries an error code');
  assert.ok(accepted.length > acceptedBefore, 'checkouts were accepted after the outage too');
  assert.equal(pending, 0, 'every accepted order settled by itself');
  // Payments in flight at the stop resume once the database answers, not after their jobs expire (60 s).
  const inFlightSeconds = inFlightSettledAt === undefined ? Infinity : (inFlightSettledAt - upAt) / 1000;
  assert.ok(inFlightSeconds <= 30, `the orders accepted before the stop settled within 30 s of the database's return (${inFlightSeconds} s)`);
  assert.deepEqual(wrongOutcome, [], 'each order is paid or payment_failed as its card says');
  assert.equal(notOnce, 0, 'exactly one charge per paid order');
  assert.equal(onUnpaid, 0, 'no charge on an unpaid order');
  assert.equal(stray, 0, 'no charge without an order');
});
