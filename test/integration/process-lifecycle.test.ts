// The real program as operators run it: `node src/cli.ts ...` child processes against a real database.
// Targets, two roles on one database, graceful SIGTERM drain under load, config errors before start-up,
// and concurrent migrations.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Agent, request as undiciRequest } from 'undici';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { SHIPPING } from '../helpers/test-app.ts';
import { listMigrations } from '../../src/platform/db/migrate.ts';
import { MIGRATION_FOLDERS } from '../../src/app/holdfast-modules.ts';
import { adminTokenDigest } from '../../src/platform/http/admin-auth.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN_TOKEN = `lifecycle-admin-${randomBytes(12).toString('hex')}`;

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c().catch(() => {});
});


async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-lifecycle-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The URL of a database that does not exist yet on the test server (dropped after the file, if created). */
function absentDatabase(prefix: string): { name: string; url: string; adminUrl: string } {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const adminUrl = process.env.HOLDFAST_TEST_PG_URL!;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { name, url: url.toString(), adminUrl };
}

async function testDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  cleanups.push(() => db.drop());
  return db;
}

interface Holdfast {
  child: ChildProcess;
  port: number;
  base: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node src/cli.ts <args>` with only the environment given (plus PATH/HOME). */
function holdfast(args: string[], env: Record<string, string>): Holdfast {
  const child = spawn(process.execPath, ['src/cli.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, port: 0, base: '', stdout: () => out, stderr: () => err, exited };
}

/**
 * Starts a role process on ports the OS picks (port 0), so test files running side by side never race
 * for one; the main port is read from the "Holdfast is running" line.
 */
async function startServer(target: string, db: TestDatabase, extraEnv: Record<string, string> = {}): Promise<Holdfast> {
  const proc = holdfast(['start', '--target', target], {
    DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', HOLDFAST_ADMIN_TOKEN: ADMIN_TOKEN,
    HOLDFAST_DATA_DIR: await tempDir(), HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_PSP_PORT: '0',
    HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    ...extraEnv,
  });
  const running = new RegExp(`Holdfast is running \\(${target}\\): http://[^:\\s]+:(\\d+)`);
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (proc.child.exitCode !== null) {
      assert.fail(`holdfast --target ${target} exited with ${proc.child.exitCode} before it was ready:\n${proc.stdout()}\n${proc.stderr()}`);
    }
    const port = Number(running.exec(proc.stdout())?.[1]);
    if (port) {
      proc.port = port;
      proc.base = `http://127.0.0.1:${port}`;
      const probe = await request(proc.port, 'GET', '/readyz');
      if (probe.kind === 'response' && probe.status === 200) break;
    }
    if (Date.now() > deadline) assert.fail(`holdfast --target ${target} not ready in time:\n${proc.stdout()}\n${proc.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return proc;
}

type Outcome =
  | { kind: 'response'; status: number; json: any; text: string; complete: boolean }
  | { kind: 'error'; code: string; message: string; sent: boolean };

/** One request on its own connection (no keep-alive), so a refusal and a reset are told apart. */
function request(port: number, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let sent = false;
    const req = http.request({
      host: '127.0.0.1', port, method, path: urlPath, agent: false,
      headers: { ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', code: err.code ?? 'ERR', message: err.message, sent: true }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ kind: 'response', status: res.statusCode ?? 0, json, text, complete: res.complete });
      });
    });
    req.on('finish', () => { sent = true; });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ kind: 'error', code: err.code ?? 'ERR', message: err.message, sent }));
    req.setTimeout(60_000, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.end(payload);
  });
}

async function ok(port: number, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
  const r = await request(port, method, urlPath, body, headers);
  assert.equal(r.kind, 'response', JSON.stringify(r));
  assert.ok(r.kind === 'response' && r.status < 300, `${method} ${urlPath}: ${JSON.stringify(r)}`);
  return (r as { json: any }).json;
}

async function stopWithSigterm(proc: Holdfast) {
  proc.child.kill('SIGTERM');
  const result = await proc.exited;
  assert.deepEqual(result, { code: 0, signal: null }, `clean exit after SIGTERM:\n${proc.stderr()}`);
}

test('start --list-targets prints every target with its modules, without starting anything', async () => {
  const dataDir = path.join(await tempDir(), 'never-created');
  const proc = holdfast(['start', '--list-targets'], { HOLDFAST_DATA_DIR: dataDir });
  assert.deepEqual(await proc.exited, { code: 0, signal: null }, proc.stderr());
  const lines = proc.stdout().trim().split('\n');
  const targets = new Map(lines.map((l) => {
    const [name, ...chain] = l.trim().split(/\s+/);
    return [name, chain.join(' ')];
  }));
  for (const t of ['all', 'storefront', 'payments', 'psp', 'control']) assert.ok(targets.has(t), `${t} listed:\n${proc.stdout()}`);
  assert.match(targets.get('storefront')!, /^telemetry -> database -> migrations -> .*storefront/);
  for (const role of ['storefront', 'payments', 'psp', 'control']) assert.match(targets.get('all')!, new RegExp(`\\b${role}\\b`));
  assert.equal(existsSync(dataDir), false, 'listing targets starts no database');
});

test('--target storefront and --target all run side by side on one database and share its state', async () => {
  const db = await testDatabase();
  // Started together: both run migrations and queue set-up against the same database at the same moment.
  const [storefront, all] = await Promise.all([startServer('storefront', db), startServer('all', db)]);
  assert.notEqual(storefront.port, all.port);

  const slug = `shared-${randomUUID().slice(0, 8)}`;
  const product = await ok(all.port, 'POST', '/api/admin/products', {
    slug, sku: slug.toUpperCase(), title: 'Shared between roles', price: { amount: 2500, currency: 'USD' }, stock: 3,
  }, { authorization: `Bearer ${ADMIN_TOKEN}` });
  const listed = await ok(storefront.port, 'GET', `/api/products/${slug}`);
  assert.equal(listed.id, product.id, 'a product created through one process is served by the other');
  const cart = await ok(storefront.port, 'POST', '/api/carts', {});
  await ok(all.port, 'POST', `/api/carts/${cart.id}/items`, { productId: product.id, quantity: 1 });
  const seenByStorefront = await ok(storefront.port, 'GET', `/api/carts/${cart.id}`);
  assert.deepEqual(seenByStorefront.lines.map((l: { productId: string }) => l.productId), [product.id],
    'a cart written through one process is read through the other');

  const placed = await ok(storefront.port, 'POST', '/api/checkout',
    { cartId: cart.id, email: 'two@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    { 'idempotency-key': randomUUID() });
  const again = await request(all.port, 'POST', '/api/checkout',
    { cartId: cart.id, email: 'two@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    { 'idempotency-key': randomUUID() });
  assert.ok(again.kind === 'response' && again.status === 409 && again.json?.error?.code === 'CART_CHECKED_OUT',
    `the other process sees the cart as checked out: ${JSON.stringify(again)}`);
  const order = await ok(all.port, 'GET', `/api/orders/${placed.orderId}`, undefined, { authorization: `Bearer ${placed.accessToken}` });
  assert.equal(order.id, placed.orderId);

  for (const proc of [storefront, all]) {
    const metrics = await request(proc.port, 'GET', '/metrics');
    assert.ok(metrics.kind === 'response' && metrics.status === 200);
  }
  const migrations = await db.pool.query('SELECT id, count(*)::int AS n FROM schema_migrations GROUP BY id');
  assert.ok(migrations.rows.every((r) => r.n === 1));
  await Promise.all([stopWithSigterm(storefront), stopWithSigterm(all)]);
});

test('SIGTERM during a burst: every accepted request gets a complete response, then the process exits 0', async (t) => {
  const db = await testDatabase();
  // Default shutdown grace period: a drain that hangs (e.g. on an idle keep-alive socket) exits non-zero.
  const proc = await startServer('storefront', db, { HOLDFAST_DB_POOL_MAX: '80' });
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const slug = `drain-${randomUUID().slice(0, 8)}`;
  const product = await ok(proc.port, 'POST', '/api/admin/products', {
    slug, sku: slug.toUpperCase(), title: 'Drain test', price: { amount: 1500, currency: 'USD' }, stock: 1000,
  }, admin);
  const other = (await ok(proc.port, 'GET', '/api/products?limit=1')).items[0];

  const CHECKOUTS = 60;
  const CART_WRITES = 40;
  const checkoutCarts: string[] = [];
  for (let i = 0; i < CHECKOUTS; i += 20) {
    checkoutCarts.push(...await Promise.all(Array.from({ length: Math.min(20, CHECKOUTS - i) }, async () => {
      const cart = await ok(proc.port, 'POST', '/api/carts', {});
      await ok(proc.port, 'POST', `/api/carts/${cart.id}/items`, { productId: product.id, quantity: 1 });
      return cart.id as string;
    })));
  }
  const cartWriteCarts = await Promise.all(Array.from({ length: CART_WRITES }, async () => (await ok(proc.port, 'POST', '/api/carts', {})).id as string));

  // Hold the product's stock row: every checkout of it then waits inside its transaction, so the burst is
  // still in flight, for certain, when SIGTERM arrives.
  const locker = await db.pool.connect();
  let lockHeld = true;
  cleanups.push(async () => { if (lockHeld) { await locker.query('ROLLBACK').catch(() => {}); } locker.release(); });
  await locker.query('BEGIN');
  await locker.query('SELECT 1 FROM stock_levels WHERE product_id = $1 FOR UPDATE', [product.id]);

  // Half the checkouts come over keep-alive connections, as from browsers and load balancers.
  const keepAlive = new Agent({ connections: 64, keepAliveTimeout: 60_000 });
  cleanups.push(() => keepAlive.close());
  const viaKeepAlive = async (body: unknown, key: string): Promise<Outcome & { connection?: string }> => {
    try {
      const res = await undiciRequest(`${proc.base}/api/checkout`, {
        method: 'POST', dispatcher: keepAlive, body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
      });
      const text = await res.body.text();
      let json: any;
      try { json = JSON.parse(text); } catch { json = undefined; }
      return { kind: 'response', status: res.statusCode, json, text, complete: true, connection: String(res.headers.connection) };
    } catch (err) {
      return { kind: 'error', code: (err as { code?: string }).code ?? 'ERR', message: (err as Error).message, sent: true };
    }
  };
  const checkouts = checkoutCarts.map((cartId, i) => {
    const body = { cartId, email: `drain${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' };
    return i % 2 ? viaKeepAlive(body, randomUUID()) : request(proc.port, 'POST', '/api/checkout', body, { 'idempotency-key': randomUUID() });
  });
  const cartWrites = cartWriteCarts.map((cartId) => request(proc.port, 'POST', `/api/carts/${cartId}/items`, { productId: other.id, quantity: 2 }));

