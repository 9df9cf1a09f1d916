// The `storefront` module: the server-rendered pages (catalog, product, cart, checkout, order), with the
// storefront.cpu and storefront.latency faults on shopper requests. Its JSON API is the contexts' own
// modules (catalog-api, cart-api, checkout, ...), which the storefront target lists beside it.
import cookie from '@fastify/cookie';
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { faultsModule, installStorefrontFaults } from '../faults/index.ts';
import type { OrdersConfig } from '../orders/index.ts';
import type { CatalogConfig } from '../catalog/index.ts';
import { payAgainLimits, type PaymentsConfig } from '../payments/index.ts';
import { statusPageModule } from '../incidents/index.ts';
import { storefrontPages } from './storefront-pages.ts';
import { classifyStorefrontRequest } from './request-classes.ts';
import { setRequestClassifier } from '../platform/http/http-server.ts';
import { statusBannerHook } from './status-banner.ts';

export const storefrontModule = defineModule({
  name: 'storefront',
  deps: { database: databaseModule, queue: queueModule, http: httpServerModule, adminToken: adminTokenModule, faults: faultsModule, status: statusPageModule },
  config: (c: OrdersConfig & PaymentsConfig & CatalogConfig) => ({
    reservationTtlSeconds: c.reservationTtlSeconds, paymentRetryMaxAttempts: c.paymentRetryMaxAttempts, lowStockThreshold: c.lowStockThreshold,
  }),
  init: async ({ config, deps }) => {
    const server = deps.http.server;
    installStorefrontFaults(server, deps.faults);
    // The storefront role's requests, its JSON API included, are limited by class (when the limit is on).
    setRequestClassifier(server, classifyStorefrontRequest);
    // while checkout or payments are not operational, every page says so (and links to /status)
    server.addHook('onSend', statusBannerHook(() => deps.status.bannerHtml()));
    // The cart and order cookies are signed with the admin token's hash (a secret every replica shares).
    // Cookies are parsed on demand (see storefront-cookies.ts): only the cart, checkout and order pages
    // read them, so no other request pays for parsing its Cookie header.
    await server.register(cookie, { secret: deps.adminToken.sha256, hook: false });
    await storefrontPages(server, {
      pool: deps.database.pool, queue: deps.queue, reservationTtlSeconds: config.reservationTtlSeconds, payAgain: payAgainLimits(config),
      lowStockThreshold: config.lowStockThreshold,
    });
    return { service: undefined };
  },
});
