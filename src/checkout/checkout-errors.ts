import { defineErrors } from '../platform/errors/domain-error.ts';

export const CheckoutErrors = defineErrors('checkout', {
  CHECKOUT_IDEMPOTENCY_KEY_REQUIRED: { kind: 'invalid', message: 'POST /api/checkout needs an Idempotency-Key header.' },
  CHECKOUT_IDEMPOTENCY_KEY_INVALID: { kind: 'invalid', message: 'The Idempotency-Key must be 1-255 printable ASCII characters.' },
  IDEMPOTENCY_KEY_REUSED: { kind: 'rejected', message: 'This Idempotency-Key was already used with a different request body.' },
  CHECKOUT_CART_EMPTY: { kind: 'rejected', message: 'The cart is empty.' },
  CHECKOUT_PRODUCT_UNAVAILABLE: { kind: 'rejected', message: 'A product in the cart is no longer for sale; remove it and try again.' },
});
