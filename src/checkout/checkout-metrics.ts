// Checkout's metrics, on the registry every role exports.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';
import { METRICS } from '../telemetry/index.ts';

export const checkoutsTotal = new client.Counter({
  name: METRICS.checkouts.name,
  help: 'Checkout attempts by outcome (accepted, replayed, or an error code)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
