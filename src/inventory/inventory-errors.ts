import { defineErrors } from '../platform/errors/domain-error.ts';

export const InventoryErrors = defineErrors('inventory', {
  OUT_OF_STOCK: { kind: 'conflict', message: 'Not enough stock for this product.' },
  STOCK_BELOW_RESERVED: { kind: 'conflict', message: 'On-hand stock cannot be set below what open orders have reserved.' },
  STOCK_NOT_FOUND: { kind: 'not_found', message: 'No stock record for this product.' },
});
