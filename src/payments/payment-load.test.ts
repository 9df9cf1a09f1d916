// The payment load the autoscaler reads, on real PostgreSQL and pg-boss: arrivals over the window from the
// job table, the oldest unfinished job's age, and no provider latency before any attempt settled.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { PgBossJobQueue } from '../platform/queue/pg-boss-queue.ts';
import { paymentQueueDefinitions, PAYMENT_QUEUE, paymentJob, enqueuePaymentJob } from './payment-jobs.ts';
import { readPaymentLoad } from './payment-load.ts';

const logger = createLogger({ level: 'silent', service: 'payment-load-test' });
let db: TestDatabase | undefined;
let queue: PgBossJobQueue | undefined;
after(async () => {
  await queue?.boss.stop({ graceful: false }).catch(() => {});
  await db?.drop();
});

test('arrivals per second over the window, the oldest job\'s age, and no latency before an attempt settled', async () => {
  db = await createTestDatabase();
  queue = new PgBossJobQueue({ connectionString: db.url, pool: db.pool, supervise: false, poolMax: 2, applicationName: 'payment-load-test', logger });
  await queue.start();
  await queue.declareQueues(paymentQueueDefinitions({ retryLimit: 3, retryDelaySeconds: 1, expireInSeconds: 60, heartbeatSeconds: 10 }));

  const empty = await readPaymentLoad(db.pool, queue, 10, 5);
  assert.deepEqual(empty, { arrivalsPerSecond: 0, recentArrivalsPerSecond: 0, providerLatencySeconds: null, oldestJobAgeSeconds: 0, unfinishedJobs: 0 });

  const ids = [];
  for (let i = 0; i < 6; i++) ids.push(await enqueuePaymentJob(queue, db.pool, paymentJob(crypto.randomUUID())));
  // One job arrived long before the window: it is no arrival now, but it is the oldest.
  await db.pool.query(`UPDATE pgboss.job SET created_on = now() - interval '40 seconds' WHERE name = $1 AND id = $2`, [PAYMENT_QUEUE, ids[0]]);
  // And one 8 s ago: in the long window, not in the recent one.
  await db.pool.query(`UPDATE pgboss.job SET created_on = now() - interval '8 seconds' WHERE name = $1 AND id = $2`, [PAYMENT_QUEUE, ids[1]]);
  const load = await readPaymentLoad(db.pool, queue, 10, 5);
  assert.equal(load.arrivalsPerSecond, 0.5, 'five jobs in a 10 s window');
  assert.equal(load.recentArrivalsPerSecond, 0.8, 'four jobs in the last 5 s');
  assert.equal(load.unfinishedJobs, 6);
  assert.ok(load.oldestJobAgeSeconds >= 40 && load.oldestJobAgeSeconds < 60, String(load.oldestJobAgeSeconds));
  assert.equal(load.providerLatencySeconds, null);
});
