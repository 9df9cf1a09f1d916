// The durable job queue (the port in job-queue.ts) on pg-boss (12.x), in the same PostgreSQL database as
// the orders, so a job can be written by the transaction that creates the order (both commit or neither
// does; decision 0011).
//
// This adapter is the only code that knows pg-boss and its storage:
// - start(): starts pg-boss under an advisory lock, so any number of processes can start at once; a
//   pg-boss 10 schema (which pg-boss 11+ cannot migrate) is moved aside first.
// - declareQueues(): creates or updates the queues and installs each queue's SQL enqueue function, under
//   the same lock; it also carries the jobs of a moved-aside pg-boss 10 schema over to the new one.
// - a queue's SQL enqueue function: `<name>(data jsonb, singleton_key text) RETURNS uuid`. Its body is the
//   very statement pg-boss's own send() runs for that queue at the installed version (recorded through
//   pg-boss's `db` option, never written by hand), so SQL (checkout's function) and TypeScript (enqueue())
//   enqueue in one round trip, inside the caller's transaction, exactly as send() would.
// - the reads and commands of the port (stats, oldest age, waiting jobs, cancel, retry now) for metrics,
//   the admin API and the payment workers.
// The lock and DDL statements run on a client of the process's pool directly: they are this adapter's
// plumbing, not queries of a context.
import { PgBoss, type Db as IDatabase, type JobWithMetadata, type Queue, type UpdateQueueOptions } from 'pg-boss';
import type pg from 'pg';
import { query, type Queryable, type NamedQuery } from '../db/database.ts';
import type { Logger } from '../observability/logger.ts';
import { FailureRun } from '../observability/failure-run.ts';
import { UNFINISHED_STATES, type Job, type JobQueue, type QueueDefinition, type QueueOptions, type QueuedJob, type UnfinishedState } from './job-queue.ts';


/** pg-boss's schema; also what the SQL below reads. */
const SCHEMA = 'pgboss';
/** The oldest pg-boss schema version pg-boss 12 migrates from (11.0's); 10.x wrote 21 to 24. */
const OLDEST_MIGRATABLE_SCHEMA_VERSION = 25;
/** Where a pre-11 schema is moved while its jobs are carried over (then it is dropped). */
const RETIRED_SCHEMA = 'pgboss_v10';
/** Serialises queue set-up across processes (arbitrary, fixed; migrations use 727_401_001). */
const QUEUE_SETUP_LOCK = 727_401_002;

export interface PgBossQueueOptions {
  /** The database pg-boss keeps its schema in (its own pool connects to it). */
  connectionString: string;
  /** The process's pool: set-up, and the named queries of the reads (they get metrics and traces). */
  pool: pg.Pool;
  /** Run pg-boss's supervisor here: it fails jobs whose heartbeat or expiry lapsed (a killed worker). */
  supervise: boolean;
  poolMax: number;
  applicationName: string;
  logger: Logger;
}

/**
 * How often the supervisor looks for jobs whose worker stopped heartbeating. Dead-worker detection
 * takes a job's heartbeatSeconds plus up to this, so it is short; each pass is a couple of indexed
 * statements (pg-boss itself backs off its statistics scan if it grows expensive).
 */
export const SUPERVISE_INTERVAL_SECONDS = 1;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,50}$/;

export class PgBossJobQueue implements JobQueue {
  /** pg-boss itself: for this adapter, and for tests that compare with what pg-boss's own API does. */
  readonly boss: PgBoss;
  readonly #pool: pg.Pool;
  readonly #logger: Logger;
  /** The SQL enqueue function of each queue declared in this process. */
  readonly #enqueueFunctions = new Map<string, string>();
  /** Queues this process stopped working: their loops are no longer woken after a job. */
  readonly #stopped = new Set<string>();
  /** Worker loops stopped one by one (offWorker): not woken after their last job. */
  readonly #stoppedWorkers = new Set<string>();

