// The embedded PostgreSQL server: starts from scratch when Holdfast runs as root (the server itself runs as
// an unprivileged OS user), keeps its data across restarts, is reused rather than started twice, and
// takes a random password per data dir (the fixed holdfast/holdfast is refused, older data dirs move to it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../src/platform/db/embedded-postgres.ts';
import { freePort } from '../helpers/free-port.ts';
import { spawnHoldfast } from '../helpers/child-processes.ts';

const handles: EmbeddedPostgresHandle[] = [];
let dataDir: string | undefined;
after(async () => {
  for (const h of handles.reverse()) await h.stop().catch(() => {});
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});


async function sql<R extends pg.QueryResultRow>(connectionString: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

test('starts on a fresh data dir, keeps data across stop/start, and reuses a running server', async (t) => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'holdfast-embedded-pg-'));
  const port = await freePort();
  const log: string[] = [];
  const start = () => startEmbeddedPostgres({ dataDir: dataDir!, port, log: (line) => log.push(line) });

  // First start: initialises the cluster and runs it.
  const first = await start();
  handles.push(first);
  assert.equal(first.owned, true, 'this process started the server');
  assert.ok(existsSync(path.join(dataDir, 'pg', 'PG_VERSION')), 'the cluster lives under <dataDir>/pg');
  // Holdfast connects over the Unix socket in <dataDir>/run; TCP on 127.0.0.1 stays open for tools.
  const url = new URL(first.connectionString);
  assert.equal(url.searchParams.get('host'), path.join(dataDir, 'run'));
  assert.equal(url.port, String(port));
  assert.ok(existsSync(path.join(dataDir, 'run', `.s.PGSQL.${port}`)), 'the socket is in the data dir');
  // The data dir has its own random password (mode 0600); the fixed password of older versions is refused.
  const passwordFile = path.join(dataDir, 'pg-password');
  assert.equal((await stat(passwordFile)).mode & 0o777, 0o600, 'the password file is readable by its owner only');
  const password = (await readFile(passwordFile, 'utf8')).trim();
  assert.match(password, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(url.password, password);
  await sql(`postgres://holdfast:${password}@127.0.0.1:${port}/postgres`, 'SELECT 1');
  await assert.rejects(sql(`postgres://holdfast:holdfast@127.0.0.1:${port}/postgres`, 'SELECT 1'), { code: '28P01' },
    'the fixed password holdfast/holdfast is refused');
  // `holdfast db url` prints the TCP connection string for psql.
  const printed = await holdfastCli(['db', 'url'], { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_PG_PORT: String(port) });
  assert.equal(printed, `postgres://holdfast:${password}@127.0.0.1:${port}/holdfast\n`);
  await sql(printed.trim().replace(/\/holdfast$/, '/postgres'), 'SELECT 1');
  await sql(first.connectionString, `CREATE TABLE survivors (note text NOT NULL)`);
  await sql(first.connectionString, `INSERT INTO survivors VALUES ('written by the first run')`);

  const pid = Number((await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  if (process.getuid?.() === 0) {
    // PostgreSQL refuses to run as root; the server must be running as an unprivileged user.
    assert.notEqual(await uidOf(pid), 0, 'the PostgreSQL server does not run as root');
    assert.notEqual((await stat(path.join(dataDir, 'pg'))).uid, 0, 'its data files belong to that user');
  } else {
    t.diagnostic('not running as root: the root path is not exercised on this machine');
  }

  // Starting again while it runs (a second Holdfast process on the same data dir) reuses the server.
  const second = await start();
  assert.equal(second.owned, false, 'the running server is reused, not started twice');
  assert.equal(second.connectionString, first.connectionString);
  await second.stop(); // not the owner: must leave the server running
  assert.deepEqual(await sql(second.connectionString, 'SELECT note FROM survivors'), [{ note: 'written by the first run' }]);

  // Stopping the owner really stops the server.
  await first.stop();
  handles.pop();
  await assert.rejects(sql(first.connectionString, 'SELECT 1'), /ECONNREFUSED|connect/, 'nothing listens after stop');

  // Starting again on the same data dir reuses the data (no re-initialisation).
  const third = await start();
  handles.push(third);
  assert.equal(third.owned, true);
  assert.deepEqual(await sql(third.connectionString, 'SELECT note FROM survivors'), [{ note: 'written by the first run' }],
    'a table created in the first run is still there after stop + start');
  await third.stop();
  handles.pop();
  const unexpected = log.filter((l) => /FATAL|PANIC/.test(l) && !/password authentication failed/.test(l)); // the fixed password is refused on purpose
  if (unexpected.length) t.diagnostic(unexpected.join('\n'));
});

test('a data dir made with the fixed password of older versions moves to its own password on start', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-legacy-pg-'));
  handles.push({ connectionString: '', owned: false, stop: () => rm(dir, { recursive: true, force: true }) });
  const port = await freePort();
  // Make an old data dir: a cluster whose role has the fixed password, and no password file.
  const made = await startEmbeddedPostgres({ dataDir: dir, port });
  handles.push(made);
  await sql(made.connectionString, `CREATE TABLE kept (note text)`);
  await sql(made.connectionString, `ALTER ROLE holdfast PASSWORD 'holdfast'`);
  await made.stop();
  handles.pop();
  await rm(path.join(dir, 'pg-password'));
  const legacyUrl = `postgres://holdfast:holdfast@127.0.0.1:${port}/postgres`;

  const upgraded = await startEmbeddedPostgres({ dataDir: dir, port });
  handles.push(upgraded);
  const password = (await readFile(path.join(dir, 'pg-password'), 'utf8')).trim();
  assert.notEqual(password, 'holdfast');
  assert.deepEqual(await sql(upgraded.connectionString, `SELECT count(*)::int AS n FROM kept`), [{ n: 0 }], 'same cluster, same data');
  await sql(`postgres://holdfast:${password}@127.0.0.1:${port}/postgres`, 'SELECT 1');
  await assert.rejects(sql(legacyUrl, 'SELECT 1'), { code: '28P01' }, 'the fixed password no longer works');

  // A second process reusing the running server reads the same password.
  const reused = await startEmbeddedPostgres({ dataDir: dir, port });
  assert.equal(reused.owned, false);
  assert.equal(reused.connectionString, upgraded.connectionString);
  await upgraded.stop();
  handles.pop();
});

