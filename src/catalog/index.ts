// Public surface of the catalog context.
export * from './catalog-service.ts';
export { CatalogErrors } from './catalog-errors.ts';
export { generateDemoCatalog, seedDemoCatalog } from './demo-catalog.ts';
