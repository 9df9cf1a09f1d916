// The metrics registry every role exports on /metrics (prom-client), and the metrics of platform's own
// mechanisms: process and event loop, HTTP requests, database queries and pools. Each context creates its
// own metrics in its folder, on this registry. Every name comes from the telemetry contract
// (src/telemetry); names are part of the public contract (docs/observability.md). Each series carries a
// `service` label naming the role that emits it.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import { METRICS, METRIC_PREFIX } from '../../telemetry/index.ts';
import { LabelledHistogram } from './labelled-histogram.ts';

export const registry = new client.Registry();

/**
 * Which process answered a scrape of /metrics (headers of the response), and when it started: several
 * processes can answer on one address (storefront replicas sharing a port with SO_REUSEPORT under
 * `holdfast start --autoscale`), and a scraper must not read one process's counters as the continuation of
 * another's (src/control/metrics-collector.ts).
 */
export const PROCESS_INSTANCE_HEADER = 'x-holdfast-instance';
export const PROCESS_STARTED_AT_HEADER = 'x-holdfast-started-at';
export const PROCESS_INSTANCE = randomUUID();
/** Epoch milliseconds. */
export const PROCESS_STARTED_AT = Math.round(performance.timeOrigin);

let defaultsCollected = false;
/** Sets the process-wide `service` label and starts process metrics (CPU, memory, event loop lag). */
export function initProcessMetrics(service: string): void {
  registry.setDefaultLabels({ service });
  if (!defaultsCollected) {
    client.collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 10 });
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
    name: METRICS.eventLoopStallMax.name,
    help: `Longest event-loop stall over the last ${STALL_WINDOW_SECONDS} s (rolling maximum)`,
    registers: [registry],
    collect() { this.set(Math.max(delay.count > 0 ? delay.max / 1e9 : 0, ...stalls)); },
  });
  new client.Gauge({
    name: METRICS.eventLoopUtilization.name,
    help: `Event-loop utilisation over the last ${STALL_WINDOW_SECONDS} s (mean of one-second slots)`,
    registers: [registry],
    collect() { this.set(busy.reduce((a, b) => a + b, 0) / busy.length); },
  });
}

/** Switches for per-request instrumentation (config `metricsEnabled`); process metrics are always on. */
export const metricsSettings = { httpEnabled: true, dbEnabled: true };

/** HTTP requests this process is serving now (the autoscaler's request-concurrency metric). */
export const httpRequestsInFlight = { count: 0 };
/** HTTP requests this process has received since it started (the autoscaler's request-rate metric, as a difference over its interval). */
export const httpRequestsReceived = { count: 0 };
new client.Gauge({
  name: METRICS.httpRequestsInFlight.name,
  help: 'HTTP requests being served by this process now',
  registers: [registry],
  collect() { this.set(httpRequestsInFlight.count); },
});

export const httpRequestDuration = new LabelledHistogram({
  name: METRICS.httpRequestDuration.name,
  help: 'HTTP request duration by route, method and status class',
  labelNames: ['route', 'method', 'status_class'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const dbQueryDuration = new LabelledHistogram({
  name: METRICS.dbQueryDuration.name,
  help: 'PostgreSQL query duration by named query and outcome',
  labelNames: ['query', 'outcome'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const dbPoolWaitTimeouts = new client.Counter({
  name: METRICS.dbPoolWaitTimeouts.name,
  help: 'Callers that gave up waiting for a connection of a busy pool (answered 503 DATABASE_BUSY), by pool',
  labelNames: ['pool'] as const,
  registers: [registry],
});

interface PoolLike { totalCount: number; idleCount: number; waitingCount: number; options: { max?: number } }
const pools = new Map<string, PoolLike>();

new client.Gauge({
  name: METRICS.dbPoolConnections.name,
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
