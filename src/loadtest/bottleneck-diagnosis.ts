// Which part of the system saturated, read from the target's own /metrics during a load step (and from
// what the load generator saw): a database pool with clients waiting, the payment bulkhead at its
// limit, an event loop lagging, a process using a whole core, a rate limit answering 429, connections
// failing. When nothing saturated, the slowest route is the best lead. Each finding names a component
// first ("postgres pool main", "payments", "storefront"), then the evidence.
import { deltaQuantileUpperBound, counterDeltas, histogramDeltas, type MetricSnapshot } from './prometheus-text.ts';
import type { RunResult } from './run-result.ts';
import { METRICS as M } from '../telemetry/index.ts';

export type SignalKind = 'db-pool' | 'bulkhead' | 'event-loop' | 'cpu' | 'rate-limit' | 'client-errors' | 'slowest-route';

export interface Signal {
  kind: SignalKind;
  /** The part of the system: "postgres pool main", "payments", "storefront", ... */
  component: string;
  /** One line: the component, then the evidence. */
  message: string;
  /** A few words for tables ("pool main: 9 waiting", "lag 52 ms"). */
  short: string;
  /** How far past saturation (≥ 1 means saturated); used to rank findings of one step. */
  severity: number;
  /** Present already at the lowest rate tried: the machine or the deployment, not the load (set by nameBottleneck). */
  ambient?: boolean;
}

/** The order in which kinds are named when they appear at the same step: the deepest dependency first. */
export const KIND_PRIORITY: SignalKind[] = ['db-pool', 'bulkhead', 'event-loop', 'cpu', 'rate-limit', 'client-errors', 'slowest-route'];

export interface StepEvidence {
  /** Scrape just before the step's load. */
  before?: MetricSnapshot;
  /** Scrapes while the load ran (the last one is the step's end). */
  during: MetricSnapshot[];
  result: RunResult;
}

export const EVENT_LOOP_LAG_LIMIT_MS = 50;
export const CPU_SATURATED_CORES = 0.85;

const round = (v: number, d = 0) => Number(v.toFixed(d));

/** The component a process-level metric belongs to, from its `service` label. */
function serviceName(labels: Record<string, string>): string {
  const s = labels.service ?? '';
  if (!s || s === 'all' || s === 'test' || s.includes(',')) return 'storefront';
  return s;
}

function maxBy(snaps: MetricSnapshot[], name: string, match: Record<string, string>): number | undefined {
  let best: number | undefined;
  for (const s of snaps) {
    for (const x of s.all(name, match)) if (best === undefined || x.value > best) best = x.value;
  }
  return best;
}

function poolSignals(during: MetricSnapshot[]): Signal[] {
  const out: Signal[] = [];
  const pools = new Set<string>();
  for (const s of during) for (const x of s.all(M.dbPoolConnections.name)) if (x.labels.pool) pools.add(x.labels.pool);
  for (const pool of pools) {
    let worstWaiting = 0;
    let atMax = 0;
    let max = 0;
    let inUseAtWorst = 0;
    for (const s of during) {
      const waiting = s.value(M.dbPoolConnections.name, { pool, state: 'waiting' }) ?? 0;
      const inUse = s.value(M.dbPoolConnections.name, { pool, state: 'in_use' }) ?? 0;
      const m = s.value(M.dbPoolConnections.name, { pool, state: 'max' }) ?? 0;
      max = Math.max(max, m);
      if (m > 0 && inUse >= m) atMax++;
      if (waiting >= worstWaiting) { worstWaiting = waiting; inUseAtWorst = inUse; }
    }
    if (worstWaiting > 0) {
      out.push({ kind: 'db-pool', component: `postgres pool ${pool}`, message: `postgres pool ${pool}: ${worstWaiting} waiting (${inUseAtWorst}/${max} connections in use)`, short: `pool ${pool}: ${worstWaiting} waiting`, severity: 1 + worstWaiting / Math.max(1, max) });
    } else if (atMax > 0) {
      out.push({ kind: 'db-pool', component: `postgres pool ${pool}`, message: `postgres pool ${pool}: all ${max} connections in use`, short: `pool ${pool}: ${max}/${max} in use`, severity: 1 });
    }
  }
  return out;
}

