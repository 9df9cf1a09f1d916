// The catalog's settings: the generated demo catalog, and when a listing calls stock low.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const catalogConfig = defineConfigSlice({
  seedProductCount: Type.Integer({ description: 'Size of the generated demo catalog', default: 1200, minimum: 0, maximum: 1_000_000 }),
  seedOnStart: Type.Boolean({ description: 'Seed the demo catalog when the database has no products', default: true }),
  lowStockThreshold: Type.Integer({ description: 'A product with this many units or fewer left (and more than none) is shown as low stock ("Only 3 left")', default: 10, minimum: 0, maximum: 1_000_000 }),
}, {
  HOLDFAST_SEED_PRODUCTS: 'seedProductCount',
  HOLDFAST_SEED_ON_START: 'seedOnStart',
  HOLDFAST_LOW_STOCK_THRESHOLD: 'lowStockThreshold',
});

export type CatalogConfig = SliceConfig<typeof catalogConfig>;
