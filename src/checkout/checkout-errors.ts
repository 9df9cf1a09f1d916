import { defineErrors } from '../platform/http/app-error.ts';

export const CheckoutErrors = defineErrors('checkout', {
  CHECKOUT_IDEMPOTENCY_KEY_REQUIRED: { status: 400, message: 'POST /api/checkout needs an Idempotency-Key header.' },
  CHECKOUT_IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'The Idempotency-Key must be 1-255 printable ASCII characters.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used with a different request body.' },
  CHECKOUT_CART_EMPTY: { status: 422, message: 'The cart is empty.' },
  CHECKOUT_PRODUCT_UNAVAILABLE: { status: 422, message: 'A product in the cart is no longer for sale; remove it and try again.' },
});
