import { defineErrors } from '../platform/errors/domain-error.ts';

export const CartErrors = defineErrors('cart', {
  CART_NOT_FOUND: { kind: 'not_found', message: 'No such cart.' },
  CART_LINE_NOT_FOUND: { kind: 'not_found', message: 'This product is not in the cart.' },
  CART_PRODUCT_UNAVAILABLE: { kind: 'rejected', message: 'This product does not exist or is not for sale.' },
  CART_CHECKED_OUT: { kind: 'conflict', message: 'This cart has already been checked out; start a new cart.' },
  CART_QUANTITY_LIMIT: { kind: 'rejected', message: 'At most 99 of one product per cart.' },
  CART_TOO_MANY_LINES: { kind: 'rejected', message: 'A cart holds at most 100 different products.' },
  CART_CURRENCY_MISMATCH: { kind: 'rejected', message: 'This product is priced in another currency than the cart.' },
});
