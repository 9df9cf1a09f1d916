// The `autoscaler` module (control role): the scaling policy (HOLDFAST_SCALING_POLICY, or the built-in one)
// checked before anything starts; the autoscaler loop; GET /api/ops/scaling. Under `holdfast start
// --autoscale` it talks to the supervisor over the IPC channel (src/platform/process/supervision.ts): it
// receives the replicas running and the restarts, records those as change events and counts them, and
// sends the replicas each role should run. With HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY, the storefront's
// request-rate target comes from the latest recorded capacity run (capacity-targets.ts), read through the
// `measuredCapacity` option the composition root gives (the capacity context depends on this one).
import { availableParallelism } from 'node:os';
import { defineModule } from '../platform/modules/module-manager.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import { query, type Queryable } from '../platform/db/database.ts';
import { isSupervised, onSupervisorMessage, sendToSupervisor, type SupervisorToChild } from '../platform/process/supervision.ts';
import type { DatabaseConfig } from '../platform/config/platform-config.ts';
import { changesModule } from '../changes/index.ts';
import { paymentConcurrencyBounds, paymentConcurrencyFor, readPaymentLoad, type PaymentsConfig } from '../payments/index.ts';
import type { PspConfig } from '../psp/index.ts';
import type { AutoscalerConfig } from './autoscaler-config.ts';
import { Autoscaler, type SupervisorView } from './autoscaler.ts';
import { autoscalerRoutes } from './autoscaler-routes.ts';
import { AutoscalerQueries } from './autoscaler-queries.ts';
import { supervisorRestarts } from './autoscaler-metrics.ts';
import { defaultScalingPolicy, loadScalingPolicy } from './scaling-policy.ts';
import { policyWithCapacityTargets, type MeasuredCapacity } from './capacity-targets.ts';

