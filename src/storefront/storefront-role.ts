// The storefront role: the shop's JSON API, admin API and server-rendered pages, plus housekeeping
// (old idempotency records). Unpaid orders are canceled by the payments role, which knows whether a
// payment is still in flight.
import type pg from 'pg';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { RouteDeps } from '../platform/http/deps.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import { catalogRoutes } from '../catalog/catalog-routes.ts';
import { cartRoutes } from '../cart/cart-routes.ts';
import { checkoutRoutes } from '../checkout/checkout-routes.ts';
import { orderRoutes } from '../orders/order-routes.ts';
import { adminRoutes } from '../admin/admin-routes.ts';
import { faultRoutes } from '../faults/index.ts';
import { paymentAdminRoutes } from '../payments/payment-routes.ts';
import { orderPaymentRoutes } from '../payments/order-payment-routes.ts';
import { purgeIdempotencyRecords } from '../checkout/index.ts';
import { storefrontPages } from './storefront-pages.ts';

export async function registerStorefront(app: HttpServer, deps: RouteDeps): Promise<void> {
  catalogRoutes(app, deps);
  cartRoutes(app, deps);
  checkoutRoutes(app, deps);
  orderRoutes(app, deps);
  orderPaymentRoutes(app, deps);
  adminRoutes(app, deps);
  faultRoutes(app, deps);
  paymentAdminRoutes(app, deps);
  await storefrontPages(app, deps);
}

/** Old idempotency records are purged about once an hour. */
const PURGE_EVERY_MS = 3_600_000;

export function startStorefrontHousekeeping(pool: pg.Pool, logger: Logger, everyMs = 5000): { stop(): void } {
  const failures = new FailureRun(logger, 'storefront housekeeping');
  let running = false;
  let lastPurge = 0;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      if (Date.now() - lastPurge > PURGE_EVERY_MS) {
        await purgeIdempotencyRecords(pool);
        // Only a purge that happened counts: a failed one (the database away) is tried again next tick.
        lastPurge = Date.now();
        failures.succeeded();
      }
    } catch (err) {
      failures.failed(err);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
