// The Kubernetes HorizontalPodAutoscaler's replica calculation, as pure functions over explicit inputs
// (the time is passed in; nothing here keeps state or sets a timer). Holdfast's supervisor scales role
// processes with it, and `holdfast export kubernetes` renders the same policy for the real controller, so
// the two must agree on every rule.
//
// Sources: the Kubernetes documentation, "Horizontal Pod Autoscaling" (kubernetes/website
// content/en/docs/concepts/workloads/autoscaling/horizontal-pod-autoscale.md), and where it is vague the
// controller it describes (kubernetes/kubernetes pkg/controller/podautoscaler: replica_calculator.go for one
// metric, horizontal.go for several metrics, stabilisation and scaling policies; pkg/apis/autoscaling/v2
// defaults.go for the behavior defaults). docs/scaling.md lists the rules as implemented here.
//
// Units. The controller computes in integer milli-units (resource.Quantity.MilliValue) and truncates where
// Go's integer division truncates (average values, utilisation percentages); so does this file, so that a
// ratio just over a tolerance bound lands on the same side here as on a cluster. Values are rounded to the
// nearest milli-unit on the way in.
//
// Where this differs from the controller, on purpose:
// - "Pods" are role processes (replicas); their phase and Ready condition are given by the caller.
// - Readings of a replica not in the replica list are dropped (the metrics API only returns pods that exist).
// - The recommendation and scale-event histories are pruned of entries older than every window or period,
//   where the controller overwrites one such slot per sync; for a fixed behavior the results are the same.
// - The policy always carries a full `behavior` (defaults filled as the API server fills them), so only the
//   controller's behavior path exists here, never its legacy `max(2 x current, 4)` path; the rendered
//   HorizontalPodAutoscalers always carry `behavior` too, so a cluster takes the same path.

/** The controller's default tolerance (`--horizontal-pod-autoscaler-tolerance`). */
export const DEFAULT_TOLERANCE = 0.1;
/** `--horizontal-pod-autoscaler-cpu-initialization-period` (default 5 minutes). */
export const DEFAULT_CPU_INITIALIZATION_PERIOD_MS = 300_000;
/** `--horizontal-pod-autoscaler-initial-readiness-delay` (default 30 seconds). */
export const DEFAULT_INITIAL_READINESS_DELAY_MS = 30_000;
/** API validation bounds (autoscaling/v2): periodSeconds in (0, 1800], stabilizationWindowSeconds in [0, 3600]. */
export const MAX_POLICY_PERIOD_SECONDS = 1800;
export const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

// ---------------------------------------------------------------------------------------------------------
// Behavior: autoscaling/v2 HorizontalPodAutoscalerBehavior

export interface ScalingPolicyRule {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: SelectPolicy;
  policies: ScalingPolicyRule[];
  /** Per-direction tolerance (HPAConfigurableTolerance); unset: the default tolerance. */
  tolerance?: number;
}