/** Runs `holdfast <args>` to its end; resolves with its stdout. */
async function holdfastCli(args: string[], env: Record<string, string>): Promise<string> {
  const proc = spawnHoldfast(args, env);
  const { code } = await proc.exited;
  if (code !== 0) throw new Error(`holdfast ${args.join(' ')} exited with ${code}: ${proc.output()}`);
  return proc.stdout();
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** `holdfast start` with no DATABASE_URL, as `npm start` runs it on a fresh machine; SIGTERM once ready. */
async function runShopOnEmbeddedPostgres(dir: string, pgPort: number) {
  const port = await freePort();
  const proc = spawnHoldfast(['start', '--target', 'storefront'], {
    PORT: String(port), HOST: '127.0.0.1', HOLDFAST_DATA_DIR: dir, HOLDFAST_PG_PORT: String(pgPort), HOLDFAST_SEED_PRODUCTS: '30',
  });
  try {
    for (;;) {
      assert.equal(proc.child.exitCode, null, `holdfast exited before it was ready:\n${proc.output()}`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
      if (ready === 200) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const products = await (await fetch(`http://127.0.0.1:${port}/api/products?limit=100`)).json() as { items: unknown[] };
    assert.equal(await canConnect(pgPort), true, 'the embedded server is up while the shop runs');
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    return { products: products.items.length, exit, out: proc.output() };
  } finally {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
  }
}

test('`holdfast start` without DATABASE_URL runs on embedded PostgreSQL and stops it cleanly on SIGTERM', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-embedded-shop-'));
  handles.push({ connectionString: '', owned: false, stop: () => rm(dir, { recursive: true, force: true }) });
  const pgPort = await freePort();

  const run = await runShopOnEmbeddedPostgres(dir, pgPort);
  assert.deepEqual(run.exit, { code: 0, signal: null }, run.out);
  assert.equal(run.products, 30, 'the demo catalog was seeded on first start');
  assert.match(run.out, /HOLDFAST_ADMIN_TOKEN=hf_admin_/, 'the generated admin token is printed once');
  assert.equal(await canConnect(pgPort), false, 'the process stopped the PostgreSQL server it started');
  assert.ok(existsSync(path.join(dir, 'pg', 'PG_VERSION')), 'the data stays for the next start');
});
