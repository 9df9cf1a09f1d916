import { defineErrors } from '../platform/errors/domain-error.ts';

export const PaymentErrors = defineErrors('payments', {
  PAYMENT_IN_PROGRESS: { kind: 'conflict', message: 'A payment for this order is in progress; try again shortly.' },
  PAYMENT_NOT_FOUND: { kind: 'not_found', message: 'No successful payment is recorded for this order.' },
  PROVIDER_UNAVAILABLE: { kind: 'unavailable', message: 'The payment provider could not be reached; retry shortly.' },
  PAYMENT_NOT_RETRYABLE: { kind: 'conflict', message: 'Only an order whose payment was declined can be paid again; this one is not waiting for a new payment method.' },
  PAYMENT_DEADLINE_PASSED: { kind: 'conflict', message: 'The time to pay this order is over (or too short for a payment to go through before its deadline); its items are released at the deadline. Place a new order.' },
  // A conflict (409), not a rate limit (429): the limit is the order's, for good; waiting would not lift it.
  PAYMENT_ATTEMPTS_EXHAUSTED: { kind: 'conflict', message: 'This order has been tried with as many payment methods as one order can be; it cannot be paid again. Nothing was charged; place a new order.' },
  PAYMENT_IDEMPOTENCY_KEY_REUSED: { kind: 'rejected', message: 'This Idempotency-Key was already used to pay this order with a different payment method.' },
  DEAD_LETTER_NOT_FOUND: { kind: 'not_found', message: 'No such dead-lettered payment job.' },
});
