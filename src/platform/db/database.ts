// The PostgreSQL access layer every context uses: one pool per role (sized by config), named queries
// (the name labels metrics and traces and makes the statement a prepared one), and transactions. Every
// query of a context goes through query(): so it is timed, traced and can be slowed by the db.slow fault.
// The statements this file runs itself (BEGIN/COMMIT, the readiness probe) are the mechanism's own.
import pg from 'pg';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { DatabaseErrors, isDatabaseUnavailable } from './database-errors.ts';
import { dbPoolWaitTimeouts, dbQueryDuration, metricsSettings } from '../observability/metrics.ts';
import { traceQuery } from '../observability/tracing.ts';

export type Queryable = pg.Pool | pg.PoolClient;

export interface NamedQuery {
  /** Stable name: shows up in metrics and traces as the query's identity; its first part names the context. */
  name: string;
  text: string;
  /**
   * A statement whose text varies from call to call (a search predicate built from the request) cannot be
   * prepared under one name: it runs unprepared, still timed and traced under the name.
   */
  unprepared?: boolean;
}

// BIGINT (int8) columns hold money in minor units and counts; they always fit a JS number here.
pg.types.setTypeParser(20, (v) => Number(v));

/** How long a new connection to the database may take before it counts as a failure. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface PoolOptions {
  /**
   * Longest a caller waits for a connection when every connection is in use (0: up to the connect
   * timeout). Past it the caller gets DATABASE_BUSY at once instead of joining a queue that only grows.
   */
  waitTimeoutMs?: number;
  /** The pool's name in metrics (holdfast_db_pool_* {pool}). */
  metricsName?: string;
}

export function createPool(connectionString: string, max: number, applicationName: string, opts: PoolOptions = {}): pg.Pool {
  const settings = {
    connectionString,
    max,
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  };
  const pool = opts.waitTimeoutMs ? new BoundedWaitPool(settings, opts.waitTimeoutMs, opts.metricsName ?? applicationName) : new pg.Pool(settings);
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may one that is checked out (a transaction's): pg emits 'error' on a client whose connection is
  // lost (a database restart) even while a query of its own already fails with that error, and the pool
  // listens only while the client is idle. The query's own rejection reaches its caller; on release the
  // pool discards the broken client.
  pool.on('connect', (client) => { client.on('error', () => {}); });
  return pool;
}

/** Every connection of the pool is in use and no other may be opened: a caller would queue. */
export function poolSaturated(pool: pg.Pool): boolean {
  return pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10);
}

type ConnectCallback = (err: Error | undefined, client: pg.PoolClient | undefined, release: (err?: Error | boolean) => void) => void;

/**
 * A pool whose callers give up waiting for a connection when every connection is in use and none has
 * come back for waitTimeoutMs: the pool is stuck (its connections are held by slow work), and a queue
 * that does not move only grows; the caller gets DATABASE_BUSY at once instead of joining the pile.
 * While connections keep coming back the queue is moving and its callers keep their places, up to
 * pg-pool's own bound for the wait (connectionTimeoutMillis, 10 s, as before the bound existed), past
 * which they get DATABASE_BUSY too: a burst the shop drains (200 checkouts for one product, serialised on
 * its stock row, test/integration/oversell.test.ts) is served, not answered 503. pg-pool's
 * connectionTimeoutMillis alone also bounds opening a new connection (10 s, for networks that drop
 * packets), which it must keep. A caller that gives up leaves its place in pg-pool's queue: when a
 * connection reaches it, it is handed straight back (no query runs on it).
 */
