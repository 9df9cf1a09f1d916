// The `capacity` module (storefront role, beside the other ops and admin APIs): the capacity history in
// PostgreSQL and its routes. Peak readiness reads the scaling policy the autoscaler runs by (the same
// HOLDFAST_SCALING_POLICY, or the built-in policy), the waiting room's configured session length, and the
// autoscaler's capacity headroom (to say which target the autoscaler takes from the run).
import { availableParallelism } from 'node:os';
import { defineModule } from '../platform/modules/module-manager.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import type { DatabaseConfig } from '../platform/config/platform-config.ts';
import type { Queryable } from '../platform/db/database.ts';
import { holdfastVersion } from '../changes/index.ts';
import {
  defaultScalingPolicy, loadScalingPolicy, localMaxReplicas, policyWithCapacityTargets, scheduleActive,
  type AutoscalerConfig, type MeasuredCapacity, type ScalingPolicy,
} from '../autoscaler/index.ts';
import type { PspConfig } from '../psp/index.ts';
import { capacityRoutes } from './capacity-routes.ts';
import { capacityPerReplica, peakReadiness, roleForBottleneck, waitingRoomLimitsFor, type ScalingLimits, type WaitingRoomLimits } from './peak-readiness.ts';
import type { CapacityRun } from './capacity-history.ts';
import { latestCapacityRun } from './capacity-service.ts';

const DEFAULT_SESSION_SECONDS = 300;

/** The scaling limits of the role that carries a run's capacity (capacityPerReplica's), at a moment (for the pre-scaling windows then open). */
export function scalingLimitsFor(policy: ScalingPolicy, run: CapacityRun | null, at: Date, cpus = availableParallelism()): ScalingLimits {
  const role = run ? capacityPerReplica(run).role : 'storefront';
  const r = policy.roles[role];
  const open = r.schedules.filter((s) => scheduleActive(s, at.getTime()));
  return {
    role, maxReplicas: r.maxReplicas, localMaxReplicas: localMaxReplicas(r, cpus),
    scheduledMinReplicas: Math.max(r.minReplicas, ...open.map((s) => s.minReplicas)), scheduledWindows: open.map((s) => s.name),
  };
}

/** The waiting room's limits from the latest recorded run at the policy's maximum replicas, as peak readiness computes them; null without a run that found a sustainable rate. */
export async function latestWaitingRoomLimits(db: Queryable, policy: ScalingPolicy, sessionDurationSeconds: number, now = new Date()): Promise<(WaitingRoomLimits & { runId: number }) | null> {
  const latest = await latestCapacityRun(db);
  const perReplica = latest ? capacityPerReplica(latest).journeysPerSec : null;
  if (!latest || !perReplica) return null;
  const limits = scalingLimitsFor(policy, latest, now);
  return { runId: latest.id, ...waitingRoomLimitsFor(perReplica * limits.maxReplicas, sessionDurationSeconds) };
}

/**
 * The latest recorded run as the autoscaler takes its storefront target from it
 * (HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY): requests per second per replica, and the role its bottleneck was in.
 */
export async function latestMeasuredCapacity(db: Queryable): Promise<MeasuredCapacity | null> {
  const latest = await latestCapacityRun(db);
  return latest ? measuredCapacityOf(latest) : null;
}

function measuredCapacityOf(run: CapacityRun): MeasuredCapacity {
  return {
    runId: run.id, recordedAt: run.recordedAt, role: roleForBottleneck(run), bottleneck: run.bottleneck?.message ?? null,
    requestsPerSecondPerReplica: run.sustainableRequestsPerSec === null ? null : run.sustainableRequestsPerSec / Math.max(1, run.replicas),
  };
}

/** Peak readiness against the scaling policy: the capacity module's judge of a forecast peak. */
export function readinessUnder(policy: ScalingPolicy, opts: { sessionDurationSeconds: number; capacityHeadroom: number }) {
  return ({ latest, peakJourneysPerSec, at }: { latest: CapacityRun | null; peakJourneysPerSec: number; at: Date }) => peakReadiness({
    latest, peakJourneysPerSec, at, now: new Date(), limits: scalingLimitsFor(policy, latest, at), sessionDurationSeconds: opts.sessionDurationSeconds,
    autoscalerTarget: latest ? policyWithCapacityTargets(policy, measuredCapacityOf(latest), opts.capacityHeadroom).targets : null,
  });
}

export interface CapacityService {
  /** The waiting room's limits that follow from the latest recorded run at the policy's maximum replicas (null: no run with a sustainable rate). */
  waitingRoomLimits(sessionDurationSeconds?: number): Promise<(WaitingRoomLimits & { runId: number }) | null>;
}

export const capacityModule = defineModule({
  name: 'capacity',
  deps: { http: httpServerModule, adminToken: adminTokenModule, database: databaseModule, migrations: migrationsModule },
  // The waiting room's settings are read by their JSON name, not its config type: the waiting room takes its
  // limits from here (HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY), so it depends on this context, not the reverse.
  config: (c: Pick<AutoscalerConfig, 'scalingPolicyFile' | 'autoscalerCapacityHeadroom'> & Pick<DatabaseConfig, 'dbPoolMax'> & Pick<PspConfig, 'pspDbPoolMax'> & { waitingRoom: Record<string, unknown> }) => ({
    scalingPolicyFile: c.scalingPolicyFile, pools: { dbPoolMax: c.dbPoolMax, pspDbPoolMax: c.pspDbPoolMax }, capacityHeadroom: c.autoscalerCapacityHeadroom,
    sessionDurationSeconds: typeof c.waitingRoom.sessionDurationSeconds === 'number' ? c.waitingRoom.sessionDurationSeconds : DEFAULT_SESSION_SECONDS,
  }),
  check: ({ config }) => (config.scalingPolicyFile ? loadScalingPolicy(config.scalingPolicyFile, { pools: config.pools }) : defaultScalingPolicy()),
  init: ({ config, deps, checked: policy }) => {
    capacityRoutes(deps.http.server, {
      pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256, version: holdfastVersion,
      readiness: readinessUnder(policy, config),
    });
    const service: CapacityService = {
      waitingRoomLimits: (sessionDurationSeconds = config.sessionDurationSeconds) => latestWaitingRoomLimits(deps.database.pool, policy, sessionDurationSeconds),
    };
    return { service, start: async () => {}, stop: async () => {} };
  },
});