  constructor(opts: PgBossQueueOptions) {
    this.#pool = opts.pool;
    this.#logger = opts.logger;
    this.boss = new PgBoss({
      connectionString: opts.connectionString,
      schema: SCHEMA,
      max: opts.poolMax,
      application_name: opts.applicationName,
      supervise: opts.supervise,
      schedule: false,
      superviseIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
      monitorIntervalSeconds: SUPERVISE_INTERVAL_SECONDS,
      maintenanceIntervalSeconds: 60,
      migrate: true,
      // Holdfast traces jobs itself (the job carries its traceparent) and exports its own queue metrics.
      openTelemetry: { enabled: false },
      registerInstance: false,
    });
    // pg-boss 12 reports what goes wrong in its loops here (a fetch, complete or fail that could not reach
    // the database, a heartbeat that could not be written) instead of rejecting: the queue retries by
    // itself, so a run of failures is logged as a few lines (FailureRun), never thrown.
    const failures = new FailureRun(opts.logger, 'job queue (pg-boss)');
    this.boss.on('error', (err) => failures.failed(err, 'the queue retries by itself'));
  }

  /**
   * Starts pg-boss (creating or migrating its schema) under the set-up lock: processes starting at the same
   * instant on one database take turns instead of racing pg-boss's DDL. A pg-boss 10 schema is moved aside
   * first; its jobs are carried over when their queues are declared.
   */
  async start(): Promise<void> {
    await this.#underSetupLock(async (client) => {
      await retireUnmigratableSchema(client, this.#logger);
      await this.boss.start();
    });
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 10_000 });
  }

  async declareQueues(queues: readonly QueueDefinition[]): Promise<void> {
    for (const q of queues) {
      if (q.sqlEnqueueFunction && !IDENTIFIER.test(q.sqlEnqueueFunction)) throw new Error(`invalid SQL enqueue function name: ${q.sqlEnqueueFunction}`);
    }
    await this.#underSetupLock(async (client) => {
      for (const q of queues) {
        const options = bossQueueOptions(q.options);
        const updatable = updatableOptions(options);
        if (!(await this.boss.getQueue(q.name))) await this.boss.createQueue(q.name, options);
        else if (Object.keys(updatable).length) await this.boss.updateQueue(q.name, updatable);
      }
      for (const q of queues) if (q.sqlEnqueueFunction) await installEnqueueFunction(this.boss, client, q.name, q.sqlEnqueueFunction);
      if (await schemaExists(client, RETIRED_SCHEMA)) await carryOverRetiredJobs(this.boss, client, queues, this.#logger);
    });
    for (const q of queues) if (q.sqlEnqueueFunction) this.#enqueueFunctions.set(q.name, q.sqlEnqueueFunction);
  }

  async #underSetupLock(fn: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [QUEUE_SETUP_LOCK]);
      await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [QUEUE_SETUP_LOCK]).catch(() => {});
      client.release();
    }
  }

  async enqueue(db: Queryable, queue: string, data: object, singletonKey: string | null): Promise<string | null> {
    const fn = this.#enqueueFunctions.get(queue);
    if (!fn) throw new Error(`queue ${queue} has no SQL enqueue function in this process: declare it first`);
    return enqueueThroughFunction(db, fn, data, singletonKey);
  }

  async work<T>(queue: string, opts: { pollingIntervalSeconds: number }, handler: (job: Job<T>) => Promise<void>): Promise<string> {
    this.#stopped.delete(queue);
    // pg-boss waits a full polling interval after every fetch, even when it found a job; each worker loop
    // therefore asks to be woken at once after a job so a backlog drains at full speed, and only an
    // empty queue is polled at the interval.
    let workerId: string | undefined;
    workerId = await this.boss.work<T>(queue, { batchSize: 1, pollingIntervalSeconds: opts.pollingIntervalSeconds }, async (jobs) => {
      try {
        for (const job of jobs) await handler({ id: job.id, data: job.data });
      } finally {
        if (workerId && !this.#stopped.has(queue) && !this.#stoppedWorkers.has(workerId)) this.boss.notifyWorker(workerId);
      }
    });
    return workerId;
  }

  async offWorker(queue: string, workerId: string): Promise<void> {
    this.#stoppedWorkers.add(workerId);
    await this.boss.offWork(queue, { id: workerId, wait: false });
  }

  async offWork(queue: string): Promise<void> {
    this.#stopped.add(queue);
    await this.boss.offWork(queue);
  }

  async stats(queues: readonly string[]): Promise<{ queue: string; state: UnfinishedState; count: number }[]> {
    const { rows } = await query<{ name: string; state: string; n: number }>(this.#pool, QueueQueries.jobsByState, [queues]);
    return queues.flatMap((queue) => UNFINISHED_STATES.map((state) => ({
      queue, state, count: rows.find((r) => r.name === queue && r.state === state)?.n ?? 0,
    })));
  }

  async oldestJobAge(queue: string): Promise<number> {
    const { rows } = await query<{ age: number | null }>(this.#pool, QueueQueries.oldestUnfinished, [queue]);
    return rows[0]?.age ?? 0;
  }

  async arrivals(queue: string, windowSeconds: number): Promise<number> {
    const { rows } = await query<{ n: number }>(this.#pool, QueueQueries.arrivals, [queue, windowSeconds]);
    return rows[0]?.n ?? 0;
  }

  async listQueued<T>(queue: string, limit = 500): Promise<QueuedJob<T>[]> {
    const jobs = await this.boss.findJobs<T>(queue, { queued: true, limit });
    return jobs.map(toQueuedJob);
  }

  async findQueued<T>(queue: string, id: string): Promise<QueuedJob<T> | null> {
    const [job] = await this.boss.findJobs<T>(queue, { id });
    return job && isQueued(job.state) ? toQueuedJob(job) : null;
  }

  async cancelQueued(queue: string, id: string, tx: Queryable): Promise<boolean> {
    const res = await this.boss.cancel(queue, id, { db: queueDb(tx) }) as { affected?: number };
    return (res.affected ?? 0) > 0;
  }

  /**
   * Each active job with the key is failed only in the run that is active now (a job retried meanwhile is
   * left alone), with the reason as its output, and its retry made due at once rather than after the
   * queue's retry delay (that delay paces retries of work that could not finish; a dead worker is no reason
   * to wait). A job out of retries goes to the dead-letter queue as any failed job does.
   */
  async retryActiveNow(queue: string, singletonKey: string, reason: string): Promise<number> {
    const { rows: active } = await query<{ id: string; retryCount: number }>(this.#pool, QueueQueries.activeByKey, [queue, singletonKey]);
    if (!active.length) return 0;
    const res = await this.boss.fail(queue, active.map((j) => ({ id: j.id, retryCount: j.retryCount })), { message: reason }) as { affected?: number };
    // Only a job now waiting in 'retry' is updated: update() leaves active and finished jobs alone.
    for (const j of active) await this.boss.update(queue, undefined, { id: j.id, startAfter: new Date() });
    return res.affected ?? 0;
  }
}

/** Holdfast's queue options as pg-boss's. */
function bossQueueOptions(o: QueueOptions): Omit<Queue, 'name'> {
  const { retryDelaySeconds, ...rest } = o;
  return { ...rest, ...(retryDelaySeconds !== undefined ? { retryDelay: retryDelaySeconds } : {}) };
}

/** updateQueue() refuses the options fixed at creation (policy, partition). */
function updatableOptions(options: Omit<Queue, 'name'>): UpdateQueueOptions {
  const { policy: _policy, partition: _partition, ...rest } = options;
  return rest;
}

async function schemaExists(db: Queryable, schema: string): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount === 1;
}

/**
 * pg-boss 11 rewrote its schema and 12 migrates only from 11's (version 25) on: a database last run by
 * Holdfast on pg-boss 10 (version 24) would refuse to start. Its schema is renamed out of the way so
 * pg-boss installs a fresh one; carryOverRetiredJobs() then moves its unfinished jobs across.
 */
async function retireUnmigratableSchema(client: pg.PoolClient, logger: Logger): Promise<boolean> {
  const installed = (await client.query(`SELECT to_regclass('${SCHEMA}.version') IS NOT NULL AS installed`)).rows[0]?.installed === true;
  if (!installed) return false;
  const version = (await client.query<{ version: number | null }>(`SELECT max(version)::int AS version FROM ${SCHEMA}.version`)).rows[0]?.version;
  if (version === undefined || version === null || version >= OLDEST_MIGRATABLE_SCHEMA_VERSION) return false;
  if (await schemaExists(client, RETIRED_SCHEMA)) {
    throw new Error(`pg-boss schema ${SCHEMA} is at version ${version} and ${RETIRED_SCHEMA} exists from an earlier upgrade; ` +
      `move its jobs or drop it (DROP SCHEMA ${RETIRED_SCHEMA} CASCADE), then start again`);
  }
  await client.query(`ALTER SCHEMA ${SCHEMA} RENAME TO ${RETIRED_SCHEMA}`);
  logger.warn({ version }, `pg-boss schema version ${version} (pg-boss 10) cannot be migrated by pg-boss 12: renamed to ${RETIRED_SCHEMA}; its unfinished jobs are carried over`);
  return true;
}

/**
 * Moves the unfinished jobs (created, retry, active) of Holdfast's queues from the retired pg-boss 10
 * schema into the new one, then drops the old schema, in one transaction: they are enqueued again with
 * their data, singleton key, priority and start time (the retry count starts over). An active job's
 * worker is gone (every process had to restart for the upgrade); redelivering it is what the queue would
 * have done anyway, and payment jobs are safe to run twice (docs/payments.md).
 */
async function carryOverRetiredJobs(boss: PgBoss, client: pg.PoolClient, queues: readonly QueueDefinition[], logger: Logger): Promise<void> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{ name: string; data: object | null; singleton_key: string | null; priority: number; start_after: Date }>(
      `SELECT name, data, singleton_key, priority, start_after FROM ${RETIRED_SCHEMA}.job
       WHERE state IN ('created', 'retry', 'active') AND name = ANY($1) ORDER BY created_on`, [queues.map((q) => q.name)]);
    const moved: Record<string, number> = {};
    for (const q of queues) {
      const jobs = rows.filter((r) => r.name === q.name).map((r) => ({
        data: r.data ?? {}, priority: r.priority, startAfter: r.start_after.toISOString(),
        ...(r.singleton_key ? { singletonKey: r.singleton_key } : {}),
      }));
      if (!jobs.length) continue;
      await boss.insert(q.name, jobs, { db: queueDb(client) });
      moved[q.name] = jobs.length;
    }
    await client.query(`DROP SCHEMA ${RETIRED_SCHEMA} CASCADE`);
    await client.query('COMMIT');
    logger.warn({ moved }, `carried the unfinished jobs of the pg-boss 10 schema over and dropped ${RETIRED_SCHEMA}`);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** A pg connection as pg-boss's `db` option: pg-boss's statements then run in the caller's transaction. */
function queueDb(db: Queryable): IDatabase {
  return { executeSql: (text, values) => db.query(text, values as unknown[]) };
}

/**
 * The statement pg-boss's send(queue, data, { singletonKey }) runs, recorded through its `db` option
 * (nothing reaches the database). It takes one parameter, the jobs as JSON text, and returns the new job's
 * id (no row when pg-boss skipped the job).
 */
async function recordSendStatement(boss: PgBoss, queue: string): Promise<string> {
  let recorded: { text: string; values: unknown[] } | undefined;
  const recorder: IDatabase = {
    executeSql: async (text, values = []) => {
      recorded = { text, values };
      return { rows: [{ id: '00000000-0000-0000-0000-000000000000' }] };
    },
  };
  await boss.send(queue, { probe: true }, { singletonKey: 'probe', db: recorder });
  if (!recorded) throw new Error(`pg-boss send() to ${queue} ran no statement`);
  const { text, values } = recorded;
  // The function below hands the statement the jobs where it reads $1, and takes the id it returns; any
  // other shape means pg-boss changed.
  const payload = values.length === 1 && typeof values[0] === 'string' ? JSON.parse(values[0]) as unknown : undefined;
  const shapeOk = Array.isArray(payload) && payload.length === 1 && (payload[0] as { singletonKey?: string }).singletonKey === 'probe'
    && /\$1\b/.test(text) && !/\$2\b/.test(text) && !text.includes(ENQUEUE_BODY_QUOTE) && !text.includes(JOBS_VARIABLE)
    && /\bRETURNING\s+id\s*$/i.test(text);
  if (!shapeOk) throw new Error(`pg-boss send() to ${queue} no longer runs one statement taking the jobs as $1 and returning the id; the SQL enqueue function cannot be built`);
  return text;
}

/** The dollar quote of the enqueue function's body, and its variable holding the jobs ($1 of pg-boss's statement). */
const ENQUEUE_BODY_QUOTE = '$pgboss_send$';
const JOBS_VARIABLE = 'holdfast_jobs';

/**
 * The body of `fn(data jsonb, singleton_key text) RETURNS uuid`: pg-boss's send statement itself, run
 * by PL/pgSQL (its plan cached for the session like any statement of a PL/pgSQL function), with the one
 * job as the jobs it reads. One function, one statement: a checkout no longer pays for the two SQL
 * functions that held it before (one built the job and called the other, which held the statement; the
 * cost is measured in docs/performance.md). `use_column`: pg-boss's statement names its own columns
 * (data, id), never this function's parameters.
 */
function enqueueFunctionBody(sendStatement: string): string {
  return `
#variable_conflict use_column
DECLARE
  ${JOBS_VARIABLE} text := json_build_array(json_build_object('data', data, 'singletonKey', singleton_key))::text;
  holdfast_job_id uuid;
BEGIN
${sendStatement.replace(/\$1\b/g, JOBS_VARIABLE).trimEnd()}
  INTO holdfast_job_id;
  RETURN holdfast_job_id;
END
`;
}

/**
 * Installs `fn(data jsonb, singleton_key text) RETURNS uuid` (null when pg-boss skipped the job), whose
 * body is pg-boss's own send statement for the queue. Replaced only when the statement changed (a pg-boss
 * upgrade), so a restart leaves plans cached elsewhere alone. Drops `fn_send(jobs text)`, the inner SQL
 * function that held the statement before.
 */
async function installEnqueueFunction(boss: PgBoss, client: pg.PoolClient, queue: string, fn: string): Promise<void> {
  if (!IDENTIFIER.test(fn)) throw new Error(`invalid SQL enqueue function name: ${fn}`);
  const body = enqueueFunctionBody(await recordSendStatement(boss, queue));
  const retired = `${fn}_send`;
  const { rows } = await client.query<{ proname: string; prosrc: string }>(
    `SELECT proname, prosrc FROM pg_proc WHERE proname = ANY($1) AND pronamespace = 'public'::regnamespace`, [[fn, retired]]);
  const current = new Map(rows.map((r) => [r.proname, r.prosrc]));
  if (current.get(fn) === body && !current.has(retired)) return;
  await client.query('BEGIN');
  try {
    // Same signature and result: CREATE OR REPLACE may change the language (SQL before) in place.
    await client.query(`CREATE OR REPLACE FUNCTION ${fn}(data jsonb, singleton_key text) RETURNS uuid LANGUAGE plpgsql AS ${ENQUEUE_BODY_QUOTE}${body}${ENQUEUE_BODY_QUOTE}`);
    await client.query(`DROP FUNCTION IF EXISTS ${retired}(text)`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Enqueues through a queue's SQL enqueue function: in the caller's transaction when db is a client. */
async function enqueueThroughFunction(db: Queryable, fn: string, data: object, singletonKey: string | null): Promise<string | null> {
  const { rows } = await query<{ id: string | null }>(db, { name: `queue.enqueue.${fn}`, text: `SELECT ${fn}($1::jsonb, $2::text) AS id` },
    [JSON.stringify(data), singletonKey]);
  return rows[0]?.id ?? null;
}

// Reads of pg-boss's job table, written against its documented columns (id, name, state, singleton_key,
// retry_count, created_on; see
// pg-boss's docs/sql/job-table.md) and tested with the installed version (src/platform/queue/job-queue.test.ts).
const QueueQueries = {
  jobsByState: {
    name: 'queue.jobs_by_state',
    text: `SELECT name, state::text AS state, count(*)::int AS n FROM ${SCHEMA}.job
           WHERE name = ANY($1) AND state < 'completed' GROUP BY 1, 2`,
  },
  // Among the few active jobs of the queue (pg-boss indexes unfinished jobs by name and state), not a scan of
  // every job it keeps, as findJobs({ key }) would be.
  activeByKey: {
    name: 'queue.active_by_key',
    text: `SELECT id, retry_count AS "retryCount" FROM ${SCHEMA}.job WHERE name = $1 AND state = 'active' AND singleton_key = $2`,
  },
  arrivals: {
    name: 'queue.arrivals',
    text: `SELECT count(*)::int AS n FROM ${SCHEMA}.job WHERE name = $1 AND created_on > now() - make_interval(secs => $2)`,
  },
  oldestUnfinished: {
    name: 'queue.oldest_unfinished',
    text: `SELECT extract(epoch FROM now() - min(created_on))::float8 AS age FROM ${SCHEMA}.job WHERE name = $1 AND state < 'completed'`,
  },
} satisfies Record<string, NamedQuery>;

const toQueuedJob = <T>(j: JobWithMetadata<T>): QueuedJob<T> =>
  ({ id: j.id, data: j.data, createdOn: j.createdOn, lastError: j.sourceOutput ?? j.output ?? null });

const isQueued = (state: string) => state === 'created' || state === 'retry';