  const waitingOnLock = async () => (await db.pool.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n as number;
  const deadline = Date.now() + 30_000;
  while (await waitingOnLock() < CHECKOUTS) {
    assert.ok(Date.now() < deadline, `only ${await waitingOnLock()} checkouts reached the database`);
    await new Promise((r) => setTimeout(r, 50));
  }

  proc.child.kill('SIGTERM');

  // Readiness while draining: once it stops saying ready it never says ready again; eventually the listener
  // closes and new connections are refused (never reset or left hanging).
  const probes: string[] = [];
  const late: Outcome[] = [];
  for (let i = 0; i < 200; i++) {
    const probe = await request(proc.port, 'GET', '/readyz');
    probes.push(probe.kind === 'response' ? String(probe.status) : probe.code);
    late.push(await request(proc.port, 'POST', '/api/carts', {}));
    if (probe.kind === 'error') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  t.diagnostic(`/readyz after SIGTERM: ${probes.join(' ')}`);
  // A connection opened after SIGTERM is refused; one that races the listener's close (still in the
  // kernel's accept queue, never seen by the server) is reset. Neither was accepted by the server.
  const refused = new Set(['ECONNREFUSED', 'ECONNRESET']);
  const firstNotReady = probes.findIndex((p) => p !== '200');
  assert.ok(firstNotReady >= 0, 'readiness stops reporting ready after SIGTERM');
  assert.ok(probes.slice(firstNotReady).every((p) => p === '503' || refused.has(p)), `readiness during drain: ${probes.join(' ')}`);
  assert.ok(refused.has(probes.at(-1)!), 'the listener closes while requests are still in flight');
  for (const r of late) {
    if (r.kind === 'error') assert.ok(refused.has(r.code), `a late request is refused, not left hanging: ${JSON.stringify(r)}`);
    else assert.ok(r.status === 201 || r.status === 503, `a late request gets a real answer: ${JSON.stringify(r)}`);
  }
  assert.equal(proc.child.exitCode, null, 'the process waits for its in-flight requests');

  await locker.query('ROLLBACK');
  lockHeld = false;

  const [checkoutResults, cartResults] = await Promise.all([Promise.all(checkouts), Promise.all(cartWrites)]);
  const exit = await proc.exited;
  const summary = (rs: Outcome[]) => JSON.stringify(rs.reduce<Record<string, number>>((acc, r) => {
    const k = r.kind === 'response' ? String(r.status) : r.code;
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {}));
  t.diagnostic(`checkouts: ${summary(checkoutResults)}; cart writes: ${summary(cartResults)}; exit: ${JSON.stringify(exit)}`);
  console.log(`[drain] checkouts ${summary(checkoutResults)}; cart writes ${summary(cartResults)}; readyz after SIGTERM: ${probes.join(' ')}; exit ${JSON.stringify(exit)}`);

  for (const r of [...checkoutResults, ...cartResults]) {
    assert.equal(r.kind, 'response', `an in-flight request was cut off: ${JSON.stringify(r)}`);
    if (r.kind !== 'response') continue;
    assert.ok(r.complete, 'the whole response arrived');
    assert.ok(r.json !== undefined, `a valid JSON body: ${r.text}`);
    assert.ok(r.status < 500, `no 5xx: ${r.status} ${r.text}`);
  }
  assert.ok(checkoutResults.every((r) => r.kind === 'response' && r.status === 202), `every checkout accepted: ${summary(checkoutResults)}`);
  assert.ok(cartResults.every((r) => r.kind === 'response' && r.status === 200), `every cart write succeeded: ${summary(cartResults)}`);
  const keptAlive = checkoutResults.filter((_r, i) => i % 2) as { connection?: string }[];
  assert.ok(keptAlive.every((r) => r.connection === 'close'), 'responses sent while draining tell keep-alive clients to close');
  assert.deepEqual(exit, { code: 0, signal: null }, `exit code 0 after draining:\n${proc.stderr()}`);

  const orderIds = checkoutResults.map((r) => (r as { json: { orderId: string } }).json.orderId);
  const stored = await db.pool.query('SELECT id, idempotency_key FROM orders WHERE id = ANY($1::uuid[])', [orderIds]);
  assert.equal(stored.rowCount, CHECKOUTS, 'every accepted checkout\'s order is in the database');
  const jobs = await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'payment-charge' AND data->>'orderId' = ANY($1::text[])`, [orderIds]);
  assert.equal(jobs.rows[0].n, CHECKOUTS, 'and its payment job');
  const stock = await db.pool.query('SELECT on_hand, reserved FROM stock_levels WHERE product_id = $1', [product.id]);
  assert.deepEqual(stock.rows[0], { on_hand: 1000, reserved: CHECKOUTS });
});

test('invalid configuration stops start-up before anything starts, listing every problem', async () => {
  const dataDir = path.join(await tempDir(), 'data');
  const proc = holdfast(['start', '--target', 'storefront'], {
    PORT: 'abc', HOLDFAST_DB_POOL_MAX: '0', LOG_LEVEL: 'loud', HOLDFAST_SEED_ON_START: 'perhaps', HOLDFAST_DATA_DIR: dataDir,
  });
  const exit = await proc.exited;
  assert.notEqual(exit.code, 0);
  assert.equal(exit.signal, null);
  const stderr = proc.stderr();
  for (const name of ['PORT', 'HOLDFAST_DB_POOL_MAX', 'LOG_LEVEL', 'HOLDFAST_SEED_ON_START']) {
    assert.ok(stderr.includes(name), `${name} is reported:\n${stderr}`);
  }
  assert.match(stderr, /"abc"/);
  assert.doesNotMatch(proc.stdout(), /Holdfast is running/);
  assert.equal(existsSync(dataDir), false, 'no embedded database was created or started');

  const unknownTarget = holdfast(['start', '--target', 'storefrnt'], { HOLDFAST_DATA_DIR: dataDir });
  assert.notEqual((await unknownTarget.exited).code, 0);
  assert.match(unknownTarget.stderr(), /unknown target "storefrnt"/);
  assert.equal(existsSync(dataDir), false);
});

test('a malformed SLO file stops a control process before anything starts, listing every problem by its field', async () => {
  // A database that does not exist yet: had anything started, the process would have created it.
  const { name, url, adminUrl } = absentDatabase('unstarted');
  const slos = path.join(await tempDir(), 'slos.json');
  await writeFile(slos, JSON.stringify([
    { journey: 'checkout', source: { kind: 'http', routePrefixes: ['/api/checkout'] }, availability: 'high', latency: { thresholdSeconds: 1, objective: 1.5 } },
    { journey: 'payment', source: { kind: 'jobs' }, availability: 0.99, latency: { thresholdSeconds: 1, objective: 0.95 } },
  ]));
  const proc = holdfast(['start', '--target', 'control'], {
    DATABASE_URL: url, HOLDFAST_DATA_DIR: await tempDir(), HOLDFAST_SLO_FILE: slos, PORT: '0', HOST: '127.0.0.1',
  });
  const exit = await Promise.race([proc.exited, sleep(40_000, undefined, { ref: false })]);
  assert.ok(exit, `still running 40 s later:\n${proc.stdout()}${proc.stderr()}`);
  assert.deepEqual(exit, { code: 2, signal: null }, proc.stderr());
  const stderr = proc.stderr();
  assert.match(stderr, /^Invalid configuration:$/m);
  assert.match(stderr, /\[0\]\.availability \(in .*slos\.json, HOLDFAST_SLO_FILE\): must be number, got "high"/);
  assert.match(stderr, /\[0\]\.latency\.objective \(in .*slos\.json, HOLDFAST_SLO_FILE\): must be < 1, got 1\.5/);
  assert.match(stderr, /\[1\]\.source\.kind \(in .*slos\.json, HOLDFAST_SLO_FILE\): must be one of "http", "payment-jobs", got "jobs"/);
  assert.doesNotMatch(stderr, /TypeError|\n\s+at /, 'a clear error, no stack');
  assert.doesNotMatch(proc.stdout(), /Holdfast is running/);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const db = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    assert.equal(db.rowCount, 0, 'the database was never created: nothing started');
  } finally {
    await admin.end();
  }
});

test('migrations run twice and from two processes at once: both succeed, each migration applied once', async () => {
  // A database that does not exist yet: both processes race to create it, then to migrate it.
  const { url } = absentDatabase('fresh');
  const dataDir = await tempDir();
  // No admin token configured: each process would generate one; exactly one of them may win.
  const env = { DATABASE_URL: url, HOLDFAST_DATA_DIR: dataDir };
  const [a, b] = [holdfast(['db', 'migrate'], env), holdfast(['db', 'migrate'], env)];
  const [ea, eb] = await Promise.all([a.exited, b.exited]);
  assert.deepEqual(ea, { code: 0, signal: null }, a.stderr());
  assert.deepEqual(eb, { code: 0, signal: null }, b.stderr());
  for (const p of [a, b]) assert.match(p.stdout(), /migrations are up to date/);

  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const expected = (await listMigrations(MIGRATION_FOLDERS)).map((m) => m.id);
    const applied = await pool.query<{ id: string; applied_at: Date }>('SELECT id, applied_at FROM schema_migrations ORDER BY id');
    assert.deepEqual(applied.rows.map((r) => r.id), expected, 'every migration recorded exactly once');
    const tables = await pool.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('products', 'orders', 'stock_levels')`);
    assert.equal(tables.rows[0].n, 3);

    const printed = [a, b].filter((p) => p.stdout().includes('HOLDFAST_ADMIN_TOKEN='));
    assert.equal(printed.length, 1, 'one admin token generated, by one of the two processes');
    const token = (await readFile(path.join(dataDir, 'admin-token'), 'utf8')).trim();
    const stored = await pool.query(`SELECT value FROM settings WHERE key = 'admin_token_sha256'`);
    assert.deepEqual(stored.rows, [{ value: adminTokenDigest(token) }]);

    const again = holdfast(['db', 'migrate'], env);
    assert.deepEqual(await again.exited, { code: 0, signal: null }, again.stderr());
    const reapplied = await pool.query<{ id: string; applied_at: Date }>('SELECT id, applied_at FROM schema_migrations ORDER BY id');
    assert.deepEqual(reapplied.rows, applied.rows, 'a second run changes nothing');
    assert.doesNotMatch(again.stdout(), /HOLDFAST_ADMIN_TOKEN=/, 'the token is not regenerated');
  } finally {
    await pool.end();
  }
});
