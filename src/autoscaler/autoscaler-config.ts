// The autoscaler's settings: the scaling policy file (checked before anything starts) and how often the
// control role's autoscaler runs.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const autoscalerConfig = defineConfigSlice({
  scalingPolicyFile: Type.Optional(Type.String({ minLength: 1, description: 'Scaling policy (YAML or JSON: replicas, metrics, behavior, schedules per role; the database connection budget), checked at start; unset: the built-in policy (docs/scaling.md)' })),
  autoscalerIntervalMs: Type.Integer({ description: 'How often the autoscaler decides (the HPA: every 15 s)', default: 15_000, minimum: 200, maximum: 600_000 }),
  autoscalerMetricWindowSeconds: Type.Integer({ description: 'Window of the payment arrival rate and provider latency the autoscaler reads', default: 30, minimum: 1, maximum: 3600 }),
}, {
  HOLDFAST_SCALING_POLICY: 'scalingPolicyFile',
  HOLDFAST_AUTOSCALER_INTERVAL_MS: 'autoscalerIntervalMs',
  HOLDFAST_AUTOSCALER_METRIC_WINDOW_SECONDS: 'autoscalerMetricWindowSeconds',
});

export type AutoscalerConfig = SliceConfig<typeof autoscalerConfig>;
