// The payment load the autoscaler sizes the payments role by (Little's law): how fast payment jobs arrive
// and how long a provider call holds a worker, over a recent window, read from the database so that every
// payments process counts whichever process worked the job. The arrival rate is read over two windows: the
// long one smooths noise, the short one sees a surge before the long one has left the quiet behind.
import { query, type Queryable } from '../platform/db/database.ts';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { PaymentQueries } from './payment-queries.ts';
import { PAYMENT_QUEUE } from './payment-jobs.ts';

export interface PaymentLoad {
  /** Payment jobs created per second over the window. */
  arrivalsPerSecond: number;
  /** Payment jobs created per second over the recent (short) window. */
  recentArrivalsPerSecond: number;
  /** Mean seconds from an attempt's write to its outcome over the window; null: no attempt settled in it. */
  providerLatencySeconds: number | null;
  /** Seconds since the oldest unfinished payment job was created (0: none). */
  oldestJobAgeSeconds: number;
  /** Unfinished payment jobs. */
  unfinishedJobs: number;
}

export async function readPaymentLoad(db: Queryable, queue: JobQueue, windowSeconds: number, recentWindowSeconds: number): Promise<PaymentLoad> {
  const [arrivals, recentArrivals, latency, oldest, stats] = await Promise.all([
    queue.arrivals(PAYMENT_QUEUE, windowSeconds),
    queue.arrivals(PAYMENT_QUEUE, recentWindowSeconds),
    query<{ seconds: number | null; n: number }>(db, PaymentQueries.recentProviderLatency, [windowSeconds]),
    queue.oldestJobAge(PAYMENT_QUEUE),
    queue.stats([PAYMENT_QUEUE]),
  ]);
  const row = latency.rows[0];
  return {
    arrivalsPerSecond: arrivals / windowSeconds,
    recentArrivalsPerSecond: recentArrivals / recentWindowSeconds,
    providerLatencySeconds: row && row.n > 0 ? row.seconds : null,
    oldestJobAgeSeconds: oldest,
    unfinishedJobs: stats.reduce((n, s) => n + s.count, 0),
  };
}
