// The autoscaler of the control role: every interval, for each autoscaled role, the Kubernetes HPA
// calculation (hpa-algorithm.ts) on the role's metrics, then the database connection budget; a change is
// counted, recorded as a `scaling.decided` change event and, under `holdfast start --autoscale`, sent to
// the supervisor, which starts or stops the processes. Without a supervisor (one process, or a cluster
// where the HPA and KEDA scale) it decides and explains, and applies nothing.
import type { Logger } from '../platform/observability/logger.ts';
import type { SupervisedReplica } from '../platform/process/supervision.ts';
import {
  computeScale, emptyHistory, recordScale, type LimitedBy, type MetricObservation, type MetricStatus,
  type ReplicaObservation, type ScalingDecision, type ScalingHistory,
} from './hpa-algorithm.ts';
import {
  cpuUtilizationMetric, eventLoopUtilizationMetric, requestConcurrencyMetric, requestRateMetric, queueDepthMetric, queueOldestAgeMetric, unavailableMetric,
  scalingArrivalRate, workInFlightMetric, type NamedReading,
} from './scaling-metrics.ts';
import {
  SCALED_ROLES, connectionBudget, connectionsPerReplica, cpuQuantityCores, isAutoscaled, localMaxReplicas,
  roleBehavior, scheduleMetrics, type ConnectionPools, type RolePolicy, type ScaledRole, type ScalingPolicy,
} from './scaling-policy.ts';
import { autoscalerDecisions, autoscalerDesiredReplicas, autoscalerReplicas } from './autoscaler-metrics.ts';
import type { TargetsFromCapacity } from './capacity-targets.ts';

/** What the payments role's metrics are computed from (payments' readPaymentLoad). */
export interface PaymentLoadReading {
  /** Over the metric window (autoscalerMetricWindowSeconds). */
  arrivalsPerSecond: number;
  /** Over the recent window (autoscalerRecentWindowSeconds); a rise is read from it (scalingArrivalRate). */
  recentArrivalsPerSecond?: number;
  providerLatencySeconds: number | null;
  oldestJobAgeSeconds: number;
  unfinishedJobs: number;
}

/** The replicas the supervisor runs (undefined: no supervisor, this process is the only replica). */
export interface SupervisorView { replicas: SupervisedReplica[]; requested: Record<string, number> }

export interface AutoscalerSources {
  supervisor(): SupervisorView | undefined;
  /** Why this run must be skipped (a supervisor that has not reported its replicas yet); undefined: run. */
  notYet?(): string | undefined;
  paymentLoad(): Promise<PaymentLoadReading>;
  /** PostgreSQL's max_connections (the policy's, else the server's). */
  maxConnections(): Promise<number>;
  /** Applies a change (to the supervisor); false when there is none to apply it. */
  apply(role: ScaledRole, replicas: number): boolean;
  /** Records a decision that changed a role's replicas (a change event). */
  recordDecision(role: ScaledRole, decision: RoleDecision): Promise<void>;
}

