// Public surface of the payments context.
export { paymentProvidersModule, paymentsApiModule, paymentWorkersModule, providerAccounts, type PaymentProviders } from './payments-module.ts';
export * from './payment-jobs.ts';
export { payOrderAgain, payAgainLimits, PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE, type PayAgainRequest, type PayAgainResult } from './payment-retry.ts';
export { PaymentErrors } from './payment-errors.ts';
export { paymentsConfig, type PaymentsConfig } from './payments-config.ts';
