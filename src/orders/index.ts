// Public surface of the orders context.
import path from 'node:path';
export * from './order-service.ts';
export * from './order-state-machine.ts';
export { OrderErrors } from './order-errors.ts';
export { ordersApiModule } from './orders-module.ts';
export { OrderSchema } from './order-routes.ts';
export { ordersConfig, type OrdersConfig } from './orders-config.ts';

/** The orders context's numbered SQL migrations (its tables and functions). */
export const ordersMigrations = path.join(import.meta.dirname, 'migrations');
