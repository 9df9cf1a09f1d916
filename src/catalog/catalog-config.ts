// The catalog's settings: the generated demo catalog.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const catalogConfig = defineConfigSlice({
  seedProductCount: Type.Integer({ description: 'Size of the generated demo catalog', default: 1200, minimum: 0, maximum: 1_000_000 }),
  seedOnStart: Type.Boolean({ description: 'Seed the demo catalog when the database has no products', default: true }),
}, {
  HOLDFAST_SEED_PRODUCTS: 'seedProductCount',
  HOLDFAST_SEED_ON_START: 'seedOnStart',
});

export type CatalogConfig = SliceConfig<typeof catalogConfig>;
