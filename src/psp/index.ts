// Public surface of the payment provider simulator (the `psp` role): a Stripe-compatible API for the
// PaymentIntents subset, on its own port(s), with a real ledger in PostgreSQL (schema psp).
import path from 'node:path';
export { pspModule, pspAccountsFromConfig, simulatorClientAccounts, PSP_ACCOUNT_IDS, type PspService, type PspAccountEndpoint, type SimulatorClientAccount } from './psp-module.ts';
export { createPspServer, presentedKey, type PspServer, type PspServerOptions } from './psp-server.ts';
export { DEFAULT_API_VERSION, type PspAccount } from './psp-service.ts';
export {
  listSucceededCharges, countSucceededCharges, succeededChargesByOrder, ledgerSummary,
  type LedgerCharge, type LedgerQuery, type OrderCharges, type LedgerSummaryRow,
} from './psp-ops.ts';
export { testCard, testCardTokens, type TestCard, type CardOutcome } from './test-payment-methods.ts';
export { parseStripeForm, encodeStripeForm } from './stripe-form.ts';
export { purgeIdempotencyKeys } from './psp-idempotency.ts';
export { pspConfig, type PspConfig } from './psp-config.ts';

/** The psp context's numbered SQL migrations (its tables and functions). */
export const pspMigrations = path.join(import.meta.dirname, 'migrations');
