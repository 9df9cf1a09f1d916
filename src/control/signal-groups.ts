// Which scraped series feed which component: the storefront's routes, the payment jobs, each provider as
// payments sees it (client side) and as the simulator reports it (server side), the database by query,
// and saturation gauges. Components are keyed by what they are, not by the process that reports them, so
// one process running every role and one process per role produce the same signals.
import type { PromSample } from '../platform/observability/prometheus-text.ts';
import { METRICS, PAYMENT_QUEUES, isShopperRoute } from '../telemetry/index.ts';
import type { SloDefinition } from './control-config.ts';

/** Cumulative totals of one component (counters and histogram buckets), or a gauge reading. */
export interface GroupTotals {
  count: number;
  errors: number;
  sum: number;
  /** upper bound -> cumulative count */
  buckets: Map<number, number>;
  /** gauges: the current value (counters leave it undefined) */
  gauge?: number;
}

const empty = (): GroupTotals => ({ count: 0, errors: 0, sum: 0, buckets: new Map() });

const HTTP = METRICS.httpRequestDuration.name;
const DB = METRICS.dbQueryDuration.name;
const PROVIDER = METRICS.providerCallDuration.name;
const PSP = METRICS.pspRequestDuration.name;
const JOBS = METRICS.paymentJobDuration.name;

/** Outcomes of a provider call that reached the provider and got its answer (network gap is measurable). */
const ANSWERED = new Set(['succeeded', 'declined', 'replayed']);

/**
 * Contexts whose queries are Holdfast operating itself, not serving shoppers: incident response (opened,
 * paged and updated because an alert fired), the change log, fault switches, scaling decisions and the
 * capacity history. Their queries start or multiply at the moment of an alert or an operator's action,
 * so as evidence they would blame the database for the alerting itself (a query first seen when the
 * incident opened has no baseline worth the name); the shop's database is judged by the shop's queries.
 */
const OPERATIONS_QUERY_CONTEXTS = new Set(['incidents', 'changes', 'faults', 'autoscaler', 'capacity']);

export function isOperationsQuery(query: string): boolean {
  const dot = query.indexOf('.');
  return dot > 0 && OPERATIONS_QUERY_CONTEXTS.has(query.slice(0, dot));
}

function sloMatches(slo: SloDefinition, route: string, method: string): boolean {
  if (slo.source.kind !== 'http') return false;
  const src = slo.source;
  if (src.method && src.method !== method) return false;
  if (src.excludePrefixes?.some((p) => route.startsWith(p))) return false;
  return src.routePrefixes.some((p) => route.startsWith(p));
}

function groupsOf(base: string, labels: Record<string, string>, slos: readonly SloDefinition[]): { keys: string[]; error: boolean } | undefined {
  switch (base) {
    case HTTP: {
      const route = labels.route ?? 'unmatched';
      const method = labels.method ?? 'GET';
      if (!isShopperRoute(route)) return undefined;
      const keys = ['storefront', `route:${method} ${route}`];
      for (const slo of slos) if (sloMatches(slo, route, method)) keys.push(`slo:${slo.journey}`);
      return { keys, error: labels.status_class === '5xx' };
    }
    case DB: {
      const query = labels.query ?? 'unnamed';
      if (isOperationsQuery(query)) return undefined;
      return { keys: ['database', `query:${query}`], error: labels.outcome === 'error' };
    }
    case PROVIDER: {
      const outcome = labels.outcome ?? '';
      // calls the breaker or bulkhead refused never left payments: they are payments' decision, not the provider's latency
      if (outcome === 'rejected' || outcome === 'not_sent') return { keys: ['provider-refused'], error: true };
      const p = labels.provider ?? 'provider';
      const keys = [`provider:${p}`, 'provider'];
      if (ANSWERED.has(outcome)) keys.push('provider-answered');
      return { keys, error: outcome === 'error' || outcome === 'timeout' };
    }
    case PSP: {
      const outcome = labels.outcome ?? '';
      const keys = [`psp:${labels.account ?? 'psp'}`, 'psp'];
      if (ANSWERED.has(outcome)) keys.push('psp-answered');
      return { keys, error: outcome === 'fault_error' || outcome === 'fault_timeout' || outcome === 'error' };
    }
    case JOBS: {
      const keys = ['payments'];
      for (const slo of slos) if (slo.source.kind === 'payment-jobs') keys.push(`slo:${slo.journey}`);
      return { keys, error: labels.result === 'retry_later' || labels.result === 'error' };
    }
    default:
      return undefined;
  }
}

