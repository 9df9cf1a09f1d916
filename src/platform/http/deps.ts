// What route plugins receive: the role's resources, never a global.
import type pg from 'pg';
import type { Config } from '../config/config.ts';
import type { JobQueue } from '../queue/job-queue.ts';

export interface RouteDeps {
  pool: pg.Pool;
  queue: JobQueue;
  config: Config;
  /** Hex SHA-256 of the admin token. */
  adminTokenSha256: string;
}
