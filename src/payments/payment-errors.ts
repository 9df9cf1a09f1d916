import { defineErrors } from '../platform/http/app-error.ts';

export const PaymentErrors = defineErrors('payments', {
  PAYMENT_IN_PROGRESS: { status: 409, message: 'A payment for this order is in progress; try again shortly.' },
  PAYMENT_NOT_FOUND: { status: 404, message: 'No successful payment is recorded for this order.' },
  PROVIDER_UNAVAILABLE: { status: 503, message: 'The payment provider could not be reached; retry shortly.' },
  DEAD_LETTER_NOT_FOUND: { status: 404, message: 'No such dead-lettered payment job.' },
});
