// Prometheus metrics shared by every role (prom-client). Metric names are part of the public contract:
// docs/observability.md lists them. Each series carries a `service` label naming the role that emits it.
import client from 'prom-client';

export const registry = new client.Registry();

let defaultsCollected = false;
/** Sets the process-wide `service` label and starts process metrics (CPU, memory, event loop lag). */
export function initProcessMetrics(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    client.collectDefaultMetrics({ register: registry, prefix: 'holdfast_', eventLoopMonitoringPrecision: 10 });
    defaultsCollected = true;
  }
}

/** Switches for per-request instrumentation (config `metricsEnabled`); process metrics are always on. */
export const metricsSettings = { httpEnabled: true, dbEnabled: true };

export const httpRequestDuration = new client.Histogram({
  name: 'holdfast_http_request_duration_seconds',
  help: 'HTTP request duration by route, method and status class',
  labelNames: ['route', 'method', 'status_class'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const dbQueryDuration = new client.Histogram({
  name: 'holdfast_db_query_duration_seconds',
  help: 'PostgreSQL query duration by named query and outcome',
  labelNames: ['query', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const checkoutsTotal = new client.Counter({
  name: 'holdfast_checkouts_total',
  help: 'Checkout attempts by outcome (accepted, replayed, or an error code)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

interface PoolLike { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number } }
const pools = new Map<string, PoolLike>();

new client.Gauge({
  name: 'holdfast_db_pool_connections',
  help: 'PostgreSQL pool connections by pool and state (in_use, idle, waiting clients, max)',
  labelNames: ['pool', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [name, pool] of pools) {
      this.set({ pool: name, state: 'in_use' }, pool.totalCount - pool.idleCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
      this.set({ pool: name, state: 'max' }, pool.options.max ?? 10);
    }
  },
});

export function registerPoolMetrics(name: string, pool: PoolLike): void {
  pools.set(name, pool);
}

// Provider simulator (src/psp): every request by simulator account, route and outcome (succeeded,
// declined, replayed, invalid_request, unauthorized, not_found, idempotency_error, conflict,
// fault_error, fault_timeout, error).
export const pspRequestsTotal = new client.Counter({
  name: 'holdfast_psp_requests_total',
  help: 'Provider simulator requests by account, route and outcome',
  labelNames: ['account', 'route', 'outcome'] as const,
  registers: [registry],
});

export const pspRequestDuration = new client.Histogram({
  name: 'holdfast_psp_request_duration_seconds',
  help: 'Provider simulator request duration (including injected latency) by account, route and outcome',
  labelNames: ['account', 'route', 'outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});
