// The one configuration of `holdfast`: platform's slices and every context's, composed into one typed
// schema (docs/configuration.md is generated from it: npm run docs:config). Keys stay flat, as in the
// config file and the environment; each module takes only its slice (see holdfast-modules.ts).
import { composeConfig, loadConfig, type ConfigOfComposed, type LoadOptions } from '../platform/config/config.ts';
import { serverConfig, concurrencyLimitConfig, databaseConfig, adminTokenConfig, telemetryConfig } from '../platform/config/platform-config.ts';
import { catalogConfig } from '../catalog/index.ts';
import { ordersConfig } from '../orders/index.ts';
import { pspConfig } from '../psp/index.ts';
import { faultsConfig } from '../faults/index.ts';
import { paymentsConfig } from '../payments/index.ts';
import { controlConfig } from '../control/index.ts';
import { waitingRoomConfig } from '../waiting-room/index.ts';
import { autoscalerConfig } from '../autoscaler/index.ts';
import { incidentsConfig } from '../incidents/index.ts';
import { opsConsoleConfig } from '../ops-console/index.ts';

export const holdfastConfig = composeConfig(
  serverConfig, concurrencyLimitConfig, databaseConfig, adminTokenConfig, telemetryConfig,
  catalogConfig, ordersConfig, pspConfig, faultsConfig, paymentsConfig, controlConfig, waitingRoomConfig, autoscalerConfig,
  incidentsConfig, opsConsoleConfig,
);

export type Config = ConfigOfComposed<typeof holdfastConfig>;

/** The configuration from defaults, HOLDFAST_CONFIG's file and the environment; a ConfigError lists every problem. */
export function loadHoldfastConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}, opts: LoadOptions = {}): Config {
  return loadConfig(holdfastConfig, env, overrides, opts);
}
