// Grafana dashboards (JSON model, schemaVersion 39) over Holdfast's /metrics as scraped by Prometheus:
// RED per route and per dependency, the SLOs (from the exported recording rules), and the payment queue.
// The Prometheus data source is a dashboard variable, so the files import into any Grafana.
import { DEFAULT_SLOS, DEFAULT_BURN_WINDOWS, type SloDefinition } from '../control/index.ts';
import { BAD_RATIO_RECORD, promDuration } from './prometheus-rules.ts';
import { METRICS as M, PAYMENT_QUEUES } from '../telemetry/index.ts';

interface Target { expr: string; legendFormat: string }
type Panel = Record<string, unknown>;

const DS = { type: 'prometheus', uid: '${datasource}' };

function timeseries(id: number, title: string, targets: Target[], unit: string, grid: { x: number; y: number; w?: number; h?: number }): Panel {
  return {
    id, type: 'timeseries', title, datasource: DS,
    gridPos: { x: grid.x, y: grid.y, w: grid.w ?? 12, h: grid.h ?? 8 },
    fieldConfig: { defaults: { unit, custom: { lineWidth: 1, fillOpacity: 10 } }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi' } },
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), datasource: DS, expr: t.expr, legendFormat: t.legendFormat })),
  };
}

function stat(id: number, title: string, expr: string, unit: string, grid: { x: number; y: number; w?: number; h?: number }, thresholds: { color: string; value: number | null }[]): Panel {
  return {
    id, type: 'stat', title, datasource: DS,
    gridPos: { x: grid.x, y: grid.y, w: grid.w ?? 6, h: grid.h ?? 4 },
    fieldConfig: { defaults: { unit, thresholds: { mode: 'absolute', steps: thresholds } }, overrides: [] },
    options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background' },
    targets: [{ refId: 'A', datasource: DS, expr }],
  };
}

