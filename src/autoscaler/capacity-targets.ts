// Per-replica targets from measured capacity (HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY): instead of a
// hand-set number, the storefront's request-rate target is what one storefront replica sustained in the
// latest recorded capacity run (`holdfast loadtest capacity --record`: its sustainable request rate ÷ the
// replicas it ran with), times a utilisation headroom. As with an HPA target (the built-in policy holds CPU
// at 70% of a replica's request), the target sits below the saturation point so a surge is absorbed while
// new replicas start. The HPA takes the largest proposal of a role's metrics, so the measured target adds
// to the policy's CPU and event-loop targets; it replaces a request-rate target the policy sets by hand.
//
// The capacity context reads the run (it depends on this context for the scaling policy, not the reverse);
// the composition root hands its reader to the autoscaler module (the module's `measuredCapacity` option).
import type { MetricPolicy, ScalingPolicy } from './scaling-policy.ts';

/** The latest recorded capacity run, as the autoscaler uses it. */
export interface MeasuredCapacity {
  runId: number;
  recordedAt: string;
  /** The role the run's bottleneck was in (a payments bottleneck: the run measured the payments role, not the storefront's replicas). */
  role: 'storefront' | 'payments';
  /** The run's bottleneck in words, when it found one. */
  bottleneck: string | null;
  /** Requests per second one storefront replica sustained within the SLO; null when no step met it. */
  requestsPerSecondPerReplica: number | null;
}

/** The share of the measured per-replica capacity the target holds each replica at, by default. */
export const DEFAULT_CAPACITY_HEADROOM = 0.7;

/** Where the storefront's request-rate target comes from, as GET /api/ops/scaling shows it. */
export interface TargetsFromCapacity {
  /** True when the target comes from the run; false: the policy's targets apply (`message` says why). */
  applied: boolean;
  runId: number | null;
  role: 'storefront';
  metric: 'request-rate';
  /** Requests per second per replica the autoscaler holds the storefront at (null: the policy's, if it sets one). */
  targetAverageValue: number | null;
  message: string;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** The policy with the storefront's request-rate target taken from the measured capacity, or as it is (and why) when it cannot be. */
export function policyWithCapacityTargets(policy: ScalingPolicy, measured: MeasuredCapacity | null, headroom: number): { policy: ScalingPolicy; targets: TargetsFromCapacity } {
  const fallback = (why: string) => ({
    policy,
    targets: {
      applied: false, runId: measured?.runId ?? null, role: 'storefront' as const, metric: 'request-rate' as const, targetAverageValue: null,
      message: `${why}: the scaling policy's targets apply`,
    },
  });
  if (!measured) return fallback('no capacity run is recorded (holdfast loadtest capacity --record)');
  const perReplica = measured.requestsPerSecondPerReplica;
  if (perReplica === null || !(perReplica > 0)) return fallback(`capacity run #${measured.runId} found no sustainable rate`);
  if (measured.role !== 'storefront') {
    return fallback(`capacity run #${measured.runId} was limited by ${measured.role} (${measured.bottleneck ?? 'no bottleneck named'}), so its rate per storefront replica is not what a storefront replica sustains`);
  }
  const target = round2(perReplica * headroom);
  const storefront = policy.roles.storefront;
  const metric: MetricPolicy = { type: 'request-rate', targetAverageValue: target };
  const metrics = storefront.metrics.some((m) => m.type === 'request-rate')
    ? storefront.metrics.map((m) => (m.type === 'request-rate' ? metric : m))
    : [...storefront.metrics, metric];
  return {
    policy: { ...policy, roles: { ...policy.roles, storefront: { ...storefront, metrics } } },
    targets: {
      applied: true, runId: measured.runId, role: 'storefront', metric: 'request-rate', targetAverageValue: target,
      message: `storefront request-rate target ${target} requests/s per replica: ${round2(perReplica)} sustained per replica in capacity run #${measured.runId} (recorded ${measured.recordedAt}) × headroom ${headroom}`,
    },
  };
}
