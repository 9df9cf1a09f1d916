import { defineErrors } from '../platform/http/app-error.ts';

export const OrderErrors = defineErrors('orders', {
  ORDER_NOT_FOUND: { status: 404, message: 'No such order, or the access token does not match it.' },
  ORDER_TOKEN_REQUIRED: { status: 401, message: 'This order needs its access token: Authorization: Bearer <accessToken>.' },
  ORDER_INVALID_TRANSITION: { status: 409, message: 'The order cannot move to that status from its current one.' },
});
