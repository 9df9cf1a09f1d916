import { defineErrors } from '../platform/errors/domain-error.ts';

export const OrderErrors = defineErrors('orders', {
  ORDER_NOT_FOUND: { kind: 'not_found', message: 'No such order, or the access token does not match it.' },
  ORDER_TOKEN_REQUIRED: { kind: 'unauthenticated', message: 'This order needs its access token: Authorization: Bearer <accessToken>.' },
  ORDER_INVALID_TRANSITION: { kind: 'conflict', message: 'The order cannot move to that status from its current one.' },
});
