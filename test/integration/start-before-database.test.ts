// Role processes started while their database cannot be reached wait for it instead of exiting. On a
// PostgreSQL server of this test's own, stopped before the processes start: storefront, payments and psp
// processes (DATABASE_URL) stay alive (5 s after each met the stopped server), the two with a main port answer /healthz 200 and /readyz
// 503 "waiting for the database" (and a 503 DATABASE_UNAVAILABLE with Retry-After for anything else),
// the wait is logged once; once the server starts each is ready within 10 s and a checkout is paid end
// to end with one charge. Without DATABASE_URL, an embedded server that cannot start because something
// else holds its port is still a fast exit 1 that names the port.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/platform/db/embedded-postgres.ts';
import { createPool, ensureDatabase } from '../../src/platform/db/database.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { MIGRATION_FOLDERS } from '../../src/app/holdfast-modules.ts';
import { seedDemoCatalog } from '../../src/catalog/index.ts';
import { listSucceededCharges } from '../../src/psp/index.ts';
import { REPO_ROOT, spawnHoldfast, type HoldfastProcess } from '../helpers/child-processes.ts';
import { freePort } from '../helpers/free-port.ts';
import { productInStock, placeOrder, waitForSettlement } from '../helpers/shop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = path.join(REPO_ROOT, '.holdfast-test', `late-db-${process.pid}`);
let server: EmbeddedPostgresHandle | undefined;
const started: HoldfastProcess[] = [];
after(async () => {
  await Promise.all(started.map((p) => p.stop()));
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

async function get(url: string): Promise<{ status: number; json: any; retryAfter: string | null }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    let json: unknown;
    try { json = JSON.parse(text); } catch { json = text; }
    return { status: res.status, json, retryAfter: res.headers.get('retry-after') };
  } catch {
    return { status: 0, json: undefined, retryAfter: null };
  }
}

