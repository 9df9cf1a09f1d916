// Public surface of the autoscaler context: the scaling policy, the Kubernetes HPA calculation, the
// control role's autoscaler module, the supervisor of `holdfast start --autoscale`, and the Kubernetes export.
export { autoscalerModule } from './autoscaler-module.ts';
export { autoscalerConfig, type AutoscalerConfig } from './autoscaler-config.ts';
export { Autoscaler, type ScalingStatus, type RoleScaling, type RoleDecision } from './autoscaler.ts';
export { runSupervisor } from './run-supervisor.ts';
export { TargetsFromCapacitySchema } from './autoscaler-routes.ts';
export { policyWithCapacityTargets, type MeasuredCapacity, type TargetsFromCapacity } from './capacity-targets.ts';
export { runKubernetesExport } from './kubernetes/export-command.ts';
export {
  loadScalingPolicy, defaultScalingPolicy, parseScalingPolicy, localMaxReplicas, scheduleActive, SCALED_ROLES, type ScalingPolicy, type ScaledRole,
} from './scaling-policy.ts';
