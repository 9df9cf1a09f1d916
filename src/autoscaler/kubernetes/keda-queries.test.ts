// The KEDA postgresql triggers' queries, run against pg-boss 12's real job table on real PostgreSQL: one
// number each, 0 (not NULL) for an empty queue, and the same numbers the payments role publishes as
// holdfast_payment_queue_jobs and holdfast_payment_queue_oldest_job_age_seconds.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/test-db.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { PgBossJobQueue } from '../../platform/queue/pg-boss-queue.ts';
import { PAYMENT_QUEUE, QUEUE_QUERIES } from './render.ts';

const logger = createLogger({ level: 'silent', service: 'keda-queries-test' });
let db: TestDatabase | undefined;
let queue: PgBossJobQueue | undefined;
after(async () => {
  await queue?.boss.stop({ graceful: false }).catch(() => {});
  await db?.drop();
});

const scalar = async (sql: string): Promise<unknown> => {
  const { rows, fields } = await db!.pool.query(sql);
  assert.equal(rows.length, 1, 'one row');
  assert.equal(fields.length, 1, 'one column');
  return rows[0][fields[0]!.name];
};

test('the queue depth and oldest-age queries read pg-boss\'s job table as the payments role\'s metrics do', async () => {
  db = await createTestDatabase();
  queue = new PgBossJobQueue({ connectionString: db.url, pool: db.pool, supervise: false, poolMax: 2, applicationName: 'keda-queries-test', logger });
  await queue.start();
  await queue.declareQueues([{ name: PAYMENT_QUEUE, options: { retryLimit: 3 } }]);
  const boss = queue.boss;

  assert.equal(await scalar(QUEUE_QUERIES.depth), 0);
  assert.equal(await scalar(QUEUE_QUERIES.oldestAgeSeconds), 0, 'an empty queue is 0, not NULL');

  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await boss.send(PAYMENT_QUEUE, { order: i }));
  await db.pool.query(`UPDATE pgboss.job SET created_on = now() - interval '42 seconds' WHERE id = $1`, [ids[0]]);
  // One job taken by a worker (active: still unfinished), one completed (no longer counted).
  const [taken] = await boss.fetch<object>(PAYMENT_QUEUE, { batchSize: 1 });
  assert.ok(taken);
  const [other] = await boss.fetch<object>(PAYMENT_QUEUE, { batchSize: 1 });
  await boss.complete(PAYMENT_QUEUE, other!.id);

  const unfinished = (await queue.stats([PAYMENT_QUEUE])).reduce((n, s) => n + s.count, 0);
  assert.equal(unfinished, 2);
  assert.equal(await scalar(QUEUE_QUERIES.depth), unfinished);
  const age = Number(await scalar(QUEUE_QUERIES.oldestAgeSeconds));
  const published = await queue.oldestJobAge(PAYMENT_QUEUE);
  assert.ok(age >= 42 && age < 60, `oldest age ${age}`);
  assert.ok(Math.abs(age - published) < 5, `${age} and the published ${published} agree`);
});
