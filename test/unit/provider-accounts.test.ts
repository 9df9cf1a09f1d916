// A payments-only process finds the simulator where the psp role serves it: the same ports (including
// HOLDFAST_PSP_SECONDARY_PORT) and the same configured secret keys, from one function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadHoldfastConfig as loadConfig } from '../../src/app/holdfast-config.ts';
import { providerAccounts } from '../../src/payments/index.ts';
import { pspAccountsFromConfig, simulatorClientAccounts } from '../../src/psp/index.ts';

const env = {
  HOLDFAST_PSP_PORT: '4100',
  HOLDFAST_PSP_SECONDARY_PORT: '4300',
  HOLDFAST_PSP_PRIMARY_SECRET_KEY: 'sk_test_shop_one',
  HOLDFAST_PSP_SECONDARY_SECRET_KEY: 'sk_test_shop_two',
};
const configWith = (extra: Record<string, string> = {}) => loadConfig({ ...env, ...extra });

test('a payments-only process uses the configured simulator ports and secret keys', () => {
  const config = configWith();
  assert.deepEqual(providerAccounts(config), [
    { name: 'primary', baseUrl: 'http://127.0.0.1:4100', secretKey: 'sk_test_shop_one' },
    { name: 'secondary', baseUrl: 'http://127.0.0.1:4300', secretKey: 'sk_test_shop_two' },
  ]);
  // ... which are the ports and keys the psp role listens with.
  assert.deepEqual(
    pspAccountsFromConfig(config).map((a) => [a.name, a.port, a.secretKey]),
    providerAccounts(config).map((a) => [a.name, Number(new URL(a.baseUrl).port), a.secretKey]),
  );
});

test('no secondary account when the psp role runs none; bound URLs of an in-process psp role win', () => {
  assert.deepEqual(providerAccounts(configWith({ HOLDFAST_PSP_SECONDARY_ENABLED: 'false' })).map((a) => a.name), ['primary']);
  assert.deepEqual(simulatorClientAccounts(configWith(), { primary: 'http://127.0.0.1:41001', secondary: 'http://127.0.0.1:41002' }).map((a) => a.baseUrl),
    ['http://127.0.0.1:41001', 'http://127.0.0.1:41002']);
  // Providers configured explicitly replace the simulator.
  const real = [{ name: 'stripe', baseUrl: 'https://api.stripe.com', secretKey: 'sk_live_x' }];
  assert.deepEqual(providerAccounts(configWith({ HOLDFAST_PAYMENT_PROVIDERS: JSON.stringify(real) })), real);
  // The in-process simulator's bound accounts win over its configured ports.
  const bound = [{ name: 'primary', baseUrl: 'http://127.0.0.1:41001', secretKey: 'sk_test_shop_one' }];
  assert.deepEqual(providerAccounts(configWith(), bound), bound);
});
