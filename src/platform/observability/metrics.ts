// Prometheus metrics shared by every role (prom-client). Metric names are part of the public contract:
// docs/observability.md lists them. Each series carries a `service` label naming the role that emits it.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import client from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.ts';

export const registry = new client.Registry();

let defaultsCollected = false;
/** Sets the process-wide `service` label and starts process metrics (CPU, memory, event loop lag). */
export function initProcessMetrics(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    client.collectDefaultMetrics({ register: registry, prefix: 'holdfast_', eventLoopMonitoringPrecision: 10 });
    startStallMonitor();
    defaultsCollected = true;
  }
}

const STALL_WINDOW_SECONDS = 10;

/**
 * The event loop over the last 10 s, in one-second slots: its longest stall, and its mean utilisation
 * (share of the time it was running callbacks). prom-client's lag gauges cover the time since
 * the previous scrape; while the loop is blocked a scrape times out, and the stall it would have reported
 * is lost. A rolling window survives that: the next scrape still sees it. The control role uses both to
 * tell a stalled caller from a slow dependency (docs/observability.md).
 */
function startStallMonitor(): void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const stalls = new Array<number>(STALL_WINDOW_SECONDS).fill(0);
  const busy = new Array<number>(STALL_WINDOW_SECONDS).fill(0);
  let slot = 0;
  let elu = performance.eventLoopUtilization();
  const roll = () => {
    stalls[slot] = delay.count > 0 ? delay.max / 1e9 : 0;
    const now = performance.eventLoopUtilization();
    busy[slot] = performance.eventLoopUtilization(now, elu).utilization;
    elu = now;
    slot = (slot + 1) % stalls.length;
    delay.reset();
  };
  setInterval(roll, 1000).unref();
  new client.Gauge({
    name: 'holdfast_eventloop_stall_max_seconds',
    help: `Longest event-loop stall over the last ${STALL_WINDOW_SECONDS} s (rolling maximum)`,
    registers: [registry],
    collect() { this.set(Math.max(delay.count > 0 ? delay.max / 1e9 : 0, ...stalls)); },
  });
  new client.Gauge({
    name: 'holdfast_eventloop_utilization_ratio',
    help: `Event-loop utilisation over the last ${STALL_WINDOW_SECONDS} s (mean of one-second slots)`,
    registers: [registry],
    collect() { this.set(busy.reduce((a, b) => a + b, 0) / busy.length); },
  });
}

/** Switches for per-request instrumentation (config `metricsEnabled`); process metrics are always on. */
export const metricsSettings = { httpEnabled: true, dbEnabled: true };

export const httpRequestDuration = new LabelledHistogram({
  name: 'holdfast_http_request_duration_seconds',
  help: 'HTTP request duration by route, method and status class',
  labelNames: ['route', 'method', 'status_class'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const dbQueryDuration = new LabelledHistogram({
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