class BoundedWaitPool extends pg.Pool {
  readonly #waitTimeoutMs: number;
  readonly #name: string;
  /** When a connection last came back to the pool (performance.now()). */
  #lastRelease = 0;
  constructor(settings: pg.PoolConfig, waitTimeoutMs: number, name: string) {
    super(settings);
    this.#waitTimeoutMs = waitTimeoutMs;
    this.#name = name;
    this.on('release', () => { this.#lastRelease = performance.now(); });
  }

  #busy(): Error {
    if (metricsSettings.dbEnabled) dbPoolWaitTimeouts.inc({ pool: this.#name });
    return DatabaseErrors.DATABASE_BUSY();
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    // A connection is free or can be opened: no wait to bound.
    if (!poolSaturated(this) || this.ending) {
      return callback ? super.connect(callback) : super.connect();
    }
    const waited = new Promise<pg.PoolClient>((resolve, reject) => {
      let gaveUp = false;
      const giveUpUnlessMoving = () => {
        const sinceRelease = performance.now() - this.#lastRelease;
        if (sinceRelease < this.#waitTimeoutMs) { timer = setTimeout(giveUpUnlessMoving, this.#waitTimeoutMs - sinceRelease); return; }
        gaveUp = true;
        reject(this.#busy());
      };
      let timer = setTimeout(giveUpUnlessMoving, this.#waitTimeoutMs);
      super.connect((err, client, release) => {
        clearTimeout(timer);
        if (gaveUp) { if (!err) release(); return; }
        // pg-pool's own bound on the wait (its connect timeout): the queue moved, too slowly. Load, not an outage.
        if (err) reject(err.message === PG_POOL_WAIT_TIMEOUT ? this.#busy() : err);
        else resolve(client!);
      });
    });
    if (!callback) return waited;
    waited.then((client) => callback(undefined, client, (e) => client.release(e)), (err: Error) => callback(err, undefined, () => {}));
  }
}

/** pg-pool's error for a caller that waited connectionTimeoutMillis (node_modules/pg-pool/index.js). */
const PG_POOL_WAIT_TIMEOUT = 'timeout exceeded when trying to connect';

/**
 * Says how long to hold a named query's connection before it runs (fault injection: db.slow), or
 * undefined. The wait is a pg_sleep on the query's own connection, inside its timing, so a transaction
 * holds its locks longer too.
 */
export type QueryDelay = (q: NamedQuery) => number | undefined;
let delayOf: QueryDelay | undefined;

export function setQueryDelay(fn: QueryDelay | undefined): void {
  delayOf = fn;
}

function beforeQuery(db: Queryable, q: NamedQuery): Promise<unknown> | undefined {
  const ms = delayOf?.(q);
  return ms ? db.query('SELECT pg_sleep($1)', [ms / 1000]) : undefined;
}

export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: Queryable,
  q: NamedQuery,
  values: unknown[] = [],
): Promise<pg.QueryResult<R>> {
  const statement = q.unprepared ? { text: q.text, values } : { name: q.name, text: q.text, values };
  return traceQuery(q.name, async () => {
    if (!metricsSettings.dbEnabled) {
      await beforeQuery(db, q);
      return db.query<R>(statement);
    }
    const end = dbQueryDuration.startTimer({ query: q.name });
    try {
      await beforeQuery(db, q);
      const result = await db.query<R>(statement);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  });
}

/** Runs fn in a transaction; commits on success, rolls back on any error. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * PostgreSQL gave up a transaction to let another go on (deadlock_detected 40P01, serialization_failure
 * 40001): nothing of it was written, and running it again is the documented answer.
 */
export function isTransactionConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

/** Two more runs after a conflict, 10 to 40 ms apart with jitter (the other transaction is short). */
const conflictRetry = retry(handleWhen(isTransactionConflict), {
  maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 10, maxDelay: 40 }),
});

/** withTransaction, run again (twice at most) when PostgreSQL gives it up for a conflict. */
export function withTransactionRetried<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return conflictRetry.execute(() => withTransaction(pool, fn));
}

/** Creates the database named in connectionString when it does not exist yet. */
export async function ensureDatabase(connectionString: string): Promise<void> {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  if (name === 'postgres') return;
  url.pathname = '/postgres';
  // Bounded like the pools' connections: on a network that drops packets a connect would otherwise wait
  // for the operating system's TCP timeout (minutes).
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04' && err.code !== '23505') throw err; // created concurrently
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Calls attempt until it does not fail because the database is unavailable (isDatabaseUnavailable),
 * waiting between tries with exponential backoff (jittered, at most 2 s apart) and telling onUnavailable
 * about each such failure. Resolves with attempt's value, or undefined at the deadline (if any) or when
 * stopped() says to give up; any other error is thrown at once.
 */
export async function retryWhileDatabaseUnavailable<T>(
  attempt: () => Promise<T>,
  opts: { deadline?: number; stopped?: () => boolean; onUnavailable?: (err: unknown) => void } = {},
): Promise<{ value: T } | undefined> {
  let backoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }).next();
  for (;;) {
    try {
      return { value: await attempt() };
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      opts.onUnavailable?.(err);
    }
    const wait = Math.min(backoff.duration, (opts.deadline ?? Infinity) - Date.now());
    if (wait <= 0 || opts.stopped?.()) return undefined;
    await new Promise((resolve) => setTimeout(resolve, wait));
    if (opts.stopped?.()) return undefined;
    backoff = backoff.next(undefined);
  }
}

/**
 * Waits until the database answers a query, retrying with exponential backoff (jittered, at most 2 s
 * apart). Resolves true once it answers, false at the deadline or when stopped() says to give up.
 */
export async function waitForDatabase(pool: pg.Pool, opts: { deadline: number; stopped?: () => boolean }): Promise<boolean> {
  return (await retryWhileDatabaseUnavailable(() => pool.query('SELECT 1'), opts)) !== undefined;
}

/**
 * The readiness check of a pool's database: whether it answers `SELECT 1` within timeoutMs. A query that
 * is late is not canceled (a connect in progress cannot be), so at most one runs at a time: a check that
 * finds one still running waits for it, up to its own time limit, rather than starting another, and a
 * network that drops packets cannot fill the pool with probes.
 *
 * A pool busy with a surge is not a database that does not answer: with every connection in use the probe
 * would queue behind the shoppers' queries, and a replica that is serving, only slowly, would report itself
 * not ready, be taken out of its load balancer and push its share onto the others (a cascade). So while
 * every connection is in use and one came back without an error within timeoutMs, the database answered
 * and no probe is queued. A pool that hands nothing back is stuck, and the probe then says so.
 */
export function databaseProbe(pool: pg.Pool, timeoutMs: number): () => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  let answeredAt = -Infinity;
  pool.on('release', (err: Error | undefined) => { if (!err) answeredAt = performance.now(); });
  return async () => {
    if (poolSaturated(pool) && performance.now() - answeredAt < timeoutMs) return true;
    running ??= pool.query('SELECT 1').then(() => true, () => false).finally(() => { running = undefined; });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => { timer = setTimeout(resolve, timeoutMs, false); });
    try {
      return await Promise.race([running, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
