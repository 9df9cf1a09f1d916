// The provider simulator's metrics, on the registry every role exports.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';
import { METRICS } from '../telemetry/index.ts';

// Provider simulator (src/psp): every request by simulator account, route and outcome (succeeded,
// declined, replayed, invalid_request, unauthorized, not_found, idempotency_error, conflict,
// fault_error, fault_timeout, error).
export const pspRequestsTotal = new client.Counter({
  name: METRICS.pspRequests.name,
  help: 'Provider simulator requests by account, route and outcome',
  labelNames: ['account', 'route', 'outcome'] as const,
  registers: [registry],
});

export const pspRequestDuration = new client.Histogram({
  name: METRICS.pspRequestDuration.name,
  help: 'Provider simulator request duration (including injected latency) by account, route and outcome',
  labelNames: ['account', 'route', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