export interface Behavior {
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

export type PartialScalingRules = Partial<ScalingRules>;
export interface PartialBehavior { scaleUp?: PartialScalingRules; scaleDown?: PartialScalingRules }

/** Scale-up default: no stabilisation; at most max(100 %, 4 pods) more every 15 s. */
export const DEFAULT_SCALE_UP: Readonly<ScalingRules> = Object.freeze<ScalingRules>({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});

/** Scale-down default: the highest recommendation of the last 300 s; up to 100 % fewer every 15 s. */
export const DEFAULT_SCALE_DOWN: Readonly<ScalingRules> = Object.freeze<ScalingRules>({
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

function fillRules(given: PartialScalingRules | undefined, defaults: Readonly<ScalingRules>): ScalingRules {
  // As the API server defaults a behavior (copyHPAScalingRules): each field given replaces the default's
  // whole, so a `policies` list given replaces both default scale-up policies, not one of them.
  const rules: ScalingRules = {
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: given?.selectPolicy ?? defaults.selectPolicy,
    policies: (given?.policies ?? defaults.policies).map((p) => ({ ...p })),
  };
  if (given?.tolerance !== undefined) rules.tolerance = given.tolerance;
  return rules;
}

/** A behavior with every field the API server would default filled in. */
export function resolveBehavior(partial: PartialBehavior = {}): Behavior {
  return { scaleUp: fillRules(partial.scaleUp, DEFAULT_SCALE_UP), scaleDown: fillRules(partial.scaleDown, DEFAULT_SCALE_DOWN) };
}

// ---------------------------------------------------------------------------------------------------------
// Replicas ("pods") and metrics

/** A replica (a role process, or a pod) as the autoscaler sees it. */
export interface ReplicaObservation {
  name: string;
  /** Pending: started, not yet running its workload; Failed: exited and not replaced yet. */
  phase: 'Pending' | 'Running' | 'Failed';
  /** Being stopped (a pod's deletion timestamp): ignored by per-replica metrics, not counted in statusReplicas. */
  terminating?: boolean;
  /** The Ready condition and when it last changed; undefined: no condition reported yet. */
  ready?: { status: boolean; sinceMs: number };
  startedAtMs?: number;
}

/** One replica's reading of a per-replica metric. */
export interface ReplicaReading {
  value: number;
  /** When the reading was taken (default: now) and over how long a window (default 0). */
  atMs?: number;
  windowMs?: number;
}

export type MetricTarget =
  | { type: 'Utilization'; averageUtilization: number }
  | { type: 'AverageValue'; averageValue: number }
  | { type: 'Value'; value: number };

interface MetricBase {
  /** Names the metric in decisions and on /api/ops/scaling. */
  name: string;
}

/**
 * A per-replica resource (type Resource). `resource: 'cpu'` applies the controller's CPU readiness rules
 * (a replica still starting is set aside). With a Utilization target each reading is usage in the
 * resource's unit (CPU cores) and `requestPerReplica` the request it is a share of.
 */
export interface ResourceMetricObservation extends MetricBase {
  source: 'Resource';
  resource: 'cpu' | 'memory';
  target: Extract<MetricTarget, { type: 'Utilization' | 'AverageValue' }>;
  requestPerReplica?: number;
  readings: Record<string, ReplicaReading>;
}

/** A per-replica custom metric (type Pods): its average across replicas against an AverageValue target. */
export interface PodsMetricObservation extends MetricBase {
  source: 'Pods';
  target: Extract<MetricTarget, { type: 'AverageValue' }>;
  readings: Record<string, ReplicaReading>;
}

/** One value for the whole role (type External): a queue's age or depth, a rate, a schedule. */
export interface ExternalMetricObservation extends MetricBase {
  source: 'External';
  target: Extract<MetricTarget, { type: 'Value' | 'AverageValue' }>;
  value: number;
}

/** A metric that could not be read this time (the controller's "invalid metric"). */
export interface UnavailableMetricObservation extends MetricBase {
  source: 'Resource' | 'Pods' | 'External';
  target: MetricTarget;
  unavailable: string;
}

export type MetricObservation = ResourceMetricObservation | PodsMetricObservation | ExternalMetricObservation | UnavailableMetricObservation;

/** What one metric said: its value against its target and the replicas it proposes. */
export interface MetricStatus {
  name: string;
  source: MetricObservation['source'];
  target: MetricTarget;
  /**
   * The value compared with the target, as the HPA status reports it (without the adjustments for missing
   * or not-ready replicas): the utilisation in percent, the average per replica, or the value.
   */
  current: number | null;
  /** current / target as the controller computed it (in milli-units, truncated where it truncates). */
  ratio: number | null;
  /** The replicas this metric proposes; null when it could not be computed. */
  replicas: number | null;
  /** Why the proposal is what it is, when a rule other than ceil(current x ratio) decided it. */
  note?: string;
  error?: string;
}

export interface Tolerances { scaleUp: number; scaleDown: number }

/** The controller's tolerance test: within [1 - down, 1 + up], no change. */
export function withinTolerance(ratio: number, t: Tolerances): boolean {
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;
}

const milli = (x: number) => Math.round(x * 1000);
const fromMilli = (m: number) => m / 1000;

export interface MetricContext {
  nowMs: number;
  /** The replicas the role is asked to run (the scale's spec.replicas). */
  currentReplicas: number;
  /** The replicas that exist (the scale's status.replicas). */
  statusReplicas: number;
  replicas: readonly ReplicaObservation[];
  tolerances: Tolerances;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

interface ReplicaGroups {
  readyCount: number;
  unready: Set<string>;
  missing: Set<string>;
  /** Milli-value readings of the replicas that count (ready ones; unready and ignored ones removed). */
  values: Map<string, number>;
}

/** The controller's groupPods: sets aside terminating, failed, pending, reading-less and (CPU) unready replicas. */
function groupReplicas(ctx: MetricContext, readings: Record<string, ReplicaReading>, cpu: boolean): ReplicaGroups {
  const groups: ReplicaGroups = { readyCount: 0, unready: new Set(), missing: new Set(), values: new Map() };
  for (const r of ctx.replicas) {
    if (r.terminating || r.phase === 'Failed') continue; // ignored
    if (r.phase === 'Pending') { groups.unready.add(r.name); continue; }
    const reading = Object.hasOwn(readings, r.name) ? readings[r.name] : undefined;
    if (reading === undefined || !Number.isFinite(reading.value)) { groups.missing.add(r.name); continue; }
    if (cpu) {
      let unready: boolean;
      if (r.ready === undefined || r.startedAtMs === undefined) {
        unready = true;
      } else if (r.startedAtMs + ctx.cpuInitializationPeriodMs > ctx.nowMs) {
        // Still possibly initialising: unready, or its reading's window began before it turned ready.
        unready = !r.ready.status || (reading.atMs ?? ctx.nowMs) < r.ready.sinceMs + (reading.windowMs ?? 0);
      } else {
        // Past the initialisation period: unready only if it never became ready.
        unready = !r.ready.status && r.startedAtMs + ctx.initialReadinessDelayMs > r.ready.sinceMs;
      }
      if (unready) { groups.unready.add(r.name); continue; }
    }
    groups.readyCount++;
    groups.values.set(r.name, milli(reading.value));
  }
  return groups;
}

type Proposal = { replicas: number; current: number; ratio: number; note?: string };

function utilization(values: Map<string, number>, requestMilli: number, targetPercent: number): { ratio: number; percent: number } {
  let total = 0;
  for (const v of values.values()) total += v;
  const requests = values.size * requestMilli;
  if (requests === 0) throw new Error('no readings matched known replicas');
  const percent = Math.trunc((total * 100) / requests);
  return { ratio: percent / targetPercent, percent };
}

function averageMilli(values: Map<string, number>): number {
  let total = 0;
  for (const v of values.values()) total += v;
  return Math.trunc(total / values.size);
}

const directionFlipped = (before: number, after: number) => (before < 1 && after > 1) || (before > 1 && after < 1);

/** Resource (Utilization or AverageValue) and Pods metrics: replica_calculator.go's per-pod calculation. */
function perReplicaProposal(ctx: MetricContext, m: ResourceMetricObservation | PodsMetricObservation): Proposal {
  if (ctx.replicas.length === 0) throw new Error('no replicas to read the metric from');
  const cpu = m.source === 'Resource' && m.resource === 'cpu';
  const g = groupReplicas(ctx, m.readings, cpu);
  if (g.values.size === 0) throw new Error('no readings from ready replicas (replicas might be unready)');
  const isUtilization = m.target.type === 'Utilization';
  const requestMilli = milli(m.source === 'Resource' ? m.requestPerReplica ?? 1 : 1);
  const targetMilli = m.target.type === 'AverageValue' ? milli(m.target.averageValue) : 0;
  const targetPercent = m.target.type === 'Utilization' ? m.target.averageUtilization : 0;
  const measure = (values: Map<string, number>) => {
    if (isUtilization) {
      const u = utilization(values, requestMilli, targetPercent);
      return { ratio: u.ratio, current: u.percent };
    }
    const avg = averageMilli(values);
    return { ratio: avg / targetMilli, current: fromMilli(avg) };
  };
  const first = measure(g.values);
  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (withinTolerance(first.ratio, ctx.tolerances)) return { replicas: ctx.currentReplicas, ...first, note: 'within tolerance' };
    return { replicas: Math.ceil(first.ratio * g.readyCount), ...first };
  }
  // Recompute conservatively: missing readings count as the target on a scale-down (for utilisation, the
  // whole request, or the target if it is above 100 %) and as zero on a scale-up; not-ready replicas count
  // as zero on a scale-up.
  const values = new Map(g.values);
  const notes: string[] = [];
  if (g.missing.size > 0 && first.ratio !== 1) {
    const down = first.ratio < 1;
    const fill = !down ? 0 : isUtilization ? Math.trunc((requestMilli * Math.max(100, targetPercent)) / 100) : targetMilli;
    for (const name of g.missing) values.set(name, fill);
    notes.push(`${g.missing.size} replica(s) without a reading counted at ${down ? '100% of target' : '0'}`);
  }
  if (scaleUpWithUnready) {
    for (const name of g.unready) values.set(name, 0);
    notes.push(`${g.unready.size} not-ready replica(s) counted at 0`);
  }
  const again = measure(values).ratio;
  const note = notes.length ? `${notes.join('; ')}: ` : '';
  if (withinTolerance(again, ctx.tolerances) || directionFlipped(first.ratio, again)) {
    return { replicas: ctx.currentReplicas, ...first, note: `${note}recomputed ratio ${round(again)} ${directionFlipped(first.ratio, again) ? 'reverses the direction' : 'is within tolerance'}, no change` };
  }
  const replicas = Math.ceil(again * values.size);
  if ((again < 1 && replicas > ctx.currentReplicas) || (again > 1 && replicas < ctx.currentReplicas)) {
    return { replicas: ctx.currentReplicas, ...first, note: `${note}counting them would reverse the direction, no change` };
  }
  return { replicas, ...first, note: `${note}recomputed ratio ${round(again)}` };
}

/** External metrics: GetExternalMetricReplicas (Value) and GetExternalPerPodMetricReplicas (AverageValue). */
function externalProposal(ctx: MetricContext, m: ExternalMetricObservation): Proposal {
  const usage = milli(m.value);
  if (m.target.type === 'AverageValue') {
    const target = milli(m.target.averageValue);
    const ratio = usage / (target * ctx.statusReplicas);
    const current = ctx.statusReplicas > 0 ? fromMilli(Math.ceil(usage / ctx.statusReplicas)) : fromMilli(usage);
    if (withinTolerance(ratio, ctx.tolerances)) return { replicas: ctx.statusReplicas, current, ratio, note: 'within tolerance' };
    return { replicas: Math.ceil(usage / target), current, ratio };
  }
  const target = milli(m.target.value);
  const ratio = usage / target;
  const current = fromMilli(usage);
  if (ctx.currentReplicas === 0) return { replicas: Math.ceil(ratio), current, ratio };
  if (withinTolerance(ratio, ctx.tolerances)) return { replicas: ctx.currentReplicas, current, ratio, note: 'within tolerance' };
  // Running and Ready replicas, terminating ones that are still Ready included.
  const ready = ctx.replicas.filter((r) => r.phase === 'Running' && r.ready?.status === true).length;
  return { replicas: Math.ceil(ratio * ready), current, ratio };
}

/** One metric's proposal (or the reason it has none). */
export function replicasForMetric(ctx: MetricContext, m: MetricObservation): MetricStatus {
  const base = { name: m.name, source: m.source, target: m.target };
  if ('unavailable' in m) return { ...base, current: null, ratio: null, replicas: null, error: m.unavailable };
  try {
    const p = m.source === 'External' ? externalProposal(ctx, m) : perReplicaProposal(ctx, m);
    const status: MetricStatus = { ...base, current: p.current, ratio: p.ratio, replicas: p.replicas };
    if (p.note) status.note = p.note;
    return status;
  } catch (err) {
    return { ...base, current: null, ratio: null, replicas: null, error: (err as Error).message };
  }
}

export interface MetricsProposal {
  /** The largest proposal of the metrics that could be computed; null when scaling is skipped. */
  replicas: number | null;
  /** The metric that proposed it. */
  metric: string | null;
  statuses: MetricStatus[];
  /** Why scaling is skipped: every metric is invalid, or one is and the others propose fewer replicas. */
  skipped?: string;
}

/** computeReplicasForMetrics: the highest proposal wins; invalid metrics block a scale-down. */
export function replicasForMetrics(ctx: MetricContext, metrics: readonly MetricObservation[]): MetricsProposal {
  const statuses = metrics.map((m) => replicasForMetric(ctx, m));
  let replicas = 0;
  let metric: string | null = null;
  let invalid = 0;
  for (const s of statuses) {
    if (s.replicas === null) { invalid++; continue; }
    if (metric === null || s.replicas > replicas) { replicas = s.replicas; metric = s.name; }
  }
  const firstError = statuses.find((s) => s.replicas === null);
  if (metrics.length === 0 || invalid >= metrics.length) {
    return { replicas: null, metric: null, statuses, skipped: metrics.length === 0 ? 'no metrics' : `no metric could be computed (${firstError!.name}: ${firstError!.error})` };
  }
  if (invalid > 0 && replicas < ctx.currentReplicas) {
    return { replicas: null, metric: null, statuses, skipped: `${invalid} of ${metrics.length} metric(s) could not be computed (${firstError!.name}: ${firstError!.error}) and the others propose fewer replicas: no scale-down on partial metrics` };
  }
  return { replicas, metric, statuses };
}

// ---------------------------------------------------------------------------------------------------------
// History, stabilisation and scaling policies

export interface TimestampedReplicas { replicas: number; atMs: number }

/** What the autoscaler remembers between runs, per role: its recommendations and the changes it made. */
export interface ScalingHistory {
  /** Unstabilised recommendations (what the metrics asked for), newest last. */
  recommendations: TimestampedReplicas[];
  /** Replicas added (scaleUp) or removed (scaleDown) by each change, newest last. */
  scaleUpEvents: TimestampedReplicas[];
  scaleDownEvents: TimestampedReplicas[];
}

export const emptyHistory = (): ScalingHistory => ({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] });

export type LimitReason =
  | 'metrics'
  | 'invalid-metrics'
  | 'scaling-disabled'
  | 'scale-up-stabilization'
  | 'scale-down-stabilization'
  | 'scale-up-policy'
  | 'scale-down-policy'
  | 'scale-up-disabled'
  | 'scale-down-disabled'
  | 'max-replicas'
  | 'min-replicas'
  | 'connection-budget';

/** What decided a decision's number: the metric, window, policy or bound, and why, in words. */
export interface LimitedBy {
  reason: LimitReason;
  message: string;
  /** The HPA status condition a cluster would show for the same case (kubectl describe hpa). */
  condition?: string;
  metric?: string;
  policy?: ScalingPolicyRule;
  windowSeconds?: number;
  bound?: number;
}

export interface ScalingDecision {
  atMs: number;
  currentReplicas: number;
  desiredReplicas: number;
  direction: 'up' | 'down' | 'none';
  minReplicas: number;
  maxReplicas: number;
  /** The metrics' proposal (the largest), before stabilisation and policies; null when none was made. */
  metricReplicas: number | null;
  /** After the stabilisation window; null when the window was not applied. */
  stabilizedReplicas: number | null;
  metrics: MetricStatus[];
  limitedBy: LimitedBy;
}

const changeWithin = (events: readonly TimestampedReplicas[], periodSeconds: number, nowMs: number) => {
  const cutoff = nowMs - periodSeconds * 1000;
  return events.reduce((sum, e) => (e.atMs > cutoff ? sum + e.replicas : sum), 0);
};

interface RateLimit { limit: number; policy?: ScalingPolicyRule; disabled?: boolean; periodStart?: number }

/**
 * The most replicas the scale-up policies allow now (calculateScaleUpLimitWithScalingRules): each policy
 * measures from the replicas at the start of its period (now, minus what was added and plus what was
 * removed within it); Max takes the policy allowing the most, Min the least.
 */
export function scaleUpLimit(current: number, history: ScalingHistory, rules: ScalingRules, nowMs: number): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: current, disabled: true };
  let best: RateLimit | undefined;
  for (const policy of rules.policies) {
    const periodStart = current - changeWithin(history.scaleUpEvents, policy.periodSeconds, nowMs) + changeWithin(history.scaleDownEvents, policy.periodSeconds, nowMs);
    const proposed = policy.type === 'Pods' ? periodStart + policy.value : Math.ceil(periodStart * (1 + policy.value / 100));
    if (!best || (rules.selectPolicy === 'Min' ? proposed < best.limit : proposed > best.limit)) best = { limit: proposed, policy, periodStart };
  }
  return best ?? { limit: current };
}

