// Public surface of the payments context.
export * from './payment-jobs.ts';
export { payOrderAgain, type PayAgainRequest, type PayAgainResult } from './payment-retry.ts';
export { PaymentErrors } from './payment-errors.ts';
