// The orders' module: the shopper's order API (GET /api/orders/:id).
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { orderRoutes } from './order-routes.ts';

export const ordersApiModule = defineModule({
  name: 'orders-api',
  deps: { database: databaseModule, http: httpServerModule },
  init: ({ deps }) => {
    orderRoutes(deps.http.server, { pool: deps.database.pool });
    return { service: undefined };
  },
});
