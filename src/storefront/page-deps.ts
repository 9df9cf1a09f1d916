// What the storefront's pages use: the role's pool and queue, and the rules of checkout and paying again.
import type pg from 'pg';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import type { PayAgainLimits } from '../orders/index.ts';

export interface PageDeps {
  pool: pg.Pool;
  queue: JobQueue;
  /** How long an order holds its items before it must be paid (the payment deadline). */
  reservationTtlSeconds: number;
  payAgain: PayAgainLimits;
  /** Units left at or under which a product is shown as low stock (the catalog's setting). */
  lowStockThreshold: number;
}
