import { defineErrors } from '../platform/http/app-error.ts';

export const PaymentErrors = defineErrors('payments', {
  PAYMENT_IN_PROGRESS: { status: 409, message: 'A payment for this order is in progress; try again shortly.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'No successful payment is recorded for this order.' },
  PROVIDER_UNAVAILABLE: { status: 503, message: 'The payment provider could not be reached; retry shortly.' },
  PAYMENT_NOT_RETRYABLE: { status: 409, message: 'Only an order whose payment was declined can be paid again; this one is not waiting for a new payment method.' },
  PAYMENT_DEADLINE_PASSED: { status: 409, message: 'The time to pay this order is over (or too short for a payment to go through before its deadline); its items are released at the deadline. Place a new order.' },
  // 409, not 429: the limit is the order's, for good; waiting (what a 429 asks) would not lift it.
  PAYMENT_ATTEMPTS_EXHAUSTED: { status: 409, message: 'This order has been tried with as many payment methods as one order can be; it cannot be paid again. Nothing was charged; place a new order.' },
  PAYMENT_IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was already used to pay this order with a different payment method.' },
  DEAD_LETTER_NOT_FOUND: { status: 404, message: 'No such dead-lettered payment job.' },
});