function bulkheadSignals(during: MetricSnapshot[]): Signal[] {
  const out: Signal[] = [];
  const providers = new Set<string>();
  for (const s of during) for (const x of s.all(M.bulkheadLimit.name)) providers.add(x.labels.provider ?? '');
  for (const provider of providers) {
    let hits = 0;
    let limit = 0;
    for (const s of during) {
      const l = s.value(M.bulkheadLimit.name, { provider }) ?? 0;
      const used = s.value(M.bulkheadInUse.name, { provider }) ?? 0;
      limit = Math.max(limit, l);
      if (l > 0 && used >= l) hits++;
    }
    if (hits > 0) {
      out.push({ kind: 'bulkhead', component: 'payments', message: `payments: provider call concurrency at bulkhead limit (${limit} in flight to provider ${provider || 'default'})`, short: `payments bulkhead ${limit}/${limit}`, severity: 1 + hits / Math.max(1, during.length) });
    }
  }
  return out;
}

function eventLoopSignals(during: MetricSnapshot[]): Signal[] {
  const out: Signal[] = [];
  const byService = new Map<string, number>();
  for (const s of during) {
    for (const x of s.all(M.eventLoopLagP99.name)) {
      const svc = serviceName(x.labels);
      byService.set(svc, Math.max(byService.get(svc) ?? 0, x.value * 1000));
    }
  }
  for (const [svc, lagMs] of byService) {
    if (lagMs > EVENT_LOOP_LAG_LIMIT_MS) out.push({ kind: 'event-loop', component: svc, message: `${svc}: event-loop lag ${round(lagMs)} ms (p99)`, short: `${svc} lag ${round(lagMs)} ms`, severity: lagMs / EVENT_LOOP_LAG_LIMIT_MS });
  }
  return out;
}

function cpuSignals(before: MetricSnapshot | undefined, during: MetricSnapshot[]): Signal[] {
  const last = during[during.length - 1];
  if (!before || !last || last.at <= before.at) return [];
  const seconds = (last.at - before.at) / 1000;
  const out: Signal[] = [];
  for (const d of counterDeltas(before, last, M.processCpuSeconds.name)) {
    const cores = d.delta / seconds;
    if (cores >= CPU_SATURATED_CORES) {
      const svc = serviceName(d.labels);
      out.push({ kind: 'cpu', component: svc, message: `${svc}: CPU saturated (${round(cores, 2)} cores busy; Node runs JavaScript on one)`, short: `${svc} CPU ${round(cores, 2)}`, severity: cores / CPU_SATURATED_CORES });
    }
  }
  return out;
}

function clientSignals(result: RunResult): Signal[] {
  const out: Signal[] = [];
  const total = Math.max(1, result.totals.requests);
  const tooMany = result.steps.reduce((n, s) => n + (s.statuses['429'] ?? 0), 0);
  if (tooMany / total > 0.01) {
    out.push({ kind: 'rate-limit', component: 'storefront', message: `storefront: rate limiting answered 429 to ${round((tooMany / total) * 100, 1)}% of requests (the per-client write limit: load from one machine is one client; see HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE)`, short: `429 on ${round((tooMany / total) * 100, 1)}%`, severity: 1 + tooMany / total });
  }
  const { timeout, connection } = result.totals.errors;
  if ((timeout + connection) / total > 0.01) {
    out.push({ kind: 'client-errors', component: 'target', message: `target: ${timeout} request(s) timed out and ${connection} connection(s) failed (${round(((timeout + connection) / total) * 100, 1)}% of requests)`, short: `${timeout + connection} timeouts/conn. errors`, severity: 1 + (timeout + connection) / total });
  }
  return out;
}