export const autoscalerModule = defineModule({
  name: 'autoscaler',
  deps: { http: httpServerModule, adminToken: adminTokenModule, database: databaseModule, queue: queueModule, changes: changesModule },
  config: (c: AutoscalerConfig & Pick<DatabaseConfig, 'dbPoolMax'> & Pick<PspConfig, 'pspDbPoolMax'> & Pick<PaymentsConfig, 'paymentWorkerConcurrency' | 'providerSlowCallMs' | 'providerMaxConcurrent' | 'providerRateLimitPerSecond'>) => ({
    scalingPolicyFile: c.scalingPolicyFile, intervalMs: c.autoscalerIntervalMs, windowSeconds: c.autoscalerMetricWindowSeconds, recentWindowSeconds: c.autoscalerRecentWindowSeconds,
    pools: { dbPoolMax: c.dbPoolMax, pspDbPoolMax: c.pspDbPoolMax }, concurrency: paymentConcurrencyBounds(c),
    targetsFromCapacity: c.autoscalerTargetsFromCapacity, capacityHeadroom: c.autoscalerCapacityHeadroom,
  }),
  options: { measuredCapacity: undefined as ((db: Queryable) => Promise<MeasuredCapacity | null>) | undefined },
  check: ({ config }) => (config.scalingPolicyFile ? loadScalingPolicy(config.scalingPolicyFile, { pools: config.pools }) : defaultScalingPolicy()),
  init: ({ config, deps, runtime, options, checked: policy }) => {
    const logger = runtime.logger.child({ component: 'autoscaler' });
    const { pool } = deps.database;
    let view: SupervisorView | undefined;
    const record = (m: Extract<SupervisorToChild, { type: 'holdfast:replica-exited' | 'holdfast:replica-restarted' }>) => {
      if (m.type === 'holdfast:replica-exited') {
        supervisorRestarts.inc({ role: m.role });
        const how = m.signal ? `killed by ${m.signal}` : `exit code ${m.code}`;
        return deps.changes.record({
          kind: 'process.exited', subject: m.role, source: 'supervisor',
          summary: `${m.replica} (pid ${m.pid}) exited unasked (${how}); restart in ${m.restartInMs} ms`,
          details: { replica: m.replica, pid: m.pid, code: m.code, signal: m.signal, restartInMs: m.restartInMs, restarts: m.restarts, at: new Date(m.atMs).toISOString() },
        });
      }
      return deps.changes.record({
        kind: 'process.restarted', subject: m.role, source: 'supervisor',
        summary: `${m.replica} restarted (pid ${m.pid}; ${m.restarts} ${m.role} restarts so far)`,
        details: { replica: m.replica, pid: m.pid, restarts: m.restarts, at: new Date(m.atMs).toISOString() },
      });
    };
    const unsubscribe = onSupervisorMessage((m) => {
      if (m.type === 'holdfast:replicas') view = { replicas: m.replicas, requested: m.requested };
      else void record(m);
    });
    const autoscaler = new Autoscaler({
      policy, pools: config.pools, cpus: availableParallelism(), paymentConcurrencyAt: (latencyMs) => paymentConcurrencyFor(latencyMs, config.concurrency),
      intervalMs: config.intervalMs, logger,
    }, {
      supervisor: () => (isSupervised() ? view ?? { replicas: [], requested: {} } : undefined),
      // The supervisor reports once this role is ready (each second): decide on its replicas, not on none.
      notYet: () => (isSupervised() && !view ? 'the supervisor has not reported the replicas yet' : undefined),
      paymentLoad: () => readPaymentLoad(pool, deps.queue, config.windowSeconds, config.recentWindowSeconds),
      maxConnections: async () => policy.database.maxConnections ?? (await query<{ n: number }>(pool, AutoscalerQueries.maxConnections)).rows[0]!.n,
      apply: (role, replicas) => sendToSupervisor({ type: 'holdfast:desired-replicas', replicas: { [role]: replicas } }),
      recordDecision: async (role, d) => {
        await deps.changes.record({
          kind: 'scaling.decided', subject: role,
          summary: `${role}: ${d.current} -> ${d.desired} replicas (${d.limitedBy.message})${d.applied ? '' : '; not applied: no supervisor'}`,
          details: { ...d },
        });
      },
    });
    autoscalerRoutes(deps.http.server, () => autoscaler.status(), deps.adminToken.sha256);

    // Targets from the measured capacity: read at start and every interval (one small row), applied when
    // the latest run changes; a failed read keeps the targets in force.
    const measuredCapacity = options.measuredCapacity;
    let appliedRunId: number | null | undefined;
    const readCapacity = async () => {
      const measured = await measuredCapacity!(pool);
      const runId = measured?.runId ?? null;
      if (runId === appliedRunId) return;
      appliedRunId = runId;
      const { policy: effective, targets } = policyWithCapacityTargets(policy, measured, config.capacityHeadroom);
      autoscaler.useTargets(effective, targets);
      if (targets.applied) logger.info({ runId, targetAverageValue: targets.targetAverageValue }, targets.message);
      else logger.warn({ runId }, `HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY is set but ${targets.message}`);
    };
    let capacityTimer: NodeJS.Timeout | undefined;
    return {
      service: autoscaler,
      start: async () => {
        if (config.targetsFromCapacity && !measuredCapacity) logger.warn('HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY is set but no capacity reader was given to the autoscaler: the scaling policy\'s targets apply');
        else if (config.targetsFromCapacity) {
          await readCapacity().catch((err) => logger.warn({ err }, 'could not read the latest capacity run: the scaling policy\'s targets apply until it can be read'));
          capacityTimer = setInterval(() => {
            readCapacity().catch((err) => logger.warn({ err }, 'could not read the latest capacity run: the targets in force stay'));
          }, config.intervalMs);
          capacityTimer.unref();
        }
        autoscaler.start();
      },
      stop: async () => { unsubscribe(); clearInterval(capacityTimer); await autoscaler.stop(); },
    };
  },
});
