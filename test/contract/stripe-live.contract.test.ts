// The Stripe contract suite against Stripe's test mode itself, to keep the simulator honest. Opt-in:
//
//   STRIPE_CONTRACT_SECRET_KEY=sk_test_... node --test test/contract/stripe-live.contract.test.ts
//
// (STRIPE_CONTRACT_BASE_URL overrides https://api.stripe.com.) Without a key it skips. Only test-mode
// keys are accepted: the suite creates and refunds charges.
import { test } from 'node:test';
import { stripeContract } from './stripe-contract.ts';

const secretKey = process.env.STRIPE_CONTRACT_SECRET_KEY;
if (!secretKey) {
  test('Stripe contract against Stripe test mode', { skip: 'set STRIPE_CONTRACT_SECRET_KEY=sk_test_... to run' }, () => {});
} else {
  if (!secretKey.startsWith('sk_test_')) throw new Error('STRIPE_CONTRACT_SECRET_KEY must be a test-mode key (sk_test_...)');
  stripeContract({ baseUrl: process.env.STRIPE_CONTRACT_BASE_URL ?? 'https://api.stripe.com', secretKey });
}
