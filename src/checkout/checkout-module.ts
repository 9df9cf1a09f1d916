// The checkout's module: POST /api/checkout, and the purge of old idempotency records. It depends on the
// payment queue being declared: the checkout function enqueues the order's payment job itself.
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import type { OrdersConfig } from '../orders/index.ts';
import { checkoutRoutes } from './checkout-routes.ts';
import { startIdempotencyPurge } from './idempotency-purge.ts';

export const checkoutModule = defineModule({
  name: 'checkout',
  deps: { database: databaseModule, http: httpServerModule, queue: queueModule },
  config: (c: OrdersConfig) => ({ reservationTtlSeconds: c.reservationTtlSeconds }),
  init: ({ config, deps, runtime }) => {
    const pool = deps.database.pool;
    checkoutRoutes(deps.http.server, { pool, reservationTtlSeconds: config.reservationTtlSeconds });
    let purge: { stop(): void } | undefined;
    return {
      service: undefined,
      start: async () => { purge = startIdempotencyPurge(pool, runtime.logger); },
      stop: async () => { purge?.stop(); },
    };
  },
});