function dashboard(uid: string, title: string, panels: Panel[], extraVars: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    uid, title, tags: ['holdfast'], timezone: 'browser', schemaVersion: 39, version: 1, editable: true,
    refresh: '10s', time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus', current: {} },
        {
          name: 'service', label: 'Service', type: 'query', datasource: DS, query: `label_values(${M.processCpuSeconds.name}, service)`,
          includeAll: true, multi: true, allValue: '.*', current: { text: 'All', value: '$__all' }, refresh: 2,
        },
        ...extraVars,
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

const q = (percentile: number, metric: string, by: string, sel: string) =>
  `histogram_quantile(${percentile}, sum by (le, ${by}) (rate(${metric}_bucket{${sel}}[$__rate_interval])))`;

/** RED: rate, errors and duration per route, per named DB query and per provider; saturation. */
export function redDashboard(): Record<string, unknown> {
  const svc = 'service=~"$service"';
  const http = M.httpRequestDuration.name;
  return dashboard('holdfast-red', 'Holdfast: RED metrics', [
    timeseries(1, 'Requests/s by route', [{ expr: `sum by (method, route) (rate(${http}_count{${svc}}[$__rate_interval]))`, legendFormat: '{{method}} {{route}}' }], 'reqps', { x: 0, y: 0 }),
    timeseries(2, 'Error ratio (5xx) by route', [{
      expr: `sum by (method, route) (rate(${http}_count{${svc},status_class="5xx"}[$__rate_interval])) / sum by (method, route) (rate(${http}_count{${svc}}[$__rate_interval]))`,
      legendFormat: '{{method}} {{route}}',
    }], 'percentunit', { x: 12, y: 0 }),
    timeseries(3, 'p99 latency by route', [{ expr: q(0.99, http, 'method, route', svc), legendFormat: '{{method}} {{route}}' }], 's', { x: 0, y: 8 }),
    timeseries(4, 'p50 latency by route', [{ expr: q(0.5, http, 'method, route', svc), legendFormat: '{{method}} {{route}}' }], 's', { x: 12, y: 8 }),
    timeseries(5, 'DB queries/s by named query', [{ expr: `sum by (query) (rate(${M.dbQueryDuration.name}_count{${svc}}[$__rate_interval]))`, legendFormat: '{{query}}' }], 'ops', { x: 0, y: 16 }),
    timeseries(6, 'DB query p99 by named query', [{ expr: q(0.99, M.dbQueryDuration.name, 'query', svc), legendFormat: '{{query}}' }], 's', { x: 12, y: 16 }),
    timeseries(7, 'Provider calls/s by outcome', [{ expr: `sum by (provider, outcome) (rate(${M.providerCalls.name}{${svc}}[$__rate_interval]))`, legendFormat: '{{provider}} {{outcome}}' }], 'ops', { x: 0, y: 24 }),
    timeseries(8, 'Provider call p99', [{ expr: q(0.99, M.providerCallDuration.name, 'provider', svc), legendFormat: '{{provider}}' }], 's', { x: 12, y: 24 }),
    timeseries(9, 'DB pool connections', [{ expr: `sum by (service, pool, state) (${M.dbPoolConnections.name}{${svc},state=~"in_use|waiting"})`, legendFormat: '{{service}} {{pool}} {{state}}' }], 'short', { x: 0, y: 32 }),
    timeseries(10, 'Event loop lag p99 and CPU', [
      { expr: `max by (service) (${M.eventLoopLagP99.name}{${svc}})`, legendFormat: 'lag p99 {{service}}' },
      { expr: `sum by (service) (rate(${M.processCpuSeconds.name}{${svc}}[$__rate_interval]))`, legendFormat: 'CPU cores {{service}}' },
    ], 'short', { x: 12, y: 32 }),
  ]);
}

/** SLOs: bad-event ratio per journey against its budget, per window of the burn-rate policy. */
export function sloDashboard(slos: readonly SloDefinition[] = DEFAULT_SLOS, windowScale = 1): Record<string, unknown> {
  const panels: Panel[] = [];
  const w = DEFAULT_BURN_WINDOWS[0]!;
  const long = promDuration(w.longSeconds * windowScale);
  const short = promDuration(w.shortSeconds * windowScale);
  let id = 1;
  slos.forEach((slo, i) => {
    const y = i * 8;
    for (const [j, objective] of (['availability', 'latency'] as const).entries()) {
      const target = objective === 'availability' ? slo.availability : slo.latency.objective;
      const budget = Number((1 - target).toPrecision(6));
      const m = `{journey="${slo.journey}",objective="${objective}"}`;
      panels.push(timeseries(id++, `${slo.journey}: ${objective} burn rate (objective ${(target * 100).toFixed(2)}%${objective === 'latency' ? ` under ${slo.latency.thresholdSeconds} s` : ''})`, [
        { expr: `${BAD_RATIO_RECORD}:rate${long}${m} / ${budget}`, legendFormat: `burn ${long}` },
        { expr: `${BAD_RATIO_RECORD}:rate${short}${m} / ${budget}`, legendFormat: `burn ${short}` },
        { expr: `vector(${w.burnRate})`, legendFormat: 'page threshold' },
      ], 'short', { x: j * 12, y }));
    }
  });
  return dashboard('holdfast-slo', 'Holdfast: SLOs', panels);
}

/** The payment queue: depth by state, oldest job age, job outcomes, breakers and bulkheads. */
export function paymentQueueDashboard(): Record<string, unknown> {
  const svc = 'service=~"$service"';
  return dashboard('holdfast-payment-queue', 'Holdfast: payment queue', [
    stat(1, 'Oldest waiting job', `max(${M.paymentQueueOldestJobAge.name}{${svc}})`, 's', { x: 0, y: 0 },
      [{ color: 'green', value: null }, { color: 'orange', value: 30 }, { color: 'red', value: 120 }]),
    stat(2, 'Jobs waiting', `max(sum by (service) (${M.paymentQueueJobs.name}{${svc},queue="${PAYMENT_QUEUES.charge}",state=~"created|retry"}))`, 'short', { x: 6, y: 0 },
      [{ color: 'green', value: null }, { color: 'orange', value: 100 }, { color: 'red', value: 1000 }]),
    stat(3, 'Dead-lettered', `max(sum by (service) (${M.paymentQueueJobs.name}{${svc},queue="${PAYMENT_QUEUES.deadLetter}"}))`, 'short', { x: 12, y: 0 },
      [{ color: 'green', value: null }, { color: 'red', value: 1 }]),
    stat(4, 'Orders paid/s', `sum(rate(${M.paymentsSettled.name}{${svc},outcome="paid"}[$__rate_interval]))`, 'ops', { x: 18, y: 0 },
      [{ color: 'blue', value: null }]),
    timeseries(5, 'Queue depth by state', [{ expr: `max by (queue, state) (${M.paymentQueueJobs.name}{${svc}})`, legendFormat: '{{queue}} {{state}}' }], 'short', { x: 0, y: 4 }),
    timeseries(6, 'Oldest job age', [{ expr: `max(${M.paymentQueueOldestJobAge.name}{${svc}})`, legendFormat: 'oldest' }], 's', { x: 12, y: 4 }),
    timeseries(7, 'Jobs/s by result', [{ expr: `sum by (result) (rate(${M.paymentJobDuration.name}_count{${svc}}[$__rate_interval]))`, legendFormat: '{{result}}' }], 'ops', { x: 0, y: 12 }),
    timeseries(8, 'Job duration p50 / p99', [
      { expr: q(0.5, M.paymentJobDuration.name, 'result', svc), legendFormat: 'p50 {{result}}' },
      { expr: q(0.99, M.paymentJobDuration.name, 'result', svc), legendFormat: 'p99 {{result}}' },
    ], 's', { x: 12, y: 12 }),
    timeseries(9, 'Circuit breaker state (0 closed, 1 half-open, 2 open)', [{ expr: `max by (provider) (${M.breakerState.name}{${svc}})`, legendFormat: '{{provider}}' }], 'short', { x: 0, y: 20 }),
    timeseries(10, 'Bulkhead in use / limit', [
      { expr: `sum by (provider) (${M.bulkheadInUse.name}{${svc}})`, legendFormat: 'in use {{provider}}' },
      { expr: `max by (provider) (${M.bulkheadLimit.name}{${svc}})`, legendFormat: 'limit {{provider}}' },
    ], 'short', { x: 12, y: 20 }),
  ]);
}
