import { defineErrors } from '../platform/http/app-error.ts';

export const CartErrors = defineErrors('cart', {
  CART_NOT_FOUND: { status: 404, message: 'No such cart.' },
  CART_LINE_NOT_FOUND: { status: 404, message: 'This product is not in the cart.' },
  CART_PRODUCT_UNAVAILABLE: { status: 422, message: 'This product does not exist or is not for sale.' },
  CART_CHECKED_OUT: { status: 409, message: 'This cart has already been checked out; start a new cart.' },
  CART_QUANTITY_LIMIT: { status: 422, message: 'At most 99 of one product per cart.' },
  CART_TOO_MANY_LINES: { status: 422, message: 'A cart holds at most 100 different products.' },
  CART_CURRENCY_MISMATCH: { status: 422, message: 'This product is priced in another currency than the cart.' },
});
