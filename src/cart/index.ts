// Public surface of the cart context.
import path from 'node:path';
export * from './cart-service.ts';
export { CartErrors } from './cart-errors.ts';
export { cartApiModule } from './cart-module.ts';

/** The cart context's numbered SQL migrations (its tables and functions). */
export const cartMigrations = path.join(import.meta.dirname, 'migrations');