/** The fewest replicas the scale-down policies allow now (calculateScaleDownLimitWithBehaviors). */
export function scaleDownLimit(current: number, history: ScalingHistory, rules: ScalingRules, nowMs: number): RateLimit {
  if (rules.selectPolicy === 'Disabled') return { limit: current, disabled: true };
  let best: RateLimit | undefined;
  for (const policy of rules.policies) {
    const periodStart = current - changeWithin(history.scaleUpEvents, policy.periodSeconds, nowMs) + changeWithin(history.scaleDownEvents, policy.periodSeconds, nowMs);
    // Go's int32(float64) conversion truncates toward zero.
    const proposed = policy.type === 'Pods' ? periodStart - policy.value : Math.trunc(periodStart * (1 - policy.value / 100));
    if (!best || (rules.selectPolicy === 'Min' ? proposed > best.limit : proposed < best.limit)) best = { limit: proposed, policy, periodStart };
  }
  return best ?? { limit: current };
}

/**
 * stabilizeRecommendationWithBehaviors: the current count moved just far enough to lie between the lowest
 * recommendation of the scale-up window and the highest of the scale-down window (each including the new
 * one), and the new recommendation recorded.
 */
export function stabilize(history: ScalingHistory, behavior: Behavior, current: number, desired: number, nowMs: number): { replicas: number; history: ScalingHistory } {
  const upWindow = behavior.scaleUp.stabilizationWindowSeconds * 1000;
  const downWindow = behavior.scaleDown.stabilizationWindowSeconds * 1000;
  let upRecommendation = desired;
  let downRecommendation = desired;
  for (const r of history.recommendations) {
    if (r.atMs > nowMs - upWindow) upRecommendation = Math.min(r.replicas, upRecommendation);
    if (r.atMs > nowMs - downWindow) downRecommendation = Math.max(r.replicas, downRecommendation);
  }
  let replicas = current;
  if (replicas < upRecommendation) replicas = upRecommendation;
  if (replicas > downRecommendation) replicas = downRecommendation;
  const oldest = nowMs - Math.max(upWindow, downWindow);
  const recommendations = [...history.recommendations.filter((r) => r.atMs >= oldest), { replicas: desired, atMs: nowMs }];
  return { replicas, history: { ...history, recommendations } };
}

