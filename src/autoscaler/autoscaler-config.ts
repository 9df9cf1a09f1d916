// The autoscaler's settings: the scaling policy file (checked before anything starts), how often the
// control role's autoscaler runs, and whether the storefront's per-replica target comes from the measured
// capacity (capacity-targets.ts).
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';
import { DEFAULT_CAPACITY_HEADROOM } from './capacity-targets.ts';

export const autoscalerConfig = defineConfigSlice({
  scalingPolicyFile: Type.Optional(Type.String({ minLength: 1, description: 'Scaling policy (YAML or JSON: replicas, metrics, behavior, schedules per role; the database connection budget), checked at start; unset: the built-in policy (docs/scaling.md)' })),
  autoscalerIntervalMs: Type.Integer({ description: 'How often the autoscaler decides (the HPA controller\'s sync period, 15 s by default on a cluster; locally 5 s: processes start in seconds, and the scaling policies still limit how fast replicas change)', default: 5_000, minimum: 200, maximum: 600_000 }),
  autoscalerMetricWindowSeconds: Type.Integer({ description: 'Window of the payment arrival rate and provider latency the autoscaler reads', default: 30, minimum: 1, maximum: 3600 }),
  autoscalerRecentWindowSeconds: Type.Integer({ description: 'Short window of the payment arrival rate: a rate above the long window\'s is taken from it, so a surge is seen within seconds', default: 5, minimum: 1, maximum: 3600 }),
  autoscalerTargetsFromCapacity: Type.Boolean({ default: false, description: 'true: the storefront\'s request-rate target (HTTP requests per second per replica) comes from the latest recorded capacity run (holdfast loadtest capacity --record): what one storefront replica sustained within the SLO, times HOLDFAST_AUTOSCALER_CAPACITY_HEADROOM; read at start and again every autoscaler interval. With no usable run (none recorded, no sustainable rate, a payments bottleneck) the scaling policy\'s targets apply and a warning is logged' }),
  autoscalerCapacityHeadroom: Type.Number({ default: DEFAULT_CAPACITY_HEADROOM, exclusiveMinimum: 0, maximum: 1, description: 'With HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY: the share of the measured per-replica capacity the storefront\'s request-rate target holds each replica at (room for a surge while new replicas start, as an HPA target sits below saturation)' }),
}, {
  HOLDFAST_SCALING_POLICY: 'scalingPolicyFile',
  HOLDFAST_AUTOSCALER_INTERVAL_MS: 'autoscalerIntervalMs',
  HOLDFAST_AUTOSCALER_METRIC_WINDOW_SECONDS: 'autoscalerMetricWindowSeconds',
  HOLDFAST_AUTOSCALER_RECENT_WINDOW_SECONDS: 'autoscalerRecentWindowSeconds',
  HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY: 'autoscalerTargetsFromCapacity',
  HOLDFAST_AUTOSCALER_CAPACITY_HEADROOM: 'autoscalerCapacityHeadroom',
});

export type AutoscalerConfig = SliceConfig<typeof autoscalerConfig>;
