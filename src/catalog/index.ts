// Public surface of the catalog context.
import path from 'node:path';

/** The catalog's own migrations (the products table itself came with the first, commerce-core, migration). */
export const catalogMigrations = path.join(import.meta.dirname, 'migrations');
export * from './catalog-service.ts';
export * from './product-availability.ts';
export { CatalogErrors } from './catalog-errors.ts';
export { catalogConfig, type CatalogConfig } from './catalog-config.ts';
export { generateDemoCatalog, seedDemoCatalog } from './demo-catalog.ts';
export { demoCatalogModule, catalogApiModule } from './catalog-module.ts';
export { ProductSchema } from './catalog-routes.ts';