const describePolicy = (p: ScalingPolicyRule) => `${p.type} ${p.value}${p.type === 'Percent' ? '%' : ''} per ${p.periodSeconds} s`;

/** The limit a direction's scaling policies set (or its selectPolicy: Disabled), as a decision's limitedBy. */
function policyLimited(direction: 'up' | 'down', rate: RateLimit, limit: number, rules: ScalingRules, desired: number): { replicas: number; limitedBy: LimitedBy } {
  const condition = direction === 'up' ? 'ScaleUpLimit' : 'ScaleDownLimit';
  if (rate.disabled) {
    return { replicas: limit, limitedBy: { reason: `scale-${direction}-disabled` as const, condition, bound: limit, message: `scale-${direction} is disabled (behavior.scale${direction === 'up' ? 'Up' : 'Down'}.selectPolicy: Disabled)` } };
  }
  const policy = rate.policy!;
  return {
    replicas: limit,
    limitedBy: {
      reason: `scale-${direction}-policy` as const, condition, policy, bound: limit,
      message: `scale-${direction} policy ${describePolicy(policy)} (selectPolicy ${rules.selectPolicy}) allows ${limit} replicas now, from ${rate.periodStart} at the start of its period; ${desired} wanted`,
    },
  };
}

/** convertDesiredReplicasWithBehaviorRate: the scaling policies and the min/max bounds. */
function applyRate(current: number, desired: number, min: number, max: number, behavior: Behavior, history: ScalingHistory, nowMs: number): { replicas: number; limitedBy?: LimitedBy } {
  if (desired > current) {
    const up = scaleUpLimit(current, history, behavior.scaleUp, nowMs);
    const limit = Math.max(up.limit, current); // no further scale-up until old events age out
    if (max > limit) return desired <= limit ? { replicas: desired } : policyLimited('up', up, limit, behavior.scaleUp, desired);
    if (desired <= max) return { replicas: desired };
    return { replicas: max, limitedBy: { reason: 'max-replicas', condition: 'TooManyReplicas', bound: max, message: `${desired} wanted, maxReplicas is ${max}` } };
  }
  if (desired < current) {
    const down = scaleDownLimit(current, history, behavior.scaleDown, nowMs);
    const limit = Math.min(down.limit, current); // no further scale-down until old events age out
    if (min < limit) return desired >= limit ? { replicas: desired } : policyLimited('down', down, limit, behavior.scaleDown, desired);
    if (desired >= min) return { replicas: desired };
    return { replicas: min, limitedBy: { reason: 'min-replicas', condition: 'TooFewReplicas', bound: min, message: `${desired} wanted, minReplicas is ${min}` } };
  }
  return { replicas: desired };
}

