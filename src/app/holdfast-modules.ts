// Holdfast's composition root: every module of the program, the targets (roles) that run them, and the
// values modules get from the root besides the configuration. Modules are declared in their own folders
// (platform's mechanisms, each context's services); start order comes from their declared dependencies,
// never from the order of these lists. Adding a module is one line here (in MODULES, and in a role when
// the role should run it) plus its own folder. See docs/architecture.md.
import { withOptions, type ModuleFor, type ModuleOptions } from '../platform/modules/module-manager.ts';
import { telemetryModule } from '../platform/observability/telemetry-module.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { adminTokenModule, adminTokenMigrations } from '../platform/admin-token/admin-token-module.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { demoCatalogModule, catalogApiModule, catalogMigrations } from '../catalog/index.ts';
import { cartApiModule, cartMigrations } from '../cart/index.ts';
import { checkoutModule, checkoutMigrations } from '../checkout/index.ts';
import { ordersApiModule, ordersMigrations } from '../orders/index.ts';
import { inventoryMigrations } from '../inventory/index.ts';
import { adminApiModule } from '../admin/index.ts';
import { faultsModule, faultsApiModule, faultsMigrations } from '../faults/index.ts';
import { pspModule, pspMigrations } from '../psp/index.ts';
import { paymentProvidersModule, paymentsApiModule, paymentWorkersModule, paymentQueueDefinitions, paymentsMigrations } from '../payments/index.ts';
import { controlModule } from '../control/index.ts';
import { autoscalerModule } from '../autoscaler/index.ts';
import { changesModule, changesApiModule, changesMigrations } from '../changes/index.ts';
import { storefrontModule } from '../storefront/index.ts';
import { waitingRoomModule, waitingRoomMigrations } from '../waiting-room/index.ts';
import { incidentsModule, statusPageModule, incidentsMigrations } from '../incidents/index.ts';
import { capacityModule, capacityMigrations, latestMeasuredCapacity } from '../capacity/index.ts';
import { opsConsoleModule, opsConsoleMigrations } from '../ops-console/index.ts';
import type { Config } from './holdfast-config.ts';

/** Every module of `holdfast`; each reads a slice of Config (checked here by the type). */
export const MODULES: readonly ModuleFor<Config>[] = [
  // platform
  telemetryModule, databaseModule, migrationsModule, adminTokenModule, queueModule, httpServerModule,
  // contexts
  changesModule, changesApiModule, demoCatalogModule, catalogApiModule, cartApiModule, checkoutModule, ordersApiModule, adminApiModule,
  faultsModule, faultsApiModule, pspModule,
  paymentProvidersModule, paymentsApiModule, paymentWorkersModule,
  storefrontModule, waitingRoomModule, statusPageModule, controlModule, autoscalerModule, incidentsModule, capacityModule,
  opsConsoleModule,
];

const ROLES = {
  storefront: [changesModule, waitingRoomModule, storefrontModule, statusPageModule, demoCatalogModule, catalogApiModule, cartApiModule, checkoutModule, ordersApiModule, paymentsApiModule, adminApiModule, faultsApiModule, capacityModule],
  payments: [changesModule, paymentWorkersModule],
  psp: [changesModule, pspModule],
  control: [changesModule, changesApiModule, controlModule, autoscalerModule, incidentsModule, opsConsoleModule],
} satisfies Record<string, readonly ModuleFor<Config>[]>;

export const ROLE_TARGETS = Object.keys(ROLES) as (keyof typeof ROLES)[];

/** The roles, one per process (as on Kubernetes), and `all`: every role in one process. */
export const TARGETS: Readonly<Record<string, readonly ModuleFor<Config>[]>> = { ...ROLES, all: [...new Set(Object.values(ROLES).flat())] };

/** Each owner's folder of numbered migrations (applied in one global order of their numbers). */
export const MIGRATION_FOLDERS: readonly string[] = [
  adminTokenMigrations, ordersMigrations, inventoryMigrations, cartMigrations, checkoutMigrations,
  paymentsMigrations, pspMigrations, faultsMigrations, changesMigrations, waitingRoomMigrations, incidentsMigrations,
  capacityMigrations, opsConsoleMigrations, catalogMigrations,
];

/** What the root gives modules besides the configuration: the migration folders, the queues the program declares. */
export function rootOptions(config: Config): ModuleOptions[] {
  return [
    withOptions(migrationsModule, { folders: MIGRATION_FOLDERS }),
    // the autoscaler's targets from the measured capacity (HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY): the
    // capacity context depends on the autoscaler's, so the reader is handed over here
    withOptions(autoscalerModule, { measuredCapacity: latestMeasuredCapacity }),
    withOptions(queueModule, {
      queues: paymentQueueDefinitions({
        retryLimit: config.paymentJobRetryLimit, retryDelaySeconds: config.paymentJobRetryDelaySeconds,
        expireInSeconds: config.paymentJobExpireSeconds, heartbeatSeconds: config.paymentJobHeartbeatSeconds,
      }),
    }),
  ];
}
