// Public surface of the inventory context.
import path from 'node:path';
export * from './inventory-service.ts';
export { InventoryErrors } from './inventory-errors.ts';

/** The inventory context's numbered SQL migrations (its tables and functions). */
export const inventoryMigrations = path.join(import.meta.dirname, 'migrations');