export interface ScaleSpec {
  minReplicas: number;
  maxReplicas: number;
  behavior: Behavior;
}

export interface ScaleInput {
  nowMs: number;
  spec: ScaleSpec;
  /** The replicas the role is asked to run now. */
  currentReplicas: number;
  /** The replicas that exist, with their phase and readiness. */
  replicas: readonly ReplicaObservation[];
  metrics: readonly MetricObservation[];
  history: ScalingHistory;
  /** Replicas that exist (default: those neither failed nor terminating). */
  statusReplicas?: number;
  /** The cluster-wide tolerance a direction uses when its rules set none (default 0.1). */
  defaultTolerance?: number;
  cpuInitializationPeriodMs?: number;
  initialReadinessDelayMs?: number;
}

export interface ScaleResult {
  decision: ScalingDecision;
  /** The history with this run's recommendation recorded; record the change made with recordScale(). */
  history: ScalingHistory;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * One run of the autoscaler for one role (reconcileAutoscaler): the desired replicas and what decided them.
 * The returned history holds the new recommendation; once the caller has applied a change (perhaps capped
 * further, by the connection budget), it records it with recordScale().
 */
export function computeScale(input: ScaleInput): ScaleResult {
  const { nowMs, spec, currentReplicas } = input;
  const { minReplicas: min, maxReplicas: max, behavior } = spec;
  // The first run remembers the current count as a recommendation, so a new autoscaler does not scale
  // down before a whole scale-down window has passed.
  let history = input.history.recommendations.length > 0 ? input.history : { ...input.history, recommendations: [{ replicas: currentReplicas, atMs: nowMs }] };
  const decision = (desired: number, limitedBy: LimitedBy, extra: Partial<ScalingDecision> = {}): ScaleResult => ({
    decision: {
      atMs: nowMs, currentReplicas, desiredReplicas: desired,
      direction: desired > currentReplicas ? 'up' : desired < currentReplicas ? 'down' : 'none',
      minReplicas: min, maxReplicas: max, metricReplicas: null, stabilizedReplicas: null, metrics: [], limitedBy, ...extra,
    },
    history,
  });

  if (currentReplicas === 0 && min !== 0) {
    return decision(0, { reason: 'scaling-disabled', condition: 'ScalingDisabled', message: 'scaling is disabled since the replica count is zero' });
  }
  if (currentReplicas > max) {
    return decision(max, { reason: 'max-replicas', condition: 'TooManyReplicas', bound: max, message: `current replicas ${currentReplicas} above maxReplicas ${max}` });
  }
  if (currentReplicas < min) {
    return decision(min, { reason: 'min-replicas', condition: 'TooFewReplicas', bound: min, message: `current replicas ${currentReplicas} below minReplicas ${min}` });
  }

  const defaultTolerance = input.defaultTolerance ?? DEFAULT_TOLERANCE;
  const ctx: MetricContext = {
    nowMs, currentReplicas,
    statusReplicas: input.statusReplicas ?? input.replicas.filter((r) => !r.terminating && r.phase !== 'Failed').length,
    replicas: input.replicas,
    tolerances: { scaleUp: behavior.scaleUp.tolerance ?? defaultTolerance, scaleDown: behavior.scaleDown.tolerance ?? defaultTolerance },
    cpuInitializationPeriodMs: input.cpuInitializationPeriodMs ?? DEFAULT_CPU_INITIALIZATION_PERIOD_MS,
    initialReadinessDelayMs: input.initialReadinessDelayMs ?? DEFAULT_INITIAL_READINESS_DELAY_MS,
  };
  const proposal = replicasForMetrics(ctx, input.metrics);
  if (proposal.replicas === null) {
    return decision(currentReplicas, { reason: 'invalid-metrics', condition: 'FailedGetMetrics', message: proposal.skipped! }, { metrics: proposal.statuses });
  }
  const metricReplicas = Math.max(0, proposal.replicas);
  const stabilized = stabilize(history, behavior, currentReplicas, metricReplicas, nowMs);
  history = stabilized.history;
  const rated = applyRate(currentReplicas, stabilized.replicas, min, max, behavior, history, nowMs);
  const extra = { metrics: proposal.statuses, metricReplicas, stabilizedReplicas: stabilized.replicas };
  if (rated.limitedBy) return decision(rated.replicas, rated.limitedBy, extra);
  if (stabilized.replicas !== metricReplicas) {
    const up = metricReplicas >= currentReplicas;
    const rules = up ? behavior.scaleUp : behavior.scaleDown;
    return decision(rated.replicas, {
      reason: up ? 'scale-up-stabilization' : 'scale-down-stabilization',
      condition: up ? 'ScaleUpStabilized' : 'ScaleDownStabilized',
      windowSeconds: rules.stabilizationWindowSeconds,
      message: up
        ? `metrics propose ${metricReplicas}; the lowest recommendation of the last ${rules.stabilizationWindowSeconds} s is ${stabilized.replicas}`
        : `metrics propose ${metricReplicas}; the highest recommendation of the last ${rules.stabilizationWindowSeconds} s is ${stabilized.replicas}`,
    }, extra);
  }
  const by = proposal.statuses.find((s) => s.name === proposal.metric)!;
  return decision(rated.replicas, {
    reason: 'metrics', condition: 'DesiredWithinRange', metric: by.name,
    message: `${by.name} proposes ${metricReplicas} (${by.current} against ${targetText(by.target)}${by.note ? `; ${by.note}` : ''})`,
  }, extra);
}

function targetText(t: MetricTarget): string {
  if (t.type === 'Utilization') return `a target of ${t.averageUtilization}% utilisation`;
  if (t.type === 'AverageValue') return `a target of ${t.averageValue} per replica`;
  return `a target of ${t.value}`;
}

/**
 * Records a change the caller made (storeScaleEvent), for the scaling policies' periods; events older than
 * every policy's period are dropped. No change, nothing recorded.
 */
export function recordScale(history: ScalingHistory, behavior: Behavior, fromReplicas: number, toReplicas: number, nowMs: number): ScalingHistory {
  if (toReplicas === fromReplicas) return history;
  const longest = Math.max(0, ...behavior.scaleUp.policies.map((p) => p.periodSeconds), ...behavior.scaleDown.policies.map((p) => p.periodSeconds));
  const keep = (events: TimestampedReplicas[]) => events.filter((e) => e.atMs > nowMs - longest * 1000);
  const scaleUpEvents = keep(history.scaleUpEvents);
  const scaleDownEvents = keep(history.scaleDownEvents);
  if (toReplicas > fromReplicas) scaleUpEvents.push({ replicas: toReplicas - fromReplicas, atMs: nowMs });
  else scaleDownEvents.push({ replicas: fromReplicas - toReplicas, atMs: nowMs });
  return { ...history, scaleUpEvents, scaleDownEvents };
}
