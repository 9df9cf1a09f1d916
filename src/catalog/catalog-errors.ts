import { defineErrors } from '../platform/errors/domain-error.ts';

export const CatalogErrors = defineErrors('catalog', {
  PRODUCT_NOT_FOUND: { kind: 'not_found', message: 'No such product.' },
  PRODUCT_SLUG_TAKEN: { kind: 'conflict', message: 'Another product already uses this slug.' },
  PRODUCT_SKU_TAKEN: { kind: 'conflict', message: 'Another product already uses this SKU.' },
});