/** The route with the highest mean time in the step (from the target's own histogram), else from the client's view. */
export function slowestRoute(ev: StepEvidence): Signal | undefined {
  const last = ev.during[ev.during.length - 1];
  if (last && ev.before) {
    const routes = histogramDeltas(ev.before, last, M.httpRequestDuration.name)
      .filter((h) => h.labels.route !== '/metrics')
      .map((h) => ({ h, key: `${h.labels.method ?? ''} ${h.labels.route ?? '?'}` }));
    const merged = new Map<string, { count: number; sum: number; p99: number }>();
    for (const { h, key } of routes) {
      if (h.count <= 0) continue;
      const m = merged.get(key) ?? { count: 0, sum: 0, p99: 0 };
      m.count += h.count;
      m.sum += h.sum;
      m.p99 = Math.max(m.p99, deltaQuantileUpperBound(h, 0.99));
      merged.set(key, m);
    }
    const ranked = [...merged].filter(([, m]) => m.count >= 3).sort((a, b) => b[1].sum / b[1].count - a[1].sum / a[1].count);
    const top = ranked[0];
    if (top) {
      const [route, m] = top;
      const p99 = Number.isFinite(m.p99) ? `, 99% within ${round(m.p99 * 1000)} ms` : '';
      return { kind: 'slowest-route', component: 'storefront', message: `storefront: slowest route ${route.trim()} (mean ${round((m.sum / m.count) * 1000, 1)} ms${p99}, server side)`, short: `slowest ${route.trim()}`, severity: 0.5 };
    }
  }
  const step = [...ev.result.steps].filter((s) => s.latency.count > 0).sort((a, b) => b.latency.p99Ms - a.latency.p99Ms)[0];
  if (step) return { kind: 'slowest-route', component: 'target', message: `target: slowest step ${step.key} (${step.method} ${step.url}, p99 ${round(step.latency.p99Ms, 1)} ms, client side)`, short: `slowest ${step.key}`, severity: 0.5 };
  return undefined;
}

/** Every saturation finding of one step, most severe first. */
export function diagnoseStep(ev: StepEvidence): Signal[] {
  const during = ev.during;
  const signals = [
    ...poolSignals(during), ...bulkheadSignals(during), ...eventLoopSignals(during), ...cpuSignals(ev.before, during), ...clientSignals(ev.result),
  ];
  return signals.sort((a, b) => KIND_PRIORITY.indexOf(a.kind) - KIND_PRIORITY.indexOf(b.kind) || b.severity - a.severity);
}

export interface Verdict {
  bottleneck: Signal | undefined;
  /** Index of the step where the named bottleneck first appeared. */
  firstSeenStep: number | undefined;
  alsoObserved: Signal[];
}

/**
 * Names what saturated first. Among the findings present at the step where the SLO broke, the one that
 * appeared earliest in the run wins (ties: the deeper dependency, then severity); with no saturation
 * finding at all, the slowest route at the breaking step is the lead.
 */
export function nameBottleneck(steps: { signals: Signal[]; evidence: StepEvidence }[], breakingStep: number | undefined): Verdict {
  if (!steps.length) return { bottleneck: undefined, firstSeenStep: undefined, alsoObserved: [] };
  const at = breakingStep ?? steps.length - 1;
  const has = (i: number, s: Signal) => steps[i]!.signals.some((x) => x.kind === s.kind && x.component === s.component);
  // "Appeared" means the start of the run of steps, up to the breaking one, in which it stayed present:
  // a blip at a cold start that went away does not count as the first saturation.
  const firstSeen = (s: Signal) => {
    let i = Math.min(at, steps.length - 1);
    if (!has(i, s)) return steps.findIndex((_, k) => has(k, s));
    while (i > 0 && has(i - 1, s)) i--;
    return i;
  };
  // A finding already present at the first (lowest, passing) step is ambient: a busy machine, a cold
  // target. It is named only when nothing the load brought on is there.
  const ambientKey = new Set(steps.length > 1 ? steps[0]!.signals.map((x) => `${x.kind}|${x.component}`) : []);
  const isAmbient = (x: Signal) => ambientKey.has(`${x.kind}|${x.component}`);
  let present = steps[at]!.signals;
  if (!present.length) {
    // Nothing saturated where the SLO broke: take the latest step that showed anything.
    for (let i = at; i >= 0 && !present.length; i--) present = steps[i]!.signals;
  }
  if (present.length) {
    const loadBrought = present.filter((x) => !isAmbient(x));
    const candidates = loadBrought.length ? loadBrought : present;
    const ranked = [...candidates].sort((a, b) => firstSeen(a) - firstSeen(b)
      || KIND_PRIORITY.indexOf(a.kind) - KIND_PRIORITY.indexOf(b.kind) || b.severity - a.severity);
    const bottleneck = ranked[0]!;
    const others = [...ranked.slice(1), ...present.filter((x) => !candidates.includes(x))].map((x) => (isAmbient(x) ? { ...x, ambient: true } : x));
    return { bottleneck, firstSeenStep: firstSeen(bottleneck), alsoObserved: others };
  }
  const slow = slowestRoute(steps[at]!.evidence);
  return { bottleneck: slow, firstSeenStep: slow ? at : undefined, alsoObserved: [] };
}
