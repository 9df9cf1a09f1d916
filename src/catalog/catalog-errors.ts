import { defineErrors } from '../platform/http/app-error.ts';

export const CatalogErrors = defineErrors('catalog', {
  PRODUCT_NOT_FOUND: { status: 404, message: 'No such product.' },
  PRODUCT_SLUG_TAKEN: { status: 409, message: 'Another product already uses this slug.' },
  PRODUCT_SKU_TAKEN: { status: 409, message: 'Another product already uses this SKU.' },
});
