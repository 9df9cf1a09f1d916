// The fault-injection modules: `faults`, the cached fault reader every injecting role depends on (it also
// slows named queries while db.slow is set), and `faults-api`, the admin API that sets and clears faults.
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { setQueryDelay } from '../platform/db/database.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import type { FaultsConfig } from './faults-config.ts';
import { createFaultReader } from './fault-reader.ts';
import { purgeExpiredFaults } from './fault-store.ts';
import { dbSlowDelay } from './fault-effects.ts';
import { faultRoutes } from './fault-routes.ts';

export const faultsModule = defineModule({
  name: 'faults',
  deps: { database: databaseModule, migrations: migrationsModule },
  config: (c: FaultsConfig) => ({ faultRefreshMs: c.faultRefreshMs }),
  init: ({ config, deps, runtime }) => {
    const { pool, url } = deps.database;
    const reader = createFaultReader({ pool, databaseUrl: url, refreshMs: config.faultRefreshMs, logger: runtime.logger.child({ component: 'faults' }) });
    let purge: NodeJS.Timeout | undefined;
    return {
      service: reader,
      start: async () => {
        await reader.start();
        setQueryDelay(dbSlowDelay(reader));
        purge = setInterval(() => { purgeExpiredFaults(pool).catch(() => {}); }, 60_000);
        purge.unref();
      },
      stop: async () => {
        if (purge) clearInterval(purge);
        setQueryDelay(undefined);
        await reader.stop();
      },
    };
  },
});

export const faultsApiModule = defineModule({
  name: 'faults-api',
  deps: { database: databaseModule, http: httpServerModule, adminToken: adminTokenModule },
  init: ({ deps, runtime }) => {
    faultRoutes(deps.http.server, { pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256, source: `operator via ${runtime.serviceName}` });
    return { service: undefined };
  },
});