export interface AutoscalerOptions {
  policy: ScalingPolicy;
  pools: ConnectionPools;
  /** CPU cores on this machine (localMaxReplicas: cpus). */
  cpus: number;
  /** Payment jobs one payments process works at once at a provider latency (ms) (payments' paymentConcurrencyFor). */
  paymentConcurrencyAt: (latencyMs: number | undefined) => number;
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

/** One decision as /api/ops/scaling lists it. */
export interface RoleDecision {
  at: string;
  current: number;
  desired: number;
  direction: ScalingDecision['direction'];
  metricReplicas: number | null;
  metrics: MetricStatus[];
  limitedBy: LimitedBy;
  applied: boolean;
}

export interface RoleScaling {
  role: ScaledRole;
  autoscaled: boolean;
  current: number;
  desired: number;
  min: number;
  max: number;
  metrics: MetricStatus[];
  limitedBy: LimitedBy | null;
  decisions: RoleDecision[];
  /** The role's processes under the supervisor (empty without one). */
  replicas: { name: string; pid: number | null; ready: boolean; startedAt: string }[];
}

export interface ScalingStatus {
  supervised: boolean;
  intervalSeconds: number;
  lastRunAt: string | null;
  connectionBudget: { maxConnections: number; reserve: number; budget: number; used: number } | null;
  /** With HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY: the target taken from the latest capacity run, or why the policy's apply; else null. */
  targetsFromCapacity: TargetsFromCapacity | null;
  roles: RoleScaling[];
}

/** Decisions kept per role for /api/ops/scaling. */
const DECISIONS_KEPT = 20;

export class Autoscaler {
  readonly #opts: AutoscalerOptions;
  readonly #sources: AutoscalerSources;
  readonly #now: () => number;
  readonly #startedAtMs: number;
  readonly #histories = new Map<ScaledRole, ScalingHistory>();
  readonly #status = new Map<ScaledRole, RoleScaling>();
  #budget: ScalingStatus['connectionBudget'] = null;
  /** The policy decided by: the configured one, or it with targets from the measured capacity (useTargets). */
  #policy: ScalingPolicy;
  #targetsFromCapacity: TargetsFromCapacity | null = null;
  #lastRunAt: number | null = null;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(opts: AutoscalerOptions, sources: AutoscalerSources) {
    this.#opts = opts;
    this.#sources = sources;
    this.#now = opts.now ?? Date.now;
    this.#policy = opts.policy;
    this.#startedAtMs = this.#now();
    for (const role of SCALED_ROLES) {
      const p = opts.policy.roles[role];
      this.#status.set(role, { role, autoscaled: isAutoscaled(p), current: p.minReplicas, desired: p.minReplicas, min: p.minReplicas, max: this.#max(p), metrics: [], limitedBy: null, decisions: [], replicas: [] });
    }
  }