const HISTOGRAMS = [HTTP, DB, PROVIDER, PSP, JOBS];

/** Groups one target's samples into component totals. */
export function groupSamples(samples: readonly PromSample[], slos: readonly SloDefinition[]): Map<string, GroupTotals> {
  const out = new Map<string, GroupTotals>();
  const acc = (key: string) => {
    let g = out.get(key);
    if (!g) out.set(key, (g = empty()));
    return g;
  };
  const gauge = (key: string, v: number, how: 'sum' | 'max') => {
    if (!Number.isFinite(v)) return;
    const g = acc(key);
    g.gauge = g.gauge === undefined ? v : how === 'sum' ? g.gauge + v : Math.max(g.gauge, v);
  };
  for (const s of samples) {
    const { name, labels } = s;
    const base = HISTOGRAMS.find((h) => name.startsWith(h) && name.length > h.length && name[h.length] === '_');
    if (base) {
      const suffix = name.slice(base.length + 1);
      const which = groupsOf(base, labels, slos);
      if (!which) continue;
      for (const key of which.keys) {
        const g = acc(key);
        if (suffix === 'count') {
          g.count += s.value;
          if (which.error) g.errors += s.value;
        } else if (suffix === 'sum') {
          g.sum += s.value;
        } else if (suffix === 'bucket') {
          const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
          g.buckets.set(le, (g.buckets.get(le) ?? 0) + s.value);
        }
      }
      continue;
    }
    const svc = labels.service ?? 'holdfast';
    if (name === METRICS.dbPoolConnections.name && labels.state === 'waiting') gauge('gauge:pool-waiting', s.value, 'sum');
    else if (name === METRICS.paymentQueueJobs.name && labels.queue === PAYMENT_QUEUES.charge && labels.state !== 'active') gauge('gauge:queue-jobs', s.value, 'sum');
    else if (name === METRICS.paymentQueueOldestJobAge.name) gauge('gauge:queue-age', s.value, 'max');
    // 0 closed, 1 half-open, 2 open: the worst any payments process reports (each has breakers of its own)
    else if (name === METRICS.breakerState.name) gauge(`gauge:breaker:${labels.provider ?? 'provider'}`, s.value, 'max');
    else if (name === METRICS.eventLoopStallMax.name) gauge(`gauge:event-loop-stall:${svc}`, s.value, 'max');
    else if (name === METRICS.eventLoopUtilization.name) gauge(`gauge:event-loop-busy:${svc}`, s.value, 'max');
    else if (name === METRICS.processCpuSeconds.name) { const g = acc(`cpu:${svc}`); g.count += s.value; }
  }
  return out;
}

/** after - before, per component; a counter that went backwards (a restarted process) counts from zero. */
export function deltaTotals(before: ReadonlyMap<string, GroupTotals> | undefined, after: ReadonlyMap<string, GroupTotals>): Map<string, GroupTotals> {
  const out = new Map<string, GroupTotals>();
  for (const [key, a] of after) {
    if (a.gauge !== undefined) { out.set(key, { ...empty(), gauge: a.gauge }); continue; }
    const b = before?.get(key);
    const reset = b !== undefined && a.count < b.count;
    const base = !b || reset ? empty() : b;
    const buckets = new Map<number, number>();
    for (const [le, n] of a.buckets) buckets.set(le, Math.max(0, n - (base.buckets.get(le) ?? 0)));
    out.set(key, { count: Math.max(0, a.count - base.count), errors: Math.max(0, a.errors - base.errors), sum: Math.max(0, a.sum - base.sum), buckets });
  }
  return out;
}

/** Adds `delta` into running totals (the control role's own monotonic view across every target). */
export function addTotals(into: Map<string, GroupTotals>, delta: ReadonlyMap<string, GroupTotals>): void {
  for (const [key, d] of delta) {
    let g = into.get(key);
    if (!g) into.set(key, (g = empty()));
    if (d.gauge !== undefined) { g.gauge = d.gauge; continue; }
    g.count += d.count;
    g.errors += d.errors;
    g.sum += d.sum;
    for (const [le, n] of d.buckets) g.buckets.set(le, (g.buckets.get(le) ?? 0) + n);
  }
}

export function cloneTotals(m: ReadonlyMap<string, GroupTotals>): Map<string, GroupTotals> {
  const out = new Map<string, GroupTotals>();
  for (const [k, g] of m) out.set(k, { ...g, buckets: new Map(g.buckets) });
  return out;
}
