// The cart's module: its JSON API.
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { cartRoutes } from './cart-routes.ts';

export const cartApiModule = defineModule({
  name: 'cart-api',
  deps: { database: databaseModule, http: httpServerModule },
  init: ({ deps }) => {
    cartRoutes(deps.http.server, { pool: deps.database.pool });
    return { service: undefined };
  },
});
