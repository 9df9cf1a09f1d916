// The admin API's module: products, stock and orders, behind the admin token.
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { adminRoutes } from './admin-routes.ts';

export const adminApiModule = defineModule({
  name: 'admin-api',
  deps: { database: databaseModule, http: httpServerModule, adminToken: adminTokenModule },
  init: ({ deps }) => {
    adminRoutes(deps.http.server, { pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256 });
    return { service: undefined };
  },
});
