// pgbench as a baseline: the TPC-B-like transaction rate of the very PostgreSQL server Holdfast uses,
// measured in the same run. The checkout suite (issue 3, acceptance 5) reports orders accepted per
// second as a ratio to this figure. pgbench's tables live in a database of their own on that server, so
// they never touch Holdfast's data.
//
//   await initPgbench(conn, { scale: 10 });
//   const r = await runPgbench(conn, { clients: 10, threads: 2, durationSec: 10 });
//   r.tps  // transactions per second, without initial connection time
//   await dropPgbenchDatabase(conn);
//
// pgbench comes from Debian's `postgresql-client` package (any version ≥ 13 talks to PostgreSQL 18).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { assertLoopback, runToCompletion } from './lib/processes.ts';

export interface PgConnection { host: string; port: number; user: string; password: string }

export const PGBENCH_DATABASE = 'holdfast_pgbench';

export interface PgbenchResult {
  tool: string;
  database: string;
  scale: number;
  clients: number;
  threads: number;
  durationSec: number;
  protocol: 'simple' | 'extended' | 'prepared';
  /** Transactions per second, excluding the time to open connections (pgbench's own headline figure). */
  tps: number;
  transactions: number;
  failedTransactions: number;
  latencyAvgMs: number;
  latencyStddevMs: number | undefined;
}

/** The pgbench binary: on PATH, else in Debian's versioned PostgreSQL folders. */
export function findPgbench(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'pgbench'))) return path.join(dir, 'pgbench');
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const candidate = path.join(debian, v, 'bin', 'pgbench');
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error('pgbench not found: install Debian\'s postgresql-client (apt-get install postgresql-client)');
}

function pgbenchEnv(conn: PgConnection): NodeJS.ProcessEnv {
  // The password goes through the environment, never the command line (visible in ps).
  return { ...process.env, PGPASSWORD: conn.password, PGHOST: conn.host, PGPORT: String(conn.port), PGUSER: conn.user, PGCONNECT_TIMEOUT: '10' };
}

function checkLoopback(conn: PgConnection): void {
  assertLoopback(`postgres://${conn.host.includes(':') ? `[${conn.host}]` : conn.host}:${conn.port}`);
}

async function admin<T>(conn: PgConnection, f: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, database: 'postgres' });
  await client.connect();
  try { return await f(client); } finally { await client.end(); }
}

/** (Re)creates the pgbench database and fills it with `pgbench -i` at the given scale (1 = 100,000 accounts). */
export async function initPgbench(conn: PgConnection, opts: { database?: string; scale?: number } = {}): Promise<void> {
  checkLoopback(conn);
  const database = opts.database ?? PGBENCH_DATABASE;
  const scale = opts.scale ?? 10;
  await admin(conn, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`);
  });
  const { code, output } = await runToCompletion('pgbench -i', findPgbench(), ['-i', '-q', '-s', String(scale), database], { env: pgbenchEnv(conn) });
  if (code !== 0) throw new Error(`pgbench -i failed (exit ${code}):\n${output}`);
}

/** Parses pgbench's summary (PostgreSQL 13 to 18 print the same lines). */
export function parsePgbenchOutput(text: string): Pick<PgbenchResult, 'tps' | 'transactions' | 'failedTransactions' | 'latencyAvgMs' | 'latencyStddevMs'> {
  const num = (re: RegExp) => { const m = re.exec(text); return m ? Number(m[1]) : undefined; };
  const tps = num(/^tps = ([\d.]+) \(without initial connection time\)/m) ?? num(/^tps = ([\d.]+)/m);
  const transactions = num(/^number of transactions actually processed: (\d+)/m);
  const latency = num(/^latency average = ([\d.]+) ms/m);
  if (tps === undefined || transactions === undefined || latency === undefined) throw new Error(`could not parse pgbench output:\n${text}`);
  return {
    tps, transactions, latencyAvgMs: latency,
    failedTransactions: num(/^number of failed transactions: (\d+)/m) ?? 0,
    latencyStddevMs: num(/^latency stddev = ([\d.]+) ms/m),
  };
}

/** Runs the built-in TPC-B-like script: `pgbench -c N -j threads -T seconds`. */
export async function runPgbench(conn: PgConnection, opts: {
  database?: string; clients?: number; threads?: number; durationSec?: number; protocol?: PgbenchResult['protocol']; scale?: number;
} = {}): Promise<PgbenchResult> {
  checkLoopback(conn);
  const database = opts.database ?? PGBENCH_DATABASE;
  const clients = opts.clients ?? 10;
  const threads = Math.min(opts.threads ?? 2, clients);
  const durationSec = Math.max(1, Math.round(opts.durationSec ?? 10));
  const protocol = opts.protocol ?? 'simple';
  const bin = findPgbench();
  const { code, stdout, output } = await runToCompletion('pgbench', bin, [
    '-c', String(clients), '-j', String(threads), '-T', String(durationSec), '-M', protocol, database,
  ], { env: pgbenchEnv(conn) });
  if (code !== 0) throw new Error(`pgbench failed (exit ${code}):\n${output}`);
  const parsed = parsePgbenchOutput(stdout);
  const scale = Number(/^scaling factor: (\d+)/m.exec(stdout)?.[1] ?? opts.scale ?? Number.NaN);
  const versionRun = await runToCompletion('pgbench --version', bin, ['--version']);
  return { tool: versionRun.stdout.trim(), database, scale, clients, threads, durationSec, protocol, ...parsed };
}

export async function dropPgbenchDatabase(conn: PgConnection, database = PGBENCH_DATABASE): Promise<void> {
  checkLoopback(conn);
  await admin(conn, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)} WITH (FORCE)`));
}
