// Public surface of the checkout context.
import path from 'node:path';
export * from './checkout-service.ts';
export { CheckoutErrors } from './checkout-errors.ts';
export { checkoutModule } from './checkout-module.ts';
export { checkoutsTotal } from './checkout-metrics.ts';

/** The checkout context's numbered SQL migrations (its tables and functions). */
export const checkoutMigrations = path.join(import.meta.dirname, 'migrations');
