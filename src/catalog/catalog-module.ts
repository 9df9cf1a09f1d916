// The catalog's modules: the demo catalog seeded on first start, and the catalog's JSON API.
import { defineModule } from '../platform/modules/module-manager.ts';
import { sliceOf } from '../platform/config/config.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { catalogConfig, type CatalogConfig } from './catalog-config.ts';
import { countProducts } from './catalog-service.ts';
import { seedDemoCatalog } from './demo-catalog.ts';
import { catalogRoutes } from './catalog-routes.ts';

export const demoCatalogModule = defineModule({
  name: 'demo-catalog',
  deps: { database: databaseModule, migrations: migrationsModule },
  config: (c: CatalogConfig) => sliceOf(catalogConfig, c),
  init: async ({ config, deps, runtime }) => {
    if (config.seedOnStart && config.seedProductCount > 0 && (await countProducts(deps.database.pool)) === 0) {
      const n = await seedDemoCatalog(deps.database.pool, config.seedProductCount);
      runtime.logger.info({ products: n }, 'demo catalog seeded');
    }
    return { service: undefined };
  },
});

export const catalogApiModule = defineModule({
  name: 'catalog-api',
  deps: { database: databaseModule, http: httpServerModule },
  config: (c: CatalogConfig) => ({ lowStockThreshold: c.lowStockThreshold }),
  init: ({ config, deps }) => {
    catalogRoutes(deps.http.server, { pool: deps.database.pool, lowStockThreshold: config.lowStockThreshold });
    return { service: undefined };
  },
});