  start(): void {
    const tick = () => {
      this.#running = this.runOnce().catch((err) => this.#opts.logger.warn({ err }, 'autoscaler run failed; next run at the next interval'));
    };
    this.#timer = setInterval(tick, this.#opts.intervalMs);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  status(): ScalingStatus {
    return {
      supervised: this.#sources.supervisor() !== undefined,
      intervalSeconds: this.#opts.intervalMs / 1000,
      lastRunAt: this.#lastRunAt === null ? null : new Date(this.#lastRunAt).toISOString(),
      connectionBudget: this.#budget,
      targetsFromCapacity: this.#targetsFromCapacity === null ? null : { ...this.#targetsFromCapacity },
      roles: SCALED_ROLES.map((r) => structuredClone(this.#status.get(r)!)),
    };
  }

  /** Decides by `policy` from the next run on (the configured policy with targets from the measured capacity), and says where the targets came from. */
  useTargets(policy: ScalingPolicy, targets: TargetsFromCapacity): void {
    this.#policy = policy;
    this.#targetsFromCapacity = targets;
  }

  /** The most replicas of a role: on one machine under the supervisor, its local maximum. */
  #max(p: RolePolicy): number {
    return this.#sources?.supervisor() ? localMaxReplicas(p, this.#opts.cpus) : p.maxReplicas;
  }

  /** One run over every role (the HPA's reconcile, then the connection budget across roles). */
  async runOnce(): Promise<void> {
    const skip = this.#sources.notYet?.();
    if (skip) { this.#opts.logger.debug({ reason: skip }, 'autoscaler run skipped'); return; }
    const nowMs = this.#now();
    const view = this.#sources.supervisor();
    const policy = this.#policy;
    const needsPayments = isAutoscaled(policy.roles.payments);
    const [load, maxConnections] = await Promise.all([
      needsPayments ? this.#sources.paymentLoad().then((l) => l, (err: Error) => err) : Promise.resolve(undefined),
      this.#sources.maxConnections(),
    ]);

    const proposals = SCALED_ROLES.map((role) => {
      const p = policy.roles[role];
      const replicas = this.#replicasOf(role, view);
      const current = view ? (view.requested[role] ?? p.minReplicas) : 1;
      if (!isAutoscaled(p)) return { role, p, current, replicas, decision: undefined };
      const metrics = [...this.#metricsOf(role, p, replicas, load, nowMs), ...scheduleMetrics(p, nowMs)];
      const behavior = roleBehavior(p);
      const result = computeScale({
        nowMs, spec: { minReplicas: p.minReplicas, maxReplicas: this.#max(p), behavior }, currentReplicas: current,
        replicas: replicas.observations, metrics, history: this.#histories.get(role) ?? emptyHistory(),
        // A process is ready in seconds, not a pod's minutes: its CPU counts once it is ready.
        cpuInitializationPeriodMs: 0, initialReadinessDelayMs: 0,
      });
      this.#histories.set(role, result.history);
      return { role, p, current, replicas, decision: result.decision };
    });

    const budget = connectionBudget({
      maxConnections, reserve: policy.database.reserve,
      roles: proposals.map((x) => ({
        role: x.role, currentReplicas: x.current, desiredReplicas: x.decision?.desiredReplicas ?? x.current,
        connectionsPerReplica: connectionsPerReplica(policy, x.role, this.#opts.pools),
      })),
    });
    this.#budget = { maxConnections, reserve: policy.database.reserve, budget: budget.budget, used: budget.used };

    for (const x of proposals) {
      const status = this.#status.get(x.role)!;
      status.current = x.current;
      status.max = this.#max(x.p);
      status.replicas = x.replicas.supervised.map((r) => ({ name: r.replica, pid: r.pid ?? null, ready: r.readySinceMs !== undefined, startedAt: new Date(r.startedAtMs).toISOString() }));
      autoscalerReplicas.set({ role: x.role }, x.replicas.running);
      if (!x.decision) {
        status.desired = x.current;
        autoscalerDesiredReplicas.set({ role: x.role }, x.current);
        continue;
      }
      const budgeted = budget.roles.find((b) => b.role === x.role)!;
      const desired = budgeted.desiredReplicas;
      const limitedBy = budgeted.limitedBy ?? x.decision.limitedBy;
      status.desired = desired;
      status.metrics = x.decision.metrics;
      status.limitedBy = limitedBy;
      autoscalerDesiredReplicas.set({ role: x.role }, desired);
      if (desired === x.current) continue;
      const applied = this.#sources.apply(x.role, desired);
      const behavior = roleBehavior(x.p);
      this.#histories.set(x.role, recordScale(this.#histories.get(x.role)!, behavior, x.current, desired, nowMs));
      const direction = desired > x.current ? 'up' : 'down';
      autoscalerDecisions.inc({ role: x.role, direction });
      const decision: RoleDecision = {
        at: new Date(nowMs).toISOString(), current: x.current, desired, direction, metricReplicas: x.decision.metricReplicas,
        metrics: x.decision.metrics, limitedBy, applied,
      };
      status.decisions = [decision, ...status.decisions].slice(0, DECISIONS_KEPT);
      if (applied) status.current = desired;
      this.#opts.logger.info({ role: x.role, from: x.current, to: desired, applied, limitedBy: limitedBy.message }, 'scaling decision');
      await this.#sources.recordDecision(x.role, decision);
    }
    this.#lastRunAt = nowMs;
  }

  #replicasOf(role: ScaledRole, view: SupervisorView | undefined): { observations: ReplicaObservation[]; supervised: SupervisedReplica[]; running: number } {
    if (!view) {
      const self: ReplicaObservation = { name: 'self', phase: 'Running', ready: { status: true, sinceMs: this.#startedAtMs }, startedAtMs: this.#startedAtMs };
      return { observations: [self], supervised: [], running: 1 };
    }
    const supervised = view.replicas.filter((r) => r.role === role);
    const observations = supervised.map((r): ReplicaObservation => ({
      name: r.replica,
      phase: r.pid === undefined ? 'Failed' : r.readySinceMs === undefined ? 'Pending' : 'Running',
      terminating: r.stopping,
      ready: { status: r.readySinceMs !== undefined, sinceMs: r.readySinceMs ?? r.startedAtMs },
      startedAtMs: r.startedAtMs,
    }));
    return { observations, supervised, running: supervised.filter((r) => r.pid !== undefined && !r.stopping).length };
  }

  #metricsOf(
    role: ScaledRole, p: RolePolicy, replicas: { supervised: SupervisedReplica[] },
    load: PaymentLoadReading | Error | undefined, nowMs: number,
  ): MetricObservation[] {
    const readings = (pick: (l: NonNullable<SupervisedReplica['load']>) => number): NamedReading[] => replicas.supervised
      .filter((r) => r.load && !r.stopping && nowMs - r.load.atMs < 10_000)
      .map((r) => ({ replica: r.replica, value: pick(r.load!), atMs: r.load!.atMs, windowMs: r.load!.windowMs }));
    const noLoad = 'no per-process load: only measured for replicas of holdfast start --autoscale';
    return p.metrics.map((m): MetricObservation => {
      switch (m.type) {
        case 'cpu': {
          const target = { type: 'Utilization' as const, averageUtilization: m.targetAverageUtilization };
          const r = readings((l) => l.cpuCores);
          return r.length === 0 ? unavailableMetric('cpu', 'Resource', target, noLoad)
            : cpuUtilizationMetric({ targetAverageUtilization: m.targetAverageUtilization, requestCores: cpuQuantityCores(p.resources.requests.cpu), readings: r });
        }
        case 'event-loop': {
          const r = readings((l) => l.eventLoopUtilization);
          return r.length === 0 ? unavailableMetric('event-loop', 'Pods', { type: 'AverageValue', averageValue: m.targetAverageUtilization / 100 }, noLoad)
            : eventLoopUtilizationMetric({ targetAverageUtilization: m.targetAverageUtilization, readings: r });
        }
        case 'request-concurrency': {
          const r = readings((l) => l.requestsInFlight);
          return r.length === 0 ? unavailableMetric('request-concurrency', 'Pods', { type: 'AverageValue', averageValue: m.targetAverageValue }, noLoad)
            : requestConcurrencyMetric({ targetAverageValue: m.targetAverageValue, readings: r });
        }
        case 'request-rate': {
          const r = readings((l) => l.requestsPerSecond);
          return r.length === 0 ? unavailableMetric('request-rate', 'Pods', { type: 'AverageValue', averageValue: m.targetAverageValue }, noLoad)
            : requestRateMetric({ targetAverageValue: m.targetAverageValue, readings: r });
        }
        case 'work-in-flight':
        case 'queue-oldest-age':
        case 'queue-depth':
        {
          const latencyMs = load && !(load instanceof Error) && load.providerLatencySeconds !== null ? load.providerLatencySeconds * 1000 : undefined;
          return paymentMetric(role, m, load, this.#opts.paymentConcurrencyAt(latencyMs));
        }
      }
    });
  }
}

function paymentMetric(
  role: ScaledRole, m: Extract<RolePolicy['metrics'][number], { type: 'work-in-flight' | 'queue-oldest-age' | 'queue-depth' }>,
  load: PaymentLoadReading | Error | undefined, concurrency: number,
): MetricObservation {
  const fail = (target: Parameters<typeof unavailableMetric>[2], reason: string) => unavailableMetric(m.type, 'External', target, reason);
  if (m.type === 'work-in-flight') {
    const target = { type: 'AverageValue' as const, averageValue: concurrency * m.targetUtilization };
    if (!load || load instanceof Error) return fail(target, load ? `payment load unreadable: ${load.message}` : `not read for ${role}`);
    const arrivalRate = scalingArrivalRate({ longWindowPerSecond: load.arrivalsPerSecond, recentWindowPerSecond: load.recentArrivalsPerSecond });
    // No call settled in the window: with no arrivals either there is no work in flight; otherwise unknown.
    if (load.providerLatencySeconds === null) {
      return arrivalRate === 0 ? { name: m.type, source: 'External', target, value: 0 } : fail(target, 'no provider call settled in the window to take the latency from');
    }
    return workInFlightMetric({ arrivalRatePerSecond: arrivalRate, providerLatencySeconds: load.providerLatencySeconds, concurrencyPerReplica: concurrency, targetUtilization: m.targetUtilization });
  }
  if (m.type === 'queue-oldest-age') {
    if (!load || load instanceof Error) return fail({ type: 'Value', value: m.targetSeconds }, load ? `payment queue unreadable: ${load.message}` : `not read for ${role}`);
    return queueOldestAgeMetric({ oldestAgeSeconds: load.oldestJobAgeSeconds, targetSeconds: m.targetSeconds });
  }
  if (!load || load instanceof Error) return fail({ type: 'AverageValue', averageValue: m.targetPerReplica }, load ? `payment queue unreadable: ${load.message}` : `not read for ${role}`);
  return queueDepthMetric({ jobs: load.unfinishedJobs, targetPerReplica: m.targetPerReplica });
}
