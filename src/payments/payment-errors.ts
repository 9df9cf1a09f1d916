import { defineErrors } from '../platform/http/app-error.ts';

export const PaymentErrors = defineErrors('payments', {
  PAYMENT_IN_PROGRESS: { status: 409, message: 'A payment for this order is in progress; try again shortly.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'No successful payment is recorded for this order.' },
  PROVIDER_UNAVAILABLE: { status: 503, message: 'The payment provider could not be reached; retry shortly.' },
  PAYMENT_NOT_RETRYABLE: { status: 409, message: 'Only an order whose payment was declined can be paid again; this one is not waiting for a new payment method.' },
  PAYMENT_DEADLINE_PASSED: { status: 409, message: 'The time to pay this order has passed and its items were released; place a new order.' },
  PAYMENT_IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used to pay this order with a different payment method.' },
  DEAD_LETTER_NOT_FOUND: { status: 404, message: 'No such dead-lettered payment job.' },
});
