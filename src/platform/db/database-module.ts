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
  /**
   * The process's main pool (sized by dbPoolMax): the platform's mechanisms and the storefront role's
   * requests. A caller that finds every connection busy waits at most dbPoolWaitTimeoutMs, then gets
   * 503 DATABASE_BUSY.
   */
  pool: pg.Pool;
  /**
   * A pool of a role's own (a bulkhead, sized by dbPoolMax, made on first use, closed with the database):
   * in a process that runs several roles (`--target all`) that role's queries never wait for the main
   * pool's connections, nor it for theirs. Its waits are not bounded: it is background work (the payment
   * workers), which waits its turn rather than fail.
   */
  rolePool(role: string): pg.Pool;
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
    const pool = createPool(url, config.dbPoolMax, 'holdfast', { waitTimeoutMs: config.dbPoolWaitTimeoutMs, metricsName: 'main' });
    registerPoolMetrics('main', pool);
    const rolePools = new Map<string, pg.Pool>();
    const rolePool = (role: string): pg.Pool => {
      let own = rolePools.get(role);
      if (!own) {
        own = createPool(url, config.dbPoolMax, `holdfast-${role}`);
        registerPoolMetrics(role, own);
        rolePools.set(role, own);
      }
      return own;
    };
    return {
      service: { pool, url, rolePool } satisfies DatabaseService,
      stop: async () => {
        await Promise.all([pool, ...rolePools.values()].map((p) => p.end()));
        await stopEmbedded?.();
      },
    };
  },
});
