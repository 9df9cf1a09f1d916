// The autoscaler's settings: the scaling policy file (checked before anything starts) and how often the
// control role's autoscaler runs.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const autoscalerConfig = defineConfigSlice({
  scalingPolicyFile: Type.Optional(Type.String({ minLength: 1, description: 'Scaling policy (YAML or JSON: replicas, metrics, behavior, schedules per role; the database connection budget), checked at start; unset: the built-in policy (docs/scaling.md)' })),
  autoscalerIntervalMs: Type.Integer({ description: 'How often the autoscaler decides (the HPA controller\'s sync period, 15 s by default on a cluster; locally 5 s: processes start in seconds, and the scaling policies still limit how fast replicas change)', default: 5_000, minimum: 200, maximum: 600_000 }),
  autoscalerMetricWindowSeconds: Type.Integer({ description: 'Window of the payment arrival rate and provider latency the autoscaler reads', default: 30, minimum: 1, maximum: 3600 }),
  autoscalerRecentWindowSeconds: Type.Integer({ description: 'Short window of the payment arrival rate: a rate above the long window\'s is taken from it, so a surge is seen within seconds', default: 5, minimum: 1, maximum: 3600 }),
}, {
  HOLDFAST_SCALING_POLICY: 'scalingPolicyFile',
  HOLDFAST_AUTOSCALER_INTERVAL_MS: 'autoscalerIntervalMs',
  HOLDFAST_AUTOSCALER_METRIC_WINDOW_SECONDS: 'autoscalerMetricWindowSeconds',
  HOLDFAST_AUTOSCALER_RECENT_WINDOW_SECONDS: 'autoscalerRecentWindowSeconds',
});

export type AutoscalerConfig = SliceConfig<typeof autoscalerConfig>;
