// The `database` module: starts or reuses the embedded PostgreSQL (or uses DATABASE_URL, waiting for it
// while it is unreachable when the process serves), creates the `holdfast` database, and gives the
// process its pool.
import type pg from 'pg';
import { defineModule } from '../modules/module-manager.ts';
import { sliceOf } from '../config/config.ts';
import { databaseConfig, type DatabaseConfig, type ServerConfig } from '../config/platform-config.ts';
import { telemetryModule } from '../observability/telemetry-module.ts';
import { registerPoolMetrics } from '../observability/metrics.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { createPool, ensureDatabase } from './database.ts';
import { ensureDatabaseWhenReachable } from './database-at-start.ts';

export interface DatabaseService {
  /** The role's pool (sized by dbPoolMax). */
  pool: pg.Pool;
  /** The connection string of the `holdfast` database (a context that needs a connection of its own, LISTEN). */
  url: string;
}

/** The HTTP server's module name: while it waits for the database, a process that will serve HTTP answers on its port. */
const HTTP_SERVER_MODULE = 'http-server';

export const databaseModule = defineModule({
  name: 'database',
  deps: { telemetry: telemetryModule },
  config: (c: DatabaseConfig & Pick<ServerConfig, 'host' | 'port'>) => ({ ...sliceOf(databaseConfig, c), host: c.host, port: c.port }),
  init: async ({ config, runtime }) => {
    let url: string;
    let stopEmbedded: (() => Promise<void>) | undefined;
    if (config.databaseUrl) {
      url = config.databaseUrl;
      // An external server may come later than this process: wait for it (an embedded one that fails
      // to start, below, is a fast exit 1 with its reason: waiting would not fix a taken port).
      if (runtime.waitForDatabase) {
        await ensureDatabaseWhenReachable(url, {
          logger: runtime.logger,
          standby: runtime.modules.has(HTTP_SERVER_MODULE) ? { host: config.host, port: config.port } : undefined,
        });
      } else {
        await ensureDatabase(url);
      }
    } else {
      const pgServer = await startEmbeddedPostgres({
        dataDir: config.dataDir, port: config.embeddedPostgresPort,
        log: (line) => runtime.logger.debug({ component: 'embedded-postgres' }, line),
      });
      runtime.logger.info({ port: config.embeddedPostgresPort, reused: !pgServer.owned }, 'embedded PostgreSQL ready');
      const embedded = new URL(pgServer.connectionString);
      embedded.pathname = '/holdfast';
      url = embedded.toString();
      if (pgServer.owned) stopEmbedded = pgServer.stop;
      await ensureDatabase(url);
    }
    const pool = createPool(url, config.dbPoolMax, 'holdfast');
    registerPoolMetrics('main', pool);
    return {
      service: { pool, url } satisfies DatabaseService,
      stop: async () => {
        await pool.end();
        await stopEmbedded?.();
      },
    };
  },
});
