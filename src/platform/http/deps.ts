// What route plugins receive: the role's resources, never a global.
import type pg from 'pg';
import type { Config } from '../../app/holdfast-config.ts';
import type { JobQueue } from '../queue/job-queue.ts';
import type { ProviderRouter } from '../../payments/provider-router.ts';

export interface RouteDeps {
  pool: pg.Pool;
  queue: JobQueue;
  config: Config;
  /** Hex SHA-256 of the admin token. */
  adminTokenSha256: string;
  /** The payment provider accounts (resolved when the role starts), for refunds and reconciliation. */
  paymentRouter: () => ProviderRouter;
}
