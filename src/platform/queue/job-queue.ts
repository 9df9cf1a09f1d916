// The durable job queue: pg-boss, in the same PostgreSQL database as the orders, so a job can be written
// by the transaction that creates the order (both commit or neither does; decision 0011).
import PgBoss from 'pg-boss';

export type JobQueue = PgBoss;

export function createJobQueue(connectionString: string, opts: { supervise: boolean; poolMax: number; applicationName: string }): PgBoss {
  const boss = new PgBoss({
    connectionString,
    schema: 'pgboss',
    max: opts.poolMax,
    application_name: opts.applicationName,
    supervise: opts.supervise,
    schedule: false,
    maintenanceIntervalSeconds: 5,
    monitorStateIntervalSeconds: 10,
    migrate: true,
  });
  boss.on('error', () => {}); // surfaced through metrics and the queue's own retries, never a crash
  return boss;
}
