// The queue adapter against the installed pg-boss, on real PostgreSQL: the SQL enqueue function writes
// the row pg-boss's send() writes, queue set-up survives processes starting at once, the reads behind the
// metrics and the admin API, and the upgrade of a database last run on pg-boss 10.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import PgBoss10 from 'pg-boss-10';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-db.ts';
import { createLogger } from '../observability/logger.ts';
import { PgBossJobQueue } from './pg-boss-queue.ts';
import type { QueueDefinition } from './job-queue.ts';
import { withTransaction } from '../db/database.ts';

const logger = createLogger({ level: 'silent', service: 'queue-test' });
const dbs: TestDatabase[] = [];
const bosses: PgBossJobQueue[] = [];
after(async () => {
  await Promise.all(bosses.map((b) => b.boss.stop({ graceful: false }).catch(() => {})));
  await Promise.all(dbs.map((d) => d.drop()));
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase();
  dbs.push(db);
  return db;
}

function boss(db: TestDatabase): PgBossJobQueue {
  const b = new PgBossJobQueue({ connectionString: db.url, pool: db.pool, supervise: false, poolMax: 2, applicationName: 'queue-test', logger });
  bosses.push(b);
  return b;
}

/** What a process does at start-up: start the queue, declare its queues. */
async function startJobQueue(queue: PgBossJobQueue, queues: QueueDefinition[]): Promise<void> {
  await queue.start();
  await queue.declareQueues(queues);
}

const QUEUES: QueueDefinition[] = [
  { name: 'widgets-dead', options: {} },
  { name: 'widgets', options: { retryLimit: 7, retryDelaySeconds: 3, expireInSeconds: 42, deadLetter: 'widgets-dead', deleteAfterSeconds: 600 }, sqlEnqueueFunction: 'test_enqueue_widget' },
];

test('the SQL enqueue function writes exactly the row send() writes, in the caller transaction', async () => {
  const db = await freshDatabase();
  const queue = boss(db);
  await startJobQueue(queue, QUEUES);

  const key = `k-${randomUUID()}`;
  const viaSend = await queue.boss.send('widgets', { n: 1 }, { singletonKey: `${key}-send` });
  const viaSql = await queue.enqueue(db.pool, 'widgets', { n: 1 }, `${key}-sql`);
  assert.ok(viaSend && viaSql);
  // Every column of pg-boss's job table, whatever the installed version has; ids, keys and times by kind.
  const row = async (id: string) => (await db.pool.query(`
    SELECT to_jsonb(j) - ARRAY['id', 'singleton_key', 'created_on', 'start_after', 'keep_until'] AS columns,
           (j.start_after - j.created_on)::text AS start_offset, (j.keep_until - j.created_on)::text AS keep_offset
    FROM pgboss.job j WHERE id = $1`, [id])).rows[0];
  const sent = await row(viaSend);
  assert.deepEqual(await row(viaSql), sent);
  assert.equal(sent.columns.retry_limit, 7);
  assert.equal(sent.columns.dead_letter, 'widgets-dead');

  // Rolled back with the caller's transaction.
  await assert.rejects(withTransaction(db.pool, async (tx) => {
    await queue.enqueue(tx, 'widgets', { n: 2 }, `${key}-rolled-back`);
    throw new Error('abort');
  }), /abort/);
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job WHERE singleton_key = $1`, [`${key}-rolled-back`])).rows[0].n, 0);
  // A worker gets it like any other job.
  const [fetched] = await queue.boss.fetch<{ n: number }>('widgets', { batchSize: 1 });
  assert.equal(fetched?.data.n, 1);
});

test('processes starting at the same instant on a fresh database all set the queues up', async () => {
  const db = await freshDatabase();
  const queues = Array.from({ length: 6 }, () => boss(db));
  const results = await Promise.allSettled(queues.map((q) => startJobQueue(q, QUEUES)));
  assert.deepEqual(results.map((r) => r.status === 'rejected' ? String(r.reason) : 'ok'), queues.map(() => 'ok'));
  // A restart leaves the installed function alone (nothing changed) and still works.
  const before = (await db.pool.query(`SELECT xmin::text FROM pg_proc WHERE proname = 'test_enqueue_widget'`)).rows[0].xmin;
  await startJobQueue(queues[0]!, QUEUES);
  assert.equal((await db.pool.query(`SELECT xmin::text FROM pg_proc WHERE proname = 'test_enqueue_widget'`)).rows[0].xmin, before);
  assert.ok(await queues[0]!.enqueue(db.pool, 'widgets', { n: 3 }, 'after-restart'));
});

test('the enqueue function is one PL/pgSQL function running pg-boss\'s statement; the two SQL functions of before are replaced', async () => {
  const db = await freshDatabase();
  const first = boss(db);
  await startJobQueue(first, QUEUES);
  // What earlier versions installed: a SQL function building the job, calling a second one that held the statement.
  await db.pool.query(`CREATE FUNCTION test_enqueue_widget_send(jobs text) RETURNS SETOF uuid LANGUAGE sql AS $$ SELECT NULL::uuid $$`);
  await db.pool.query(`CREATE OR REPLACE FUNCTION test_enqueue_widget(data jsonb, singleton_key text) RETURNS uuid LANGUAGE sql
    AS $$ SELECT test_enqueue_widget_send(json_build_array(json_build_object('data', data, 'singletonKey', singleton_key))::text) LIMIT 1 $$`);
  const restarted = boss(db);
  await startJobQueue(restarted, QUEUES);
  const installed = (await db.pool.query<{ proname: string; lang: string; src: string }>(`
    SELECT p.proname, l.lanname AS lang, p.prosrc AS src FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
    WHERE p.proname LIKE 'test_enqueue_widget%' ORDER BY p.proname`)).rows;
  assert.deepEqual(installed.map((f) => [f.proname, f.lang]), [['test_enqueue_widget', 'plpgsql']]);
  assert.match(installed[0]!.src, /INSERT INTO pgboss\.job/);
  assert.doesNotMatch(installed[0]!.src, /\$1\b/, 'the jobs are the function\'s own variable, not a parameter of the caller');
  const id = await restarted.enqueue(db.pool, 'widgets', { n: 4 }, 'one-function');
  assert.ok(id);
  assert.deepEqual((await db.pool.query(`SELECT data, singleton_key FROM pgboss.job WHERE id = $1`, [id])).rows, [{ data: { n: 4 }, singleton_key: 'one-function' }]);
});

test('stats, oldest age, waiting jobs and cancel read pg-boss through the adapter', async () => {
  const db = await freshDatabase();
  const queue = boss(db);
  await startJobQueue(queue, QUEUES);
  assert.deepEqual((await queue.stats(['widgets'])).map((s) => [s.state, s.count]), [['created', 0], ['retry', 0], ['active', 0]]);
  assert.equal(await queue.oldestJobAge('widgets'), 0);

  const a = await queue.enqueue(db.pool, 'widgets', { n: 'a' }, 'a');
  await queue.enqueue(db.pool, 'widgets', { n: 'b' }, 'b');
  await queue.boss.fetch('widgets', { batchSize: 1 });
  const stats = Object.fromEntries((await queue.stats(['widgets', 'widgets-dead'])).map((s) => [`${s.queue}/${s.state}`, s.count]));
  assert.deepEqual(stats, { 'widgets/created': 1, 'widgets/retry': 0, 'widgets/active': 1, 'widgets-dead/created': 0, 'widgets-dead/retry': 0, 'widgets-dead/active': 0 });
  assert.ok(await queue.oldestJobAge('widgets') >= 0);

  const waiting = await queue.listQueued<{ n: string }>('widgets');
  assert.deepEqual(waiting.map((j) => j.data.n), ['b']);
  assert.equal(await queue.findQueued('widgets', a!), null, 'the active job is not waiting');
  const b = waiting[0]!;
  assert.deepEqual((await queue.findQueued<{ n: string }>('widgets', b.id))?.data, { n: 'b' });
  assert.equal(await withTransaction(db.pool, (tx) => queue.cancelQueued('widgets', b.id, tx)), true);
  assert.equal(await withTransaction(db.pool, (tx) => queue.cancelQueued('widgets', b.id, tx)), false);
  assert.equal(await queue.findQueued('widgets', b.id), null);

  // The active job's worker is known gone: its run is failed and the retry is due now, not in 3 s.
  assert.equal(await queue.retryActiveNow('widgets', 'a', 'worker gone'), 1);
  assert.equal(await queue.retryActiveNow('widgets', 'a', 'worker gone'), 0, 'nothing active any more');
  const [again] = await queue.boss.fetch<{ n: string }>('widgets', { batchSize: 1 });
  assert.equal(again?.id, a);
  assert.deepEqual((await queue.findQueued('widgets', a!)), null);
  const [meta] = await queue.boss.findJobs('widgets', { id: a! });
  assert.equal(meta?.retryCount, 1);
});

test('a database last run on pg-boss 10 is upgraded: its unfinished jobs are carried over, its history dropped', async () => {
  const db = await freshDatabase();
  // pg-boss 10 as Holdfast ran it: the queues, jobs waiting, one taken by a worker that then died, one done.
  const old = new PgBoss10({ connectionString: db.url, schema: 'pgboss', supervise: false, schedule: false, max: 2 });
  old.on('error', () => {});
  await old.start();
  await old.createQueue('widgets-dead');
  await old.createQueue('widgets', { name: 'widgets', deadLetter: 'widgets-dead' });
  await old.send('widgets', { n: 'waiting' }, { singletonKey: 'waiting' });
  await old.send('widgets', { n: 'active' }, { singletonKey: 'active' });
  await old.send('widgets-dead', { n: 'dead' });
  const [taken] = await old.fetch('widgets');
  const [done] = await old.fetch<{ n: string }>('widgets');
  assert.ok(taken && done);
  await old.complete('widgets', done.id);
  await old.send('widgets', { n: 'done-later' });
  await old.stop({ graceful: false, wait: true });
  const versionBefore = (await db.pool.query(`SELECT version FROM pgboss.version`)).rows[0].version;
  assert.ok(versionBefore < 25, `pg-boss 10 schema version ${versionBefore}`);

  const queue = boss(db);
  await startJobQueue(queue, QUEUES);
  assert.ok((await db.pool.query(`SELECT version FROM pgboss.version`)).rows[0].version >= 25);
  assert.equal((await db.pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'pgboss_v10'`)).rowCount, 0, 'the old schema is dropped');
  const jobs = (await db.pool.query<{ name: string; n: string; key: string | null; state: string }>(
    `SELECT name, data->>'n' AS n, singleton_key AS key, state::text FROM pgboss.job ORDER BY name, data->>'n'`)).rows;
  const carried = jobs.map((j) => `${j.name}:${j.n}:${j.key ?? '-'}:${j.state}`);
  // The completed job is history and stays behind; which of the two first jobs was "active" does not matter.
  assert.deepEqual(carried.toSorted(), [
    `widgets-dead:dead:-:created`,
    ...['active', 'done-later', 'waiting'].filter((n) => n !== done.data.n).map((n) => `widgets:${n}:${n === 'done-later' ? '-' : n}:created`),
  ].toSorted());
  // A second start finds nothing to upgrade.
  await startJobQueue(queue, QUEUES);
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM pgboss.job`)).rows[0].n, jobs.length);
});
