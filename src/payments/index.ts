// Public surface of the payments context.
export * from './payment-jobs.ts';
