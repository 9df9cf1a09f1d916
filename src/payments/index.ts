// Public surface of the payments context.
import path from 'node:path';
export { paymentProvidersModule, paymentsApiModule, paymentWorkersModule, providerAccounts, type PaymentProviders } from './payments-module.ts';
export * from './payment-jobs.ts';
export { payOrderAgain, payAgainLimits, PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE, type PayAgainRequest, type PayAgainResult } from './payment-retry.ts';
export { PaymentErrors } from './payment-errors.ts';
export { countDeadLetters, listDeadLetters, retryDeadLetter, type DeadLetter } from './dead-letters.ts';
export { paymentsConfig, type PaymentsConfig } from './payments-config.ts';
export { readPaymentLoad, type PaymentLoad } from './payment-load.ts';
export { paymentConcurrencyFor, paymentConcurrencyBounds, type ConcurrencyBounds } from './payment-concurrency.ts';

/** The payments context's numbered SQL migrations (its tables and functions). */
export const paymentsMigrations = path.join(import.meta.dirname, 'migrations');