test('storefront, payments and psp processes started while PostgreSQL is down wait for it, then serve and pay a checkout', { timeout: 180_000 }, async () => {
  await rm(dataDir, { recursive: true, force: true });
  const pgPort = await freePort();
  server = await startEmbeddedPostgres({ dataDir, port: pgPort });
  const url = tcpUrl(server.connectionString, 'holdfast_late');
  await ensureDatabase(url);
  // createPool keeps an error listener on every client: pool.end() resolves before its last connection has
  // closed, and the server's fast shutdown below can still reach it (57P01) with nothing listening.
  const setup = createPool(url, 2, 'test-setup');
  await migrate(setup, MIGRATION_FOLDERS);
  await seedDemoCatalog(setup, 30);
  await setup.end();
  await server.stop();
  server = undefined;

  const [storefrontPort, paymentsPort, pspPort] = [await freePort(), await freePort(), await freePort()];
  const common = {
    DATABASE_URL: url, HOST: '127.0.0.1', HOLDFAST_ADMIN_TOKEN: `test-admin-${randomBytes(12).toString('hex')}`,
    HOLDFAST_SEED_ON_START: 'false', HOLDFAST_DATA_DIR: path.join(dataDir, 'roles'), LOG_LEVEL: 'info',
    HOLDFAST_PSP_PORT: String(pspPort), HOLDFAST_PSP_SECONDARY_ENABLED: 'false',
  };
  const roles = [
    { role: 'storefront', url: `http://127.0.0.1:${storefrontPort}`, proc: spawnHoldfast(['start', '--target', 'storefront'], { ...common, PORT: String(storefrontPort) }) },
    { role: 'payments', url: `http://127.0.0.1:${paymentsPort}`, proc: spawnHoldfast(['start', '--target', 'payments'], { ...common, PORT: String(paymentsPort) }) },
    // The psp role has no main port: nothing answers for it until its simulator ports open.
    { role: 'psp', url: `http://127.0.0.1:${pspPort}`, proc: spawnHoldfast(['start', '--target', 'psp'], common) },
  ];
  started.push(...roles.map((r) => r.proc));
  const withMainPort = roles.filter((r) => r.role !== 'psp');

  // Loading the program takes seconds on a busy machine: each process has met the stopped server once it
  // logs so; then the database stays away 5 s more.
  const waitingSince = Date.now();
  while (roles.some((r) => !r.proc.output().includes('connecting to the database at start-up failed') && r.proc.child.exitCode === null) && Date.now() - waitingSince < 60_000) await sleep(100);
  await sleep(5000);
  for (const r of roles) assert.equal(r.proc.child.exitCode, null, `${r.role} is alive after 5 s without a database\n${r.proc.output().slice(-3000)}`);
  for (const r of withMainPort) {
    assert.deepEqual(await get(`${r.url}/healthz`), { status: 200, json: { status: 'ok' }, retryAfter: null }, `${r.role} /healthz`);
    assert.deepEqual(await get(`${r.url}/readyz`), { status: 503, json: { status: 'starting', reason: 'waiting for the database' }, retryAfter: null }, `${r.role} /readyz`);
    const other = await get(`${r.url}/api/products`);
    assert.equal(other.status, 503, `${r.role}: a request that needs the database`);
    assert.equal(other.json.error.code, 'DATABASE_UNAVAILABLE');
    assert.equal(other.retryAfter, '5');
  }
  assert.equal((await get(`http://127.0.0.1:${pspPort}/readyz`)).status, 0, 'the simulator port is not open yet');
  for (const r of roles) {
    const waits = r.proc.output().split('\n').filter((l) => l.includes('connecting to the database at start-up failed'));
    assert.equal(waits.length, 1, `${r.role}: the wait is logged once (a reminder a minute):\n${r.proc.output().slice(-3000)}`);
  }

  server = await startEmbeddedPostgres({ dataDir, port: pgPort });
  const upAt = Date.now();
  const readyAfter = new Map<string, number>();
  while (readyAfter.size < roles.length && Date.now() - upAt < 30_000) {
    for (const r of roles) {
      if (!readyAfter.has(r.role) && (await get(`${r.url}/readyz`)).status === 200) readyAfter.set(r.role, (Date.now() - upAt) / 1000);
    }
    await sleep(100);
  }
  console.log(`ready after the database started (s): ${roles.map((r) => `${r.role}=${readyAfter.get(r.role) ?? 'never'}`).join(', ')}`);
  for (const r of roles) {
    const seconds = readyAfter.get(r.role);
    assert.ok(seconds !== undefined && seconds <= 10, `${r.role} ready within 10 s of the database (${seconds ?? 'never'})\n${r.proc.output().slice(-3000)}`);
    assert.match(r.proc.output(), /connecting to the database at start-up succeeded/);
  }

  const storefront = withMainPort[0]!.url;
  const product = await productInStock(storefront, 2);
  const order = await placeOrder(storefront, { productId: product.id, paymentMethod: 'pm_card_visa' });
  assert.equal(await waitForSettlement(storefront, order, 20_000), 'paid', 'the payments process paid the checkout');
  const ledger = createPool(url, 1, 'test-ledger');
  try {
    assert.equal((await listSucceededCharges(ledger, { orderId: order.orderId })).length, 1, 'one charge at the simulator');
  } finally {
    await ledger.end();
  }
  for (const r of roles) assert.equal(r.proc.child.exitCode, null, `${r.role} still running`);
});

test('without DATABASE_URL, an embedded PostgreSQL whose port another program holds is a fast exit 1 that names the port', { timeout: 60_000 }, async () => {
  const occupant = http.createServer((_req, res) => res.end('not PostgreSQL'));
  await new Promise<void>((resolve) => occupant.listen(0, '127.0.0.1', resolve));
  const port = (occupant.address() as { port: number }).port;
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-taken-port-'));
  try {
    const startedAt = Date.now();
    const proc = spawnHoldfast(['start', '--target', 'storefront'], { HOLDFAST_DATA_DIR: dir, HOLDFAST_PG_PORT: String(port), HOST: '127.0.0.1', PORT: '0' });
    started.push(proc);
    const exit = await Promise.race([proc.exited, sleep(30_000).then(() => 'still running' as const)]);
    const seconds = (Date.now() - startedAt) / 1000;
    assert.notEqual(exit, 'still running', `exits rather than waits:\n${proc.output()}`);
    assert.equal((exit as { code: number | null }).code, 1, proc.output());
    assert.match(proc.output(), new RegExp(`port ${port} \\(HOLDFAST_PG_PORT\\) does not answer as this data dir's embedded PostgreSQL`));
    assert.match(proc.output(), /set HOLDFAST_PG_PORT to a free one/);
    console.log(`embedded port held by another program: exit 1 after ${seconds.toFixed(1)} s`);
  } finally {
    occupant.close();
    await rm(dir, { recursive: true, force: true });
  }
});
