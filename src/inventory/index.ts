// Public surface of the inventory context.
export * from './inventory-service.ts';
export { InventoryErrors } from './inventory-errors.ts';
