// The payment provider simulator's settings: its accounts (ports, secret keys) and its ledger pool.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const pspConfig = defineConfigSlice({
  pspPort: Type.Integer({ description: 'Provider simulator, primary account', default: 3100, minimum: 0, maximum: 65535 }),
  // Provider simulator (src/psp): a primary and an optional secondary account, each on its own port
  // with its own secret key. The secondary port defaults to pspPort + 1 (0 when pspPort is 0).
  pspSecondaryEnabled: Type.Boolean({ description: 'Run the simulator secondary account too', default: true }),
  pspSecondaryPort: Type.Optional(Type.Integer({ description: 'Simulator secondary account (default pspPort + 1)', minimum: 0, maximum: 65535 })),
  pspPrimarySecretKey: Type.String({ description: 'Secret key of the simulator primary account', default: 'sk_test_holdfast_primary', pattern: '^sk_test_[A-Za-z0-9_]{4,200}$' }),
  pspSecondarySecretKey: Type.String({ description: 'Secret key of the simulator secondary account', default: 'sk_test_holdfast_secondary', pattern: '^sk_test_[A-Za-z0-9_]{4,200}$' }),
  pspDbPoolMax: Type.Integer({ description: 'Connections of the simulator ledger pool', default: 10, minimum: 1, maximum: 500 }),
}, {
  HOLDFAST_PSP_PORT: 'pspPort',
  HOLDFAST_PSP_SECONDARY_ENABLED: 'pspSecondaryEnabled',
  HOLDFAST_PSP_SECONDARY_PORT: 'pspSecondaryPort',
  HOLDFAST_PSP_PRIMARY_SECRET_KEY: 'pspPrimarySecretKey',
  HOLDFAST_PSP_SECONDARY_SECRET_KEY: 'pspSecondarySecretKey',
  HOLDFAST_PSP_DB_POOL_MAX: 'pspDbPoolMax',
});

export type PspConfig = SliceConfig<typeof pspConfig>;
