import { defineErrors } from '../platform/http/app-error.ts';

export const InventoryErrors = defineErrors('inventory', {
  OUT_OF_STOCK: { status: 409, message: 'Not enough stock for this product.' },
  STOCK_BELOW_RESERVED: { status: 409, message: 'On-hand stock cannot be set below what open orders have reserved.' },
  STOCK_NOT_FOUND: { status: 404, message: 'No stock record for this product.' },
});
