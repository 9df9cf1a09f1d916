// The `queue` module: the durable job queue (pg-boss, in the same database) behind the port contexts use.
// The composition root passes the queues the program declares; they are created or updated, with their
// SQL enqueue functions, when the queue starts, before the HTTP server that takes checkouts listens.
import { defineModule } from '../modules/module-manager.ts';
import { databaseModule } from '../db/database-module.ts';
import { migrationsModule } from '../db/migrations-module.ts';
import type { JobQueue, QueueDefinition } from './job-queue.ts';
import { PgBossJobQueue } from './pg-boss-queue.ts';

export const queueModule = defineModule({
  name: 'queue',
  deps: { database: databaseModule, migrations: migrationsModule },
  /** queues: every queue the program declares (a dead-letter queue before the queue naming it). */
  options: { queues: [] as readonly QueueDefinition[] },
  init: ({ deps, runtime, options }) => {
    // Every process supervises (expires stalled jobs so a killed worker's job is retried); pg-boss makes
    // concurrent supervisors safe.
    const queue = new PgBossJobQueue({
      connectionString: deps.database.url, pool: deps.database.pool, supervise: true, poolMax: 4,
      applicationName: 'holdfast-queue', logger: runtime.logger,
    });
    return {
      service: queue as JobQueue,
      start: async () => {
        await queue.start();
        await queue.declareQueues(options.queues);
      },
      stop: () => queue.stop(),
    };
  },
});
