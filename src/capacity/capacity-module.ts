// The `capacity` module (storefront role, beside the other ops and admin APIs): the capacity history in
// PostgreSQL and its routes. Peak readiness reads the scaling policy the autoscaler runs by (the same
// HOLDFAST_SCALING_POLICY, or the built-in policy) and the waiting room's configured session length.
import { availableParallelism } from 'node:os';
import { defineModule } from '../platform/modules/module-manager.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import type { DatabaseConfig } from '../platform/config/platform-config.ts';
import { holdfastVersion } from '../changes/index.ts';
import { defaultScalingPolicy, loadScalingPolicy, localMaxReplicas, scheduleActive, type AutoscalerConfig, type ScalingPolicy } from '../autoscaler/index.ts';
import type { PspConfig } from '../psp/index.ts';
import type { WaitingRoomConfig } from '../waiting-room/index.ts';
import { capacityRoutes } from './capacity-routes.ts';
import { peakReadiness, roleForBottleneck, type ScalingLimits } from './peak-readiness.ts';
import type { CapacityRun } from './capacity-history.ts';

const DEFAULT_SESSION_SECONDS = 300;

/** The scaling limits of the role that carries a run's capacity, at a moment (for the pre-scaling windows then open). */
export function scalingLimitsFor(policy: ScalingPolicy, run: CapacityRun | null, at: Date, cpus = availableParallelism()): ScalingLimits {
  const role = roleForBottleneck(run);
  const r = policy.roles[role];
  const open = r.schedules.filter((s) => scheduleActive(s, at.getTime()));
  return {
    role, maxReplicas: r.maxReplicas, localMaxReplicas: localMaxReplicas(r, cpus),
    scheduledMinReplicas: Math.max(r.minReplicas, ...open.map((s) => s.minReplicas)), scheduledWindows: open.map((s) => s.name),
  };
}

export const capacityModule = defineModule({
  name: 'capacity',
  deps: { http: httpServerModule, adminToken: adminTokenModule, database: databaseModule, migrations: migrationsModule },
  config: (c: Pick<AutoscalerConfig, 'scalingPolicyFile'> & Pick<DatabaseConfig, 'dbPoolMax'> & Pick<PspConfig, 'pspDbPoolMax'> & Pick<WaitingRoomConfig, 'waitingRoom'>) => ({
    scalingPolicyFile: c.scalingPolicyFile, pools: { dbPoolMax: c.dbPoolMax, pspDbPoolMax: c.pspDbPoolMax },
    sessionDurationSeconds: typeof c.waitingRoom.sessionDurationSeconds === 'number' ? c.waitingRoom.sessionDurationSeconds : DEFAULT_SESSION_SECONDS,
  }),
  check: ({ config }) => (config.scalingPolicyFile ? loadScalingPolicy(config.scalingPolicyFile, { pools: config.pools }) : defaultScalingPolicy()),
  init: ({ config, deps, checked: policy }) => {
    capacityRoutes(deps.http.server, {
      pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256, version: holdfastVersion,
      readiness: ({ latest, peakJourneysPerSec, at }) => peakReadiness({
        latest, peakJourneysPerSec, at, now: new Date(), limits: scalingLimitsFor(policy, latest, at), sessionDurationSeconds: config.sessionDurationSeconds,
      }),
    });
    return { service: undefined, start: async () => {}, stop: async () => {} };
  },
});
