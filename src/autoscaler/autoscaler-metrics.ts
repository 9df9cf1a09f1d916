// The autoscaler's metrics (control role), on the registry every role exports; names from the telemetry
// contract (src/telemetry), documented in docs/scaling.md.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';
import { METRICS } from '../telemetry/index.ts';

export const autoscalerReplicas = new client.Gauge({
  name: METRICS.autoscalerReplicas.name,
  help: 'Replicas of a role running (ready or starting), as the autoscaler last saw them',
  labelNames: ['role'] as const,
  registers: [registry],
});

export const autoscalerDesiredReplicas = new client.Gauge({
  name: METRICS.autoscalerDesiredReplicas.name,
  help: 'Replicas of a role the autoscaler last decided on',
  labelNames: ['role'] as const,
  registers: [registry],
});

export const autoscalerDecisions = new client.Counter({
  name: METRICS.autoscalerDecisions.name,
  help: 'Autoscaler decisions that changed a role\'s replicas, by role and direction (up, down)',
  labelNames: ['role', 'direction'] as const,
  registers: [registry],
});

export const supervisorRestarts = new client.Counter({
  name: METRICS.supervisorRestarts.name,
  help: 'Role processes the supervisor (holdfast start --autoscale) restarted after they exited unasked, by role',
  labelNames: ['role'] as const,
  registers: [registry],
});
