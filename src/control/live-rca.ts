// Root-cause analysis on the live window: builds one series per (candidate, metric) from the collector's
// readings and ranks them with src/rca's ranker (robust change scores, traffic normalisation, callee
// discounting, who changed first). Candidates: the storefront, the payment workers, the payment provider
// as a dependency of payments, the database, the network between payments and the provider, and each
// process' runtime (CPU, event-loop lag). The network's share of a provider call is the time payments
// measured minus the time the provider reports: if that gap did not grow, the network is not involved.
import { rankRootCauses, type MetricSeries, type RankedService, type Ranking } from '../rca/index.ts';
import { medianOf, quantileOf } from './change-detector.ts';
import type { ReadingsView } from './series-window.ts';
import { GAP_WINDOW_SECONDS } from './metrics-collector.ts';
import type { TraceEvidence } from './trace-breakdown.ts';
import { candidateOfChange, type ChangeMention } from './change-context.ts';

export interface CandidateEvidence { metric: string; score: number; baseline: number; peak: number; ratio?: number; onset?: string }

export interface RankedCause {
  candidate: string;
  /** readable name of the candidate, e.g. "payments -> provider calls" */
  label: string;
  score: number;
  onset: string | null;
  firstToChange: boolean;
  evidence: CandidateEvidence[];
}

export interface NetworkVerdict {
  involved: boolean | null;
  /** mean client-measured provider call time, seconds (fault window) */
  clientMean: number | null;
  serverMean: number | null;
  gapMs: number | null;
  baselineGapMs: number | null;
  text: string;
}

export interface RcaFinding {
  id: string;
  alertId: string;
  createdAt: string;
  faultStart: string;
  causes: RankedCause[];
  network: NetworkVerdict;
  confidence: number;
  faultClass: string | null;
  /** self time per trace before and since the fault, per component (when roles export spans to control) */
  traces?: TraceEvidence;
  /** causal changes (faults set, configuration, versions, ...) in the minutes before the first signal, latest first */
  changes?: ChangeMention[];
  /** set when the change just before the first signal moved its candidate to the top (the change prior) */
  changePrior?: { candidate: string; change: string; score: number; wasRank: number };
  summary: string;
}

export const CANDIDATE_LABELS: Record<string, string> = {
  storefront: 'storefront',
  payments: 'payments',
  'payment-provider': 'payments -> provider calls',
  database: 'database queries',
  network: 'network (payments <-> provider)',
};

const labelOf = (c: string) => CANDIDATE_LABELS[c] ?? (c.startsWith('runtime-') ? `${c.slice(8)} process (CPU, event loop)` : c);

/**
 * The candidate a process' CPU and event loop count for: a process that runs one role is that role (the
 * simulator process is the provider); a process running several roles is a candidate of its own, since
 * its CPU cannot be split between them.
 */
function runtimeCandidate(service: string): string | undefined {
  if (service === 'storefront' || service === 'payments') return service;
  if (service === 'psp') return 'payment-provider';
  // the control role observes; it serves no shopper and no payment, so its own load (including this
  // analysis) cannot be their cause
  if (service === 'control') return undefined;
  return `runtime-${service}`;
}

/**
 * Series timed by the calling process (client side), which include any wait for its own event loop, and
 * the roles that make those calls: the database is queried by the storefront, payments and the
 * simulator's ledger; the provider is called by payments.
 */
function callersOf(key: string): readonly string[] | undefined {
  if (/^(database|query:.*)\|p(50|99)$/.test(key)) return ['storefront', 'payments', 'psp'];
  if (/^provider\|p(50|99)$/.test(key) || key === 'network|gap') return ['payments'];
  return undefined;
}

/** Which window series make up each candidate (metric names are read by src/rca's classifier). */
function candidateSeries(window: ReadingsView): { service: string; metric: string; key: string }[] {
  const names = new Set(window.names());
  const has = (k: string) => names.has(k);
  const out: { service: string; metric: string; key: string }[] = [
    { service: 'storefront', metric: 'latency-p99', key: 'storefront|p99' },
    { service: 'storefront', metric: 'error-ratio', key: 'storefront|err' },
    { service: 'storefront', metric: 'requests', key: 'storefront|n' },
    { service: 'storefront', metric: 'client-latency-db-p99', key: 'database|p99' },
    { service: 'payments', metric: 'latency-p99', key: 'payments|p99' },
    // payments' own failures: failed jobs beyond those the provider's errors (and the calls its breaker
    // refused because of them) explain
    { service: 'payments', metric: 'error-ratio', key: 'derived:payments-own-err' },
    { service: 'payments', metric: 'requests', key: 'payments|n' },
    { service: 'payments', metric: 'client-latency-p99', key: 'provider|p99' },
    // the provider's own latency is what it reports serving; without a simulator (real Stripe) only
    // payments' measurement is available, network included
    { service: 'payment-provider', metric: 'latency-p99', key: has('psp|p99') ? 'psp|p99' : 'provider|p99' },
    { service: 'payment-provider', metric: 'error-ratio', key: 'provider|err' },
    { service: 'payment-provider', metric: 'requests', key: 'provider|n' },
    { service: 'database', metric: 'latency-p99', key: 'database|p99' },
    { service: 'database', metric: 'error-ratio', key: 'database|err' },
    { service: 'database', metric: 'requests', key: 'database|n' },
    { service: 'database', metric: 'pool-waiting', key: 'gauge:pool-waiting' },
    { service: 'network', metric: 'latency-gap', key: 'network|gap' },
  ];
  // each named query's median: a slowed query of one context barely moves the database-wide median.
  // (Not as the storefront's client-latency: in one process a CPU-starved event loop slows every query's
  // timing too, and the storefront would then be excused for its own fault.)
  for (const n of names) {
    if (!n.startsWith('query:') || !n.endsWith('|p50')) continue;
    out.push({ service: 'database', metric: `latency-p50-query-${n.slice(6, -4)}`, key: n });
  }
  for (const n of names) {
    const cpu = n.startsWith('cpu:') && n.endsWith('|rate') ? runtimeCandidate(n.slice(4, -5)) : undefined;
    if (cpu) out.push({ service: cpu, metric: 'cpu', key: n });
    // the longest stall of the last 10 s: a scrape that timed out while the loop was blocked loses nothing
    const stall = n.startsWith('gauge:event-loop-stall:') ? runtimeCandidate(n.slice('gauge:event-loop-stall:'.length)) : undefined;
    if (stall) out.push({ service: stall, metric: 'event-loop-latency', key: n });
  }
  // medians too: at a few calls per window p99 is the slowest call, the median moves with every call
  for (const s of [...out]) {
    if (s.key.endsWith('|p99') && s.metric.includes('latency-')) out.push({ service: s.service, metric: s.metric.replace('p99', 'p50'), key: s.key.replace('|p99', '|p50') });
  }
  return out.filter((s) => s.key.startsWith('derived:') || has(s.key));
}

/** Whether a process (by its `service` label: its targets, comma-separated) runs a role. */
function runsRole(service: string, role: string): boolean {
  return service === 'all' || service.split(',').includes(role);
}

/**
 * Per reading, how much longer a call timed by the calling processes may have waited for their own
 * event loop than before the fault. A query or provider call timed by a process whose loop is blocked
 * (a CPU burn) includes the wait for that loop: its longest stall (`holdfast_eventloop_stall_max_seconds`),
 * and more when the loop is saturated and callbacks queue behind each other: at utilisation u (its mean
 * over 10 s), waits grow as 1 / (1 - u) (a single-server queue), so the bound is stall / (1 - u), u
 * capped at 0.8. Up to this much
 * of a client-timed latency rise is the caller's, not the dependency's. Only the callers' loops count.
 */
function stallGrowth(window: ReadingsView, from: number, faultStart: number, callerRoles: readonly string[]): Map<number, number> {
  const perTime = new Map<number, number>();
  const prefix = 'gauge:event-loop-stall:';
  for (const n of window.names()) {
    if (!n.startsWith(prefix)) continue;
    const service = n.slice(prefix.length);
    if (!callerRoles.some((r) => runsRole(service, r))) continue;
    const stall = window.slice(n, from);
    const busy = window.slice(`gauge:event-loop-busy:${service}`, from);
    const bound = stall.values.map((v, i) => {
      const u = busy.values[i];
      return v / (1 - Math.min(0.8, Number.isFinite(u) ? u! : 0));
    });
    const before = bound.filter((v, i) => Number.isFinite(v) && stall.timestamps[i]! < faultStart);
    if (before.length < 3) continue;
    const base = medianOf(before);
    bound.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const t = stall.timestamps[i]!;
      perTime.set(t, Math.max(perTime.get(t) ?? 0, v - base));
    });
  }
  return perTime;
}

/** The stall gauges report the last 10 s: a reading up to this much later still covers an earlier moment. */
const STALL_REPORT_SECONDS = 10;

/**
 * A client-timed series less the callers' event-loop stall growth (never below zero). A reading
 * summarises the calls of the last `spanSeconds`, so the worst stall over that span bounds it; the stall
 * readings that cover that span run until 10 s after it (a blocked process misses scrapes, and its next
 * one reports the stall).
 */
function withoutCallerStall(s: { timestamps: number[]; values: number[] }, stall: ReadonlyMap<number, number>, spanSeconds: number): { timestamps: number[]; values: number[] } {
  const stalls = [...stall].sort((a, b) => a[0] - b[0]);
  const worstOver = (t: number) => {
    let worst = 0;
    for (const [at, growth] of stalls) if (at > t - spanSeconds - 1e-6 && at <= t + STALL_REPORT_SECONDS + 1e-6) worst = Math.max(worst, growth);
    return worst;
  };
  return {
    timestamps: s.timestamps,
    values: s.values.map((v, i) => (Number.isFinite(v) ? Math.max(0, v - worstOver(s.timestamps[i]!)) : v)),
  };
}

/** A derived series over the window (same timestamps as the window). */
function derivedSeries(window: ReadingsView, key: string, from: number): { timestamps: number[]; values: number[] } {
  if (key === 'derived:payments-own-err') {
    const err = window.slice('payments|err', from);
    const rate = window.slice('payments|rate', from).values;
    const pErr = window.slice('provider|err', from).values;
    const pRate = window.slice('provider|rate', from).values;
    const refused = window.slice('provider-refused|rate', from).values;
    const or0 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : 0);
    return {
      timestamps: err.timestamps,
      values: err.values.map((e, i) => {
        const r = rate[i]!;
        if (!Number.isFinite(e) || !(r > 0)) return NaN;
        const explained = or0(pErr[i]) * or0(pRate[i]) + or0(refused[i]);
        return Math.max(0, e * r - explained) / r;
      }),
    };
  }
  return window.slice(key, from);
}

const iso = (unix: number) => new Date(unix * 1000).toISOString();
const clock = (unix: number) => iso(unix).slice(11, 19);

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  if (s >= 1) return `${s.toFixed(s >= 10 ? 0 : 1)} s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(s >= 0.01 ? 0 : 1)} ms`;
  return `${(s * 1000).toFixed(2)} ms`;
}

function networkVerdict(window: ReadingsView, from: number, faultStart: number, stall: ReadonlyMap<number, number>, spans: ReadingSpans): NetworkVerdict {
  // payments' side of the gap is timed on its event loop: a stalled loop is not a slow network
  const gap = withoutCallerStall(window.slice('network|gap', from), stall, spans.gapSeconds);
  const client = window.slice('network|client-mean', from);
  const server = window.slice('network|server-mean', from);
  const split = (s: { timestamps: number[]; values: number[] }, after: boolean) =>
    s.values.filter((_, i) => (s.timestamps[i]! >= faultStart) === after);
  const before = split(gap, false).filter(Number.isFinite);
  const during = split(gap, true).filter(Number.isFinite);
  if (!during.length || before.length < 3) {
    return { involved: null, clientMean: null, serverMean: null, gapMs: null, baselineGapMs: null,
      text: 'network: not measured (no provider calls answered on both sides of the wire in the window)' };
  }
  const b = medianOf(before);
  const sorted = [...before].sort((x, y) => x - y);
  const spread = Math.max(quantileOf(sorted, 0.75) - quantileOf(sorted, 0.25), 0.001);
  const now = medianOf(during);
  // the latest matched calls: the fault window's first readings still average calls sent before it
  const lastFinite = (xs: number[]) => [...xs].reverse().find(Number.isFinite) ?? NaN;
  const c = lastFinite(split(client, true));
  const sv = lastFinite(split(server, true));
  const cBase = medianOf(split(client, false));
  const clientRise = Math.max(0, medianOf(split(client, true)) - cBase);
  const growth = now - b;
  // the network is involved when the gap grew clearly (robustly and by at least 20 ms) and accounts for a
  // real share of what the calls slowed by
  const involved = growth >= Math.max(0.02, 3 * spread) && (clientRise <= 0 || growth >= 0.3 * clientRise);
  const nums = `provider calls ${formatSeconds(c)} measured by payments vs ${formatSeconds(sv)} served by the provider: network share ${formatSeconds(now)}, baseline ${formatSeconds(b)}`;
  return {
    involved, clientMean: c, serverMean: sv, gapMs: now * 1000, baselineGapMs: b * 1000,
    text: involved ? `network: INVOLVED (${nums}, +${formatSeconds(growth)})` : `network: not involved (${nums}, unchanged)`,
  };
}

function toCause(r: RankedService): RankedCause {
  return {
    candidate: r.service, label: labelOf(r.service), score: Number(r.score.toFixed(2)),
    onset: r.onset !== undefined ? iso(r.onset) : null, firstToChange: r.firstToChange === true,
    evidence: r.evidence.map((e) => ({
      metric: e.metric, score: Number(e.score.toFixed(2)), baseline: e.baseline, peak: e.peak,
      ...(e.ratio !== undefined ? { ratio: Number(e.ratio.toFixed(2)) } : {}),
      ...(e.onset !== undefined ? { onset: iso(e.onset) } : {}),
    })),
  };
}

function describeTop(top: RankedService, ranked: RankedService[], window: ReadingsView, from: number): string {
  // a latency or error change says more than the traffic drop it caused
  const lead = top.evidence[0];
  const ev = top.evidence.find((e) => (e.kind === 'latency' || e.kind === 'errors' || e.kind === 'success') && lead && e.score >= 0.5 * lead.score) ?? lead;
  if (!ev) return `${labelOf(top.service)}: changed`;
  const isTime = ev.kind === 'latency' || ev.kind === 'client-latency' || ev.metric === 'event-loop-latency';
  const query = /-query-(.+)$/.exec(ev.metric)?.[1];
  const what = query ? `query ${query} p50` : ev.metric.startsWith('latency-p99') ? 'p99' : ev.metric.startsWith('latency-p50') ? 'p50'
    : ev.metric === 'cpu' ? 'process CPU' : ev.metric === 'event-loop-latency' ? 'longest event-loop stall' : ev.metric;
  const unit = ev.metric === 'cpu' ? ' cores' : '';
  const value = isTime ? formatSeconds(ev.peak) : ev.kind === 'errors' ? `${(ev.peak * 100).toFixed(1)}%` : `${ev.peak.toFixed(2)}${unit}`;
  const base = isTime ? formatSeconds(ev.baseline) : ev.kind === 'errors' ? `${(ev.baseline * 100).toFixed(1)}%` : `${ev.baseline.toFixed(2)}${unit}`;
  let text = `${labelOf(top.service)}: ${what} ${value}`;
  text += ev.ratio !== undefined && Number.isFinite(ev.ratio) ? `, ${ev.ratio.toFixed(1)}x baseline` : `, baseline ${base}`;
  if (top.onset !== undefined) text += ` since ${clock(top.onset)}`;
  if (top.service === 'database' && !query) {
    // name the query that moved most
    let best: { q: string; ratio: number } | undefined;
    for (const n of window.names()) {
      if (!n.startsWith('query:') || !n.endsWith('|p99')) continue;
      const s = window.slice(n, from);
      const before = s.values.filter((_, i) => s.timestamps[i]! < (top.onset ?? Infinity));
      const after = s.values.filter((_, i) => s.timestamps[i]! >= (top.onset ?? Infinity));
      const r = medianOf(after) / medianOf(before);
      if (Number.isFinite(r) && (!best || r > best.ratio)) best = { q: n.slice(6, -4), ratio: r };
    }
    if (best && best.ratio > 1.5) text += ` (slowest change: query ${best.q}, ${best.ratio.toFixed(1)}x)`;
  }
  const later = ranked.filter((r) => r !== top && r.onset !== undefined && top.onset !== undefined && r.onset > top.onset && r.score >= 3);
  if (later.length && top.onset !== undefined) {
    const next = later.reduce((a, b) => (b.onset! < a.onset! ? b : a));
    text += `, onset ${Math.round(next.onset! - top.onset)} s before ${labelOf(next.service)} changed`;
  } else if (top.firstToChange) {
    text += ', first to change';
  }
  return text;
}

/** Seconds of calls each reading summarises: quantiles (the collector's rate window) and the network gap. */
export interface ReadingSpans { quantileSeconds: number; gapSeconds: number }

let findingSeq = 0;

/**
 * Robust units a changed candidate's own metrics must have moved for the change prior to rank it first: the
 * level describeTop already treats as a change worth naming, half the detector's firing bar.
 */
export const CHANGE_PRIOR_MIN_SCORE = 3;

/**
 * Ranks candidate causes over the window since `from` (unix s), with the fault window starting at
 * `faultStart` (the first anomalous reading of the alert's signal).
 */
export function analyseWindow(window: ReadingsView, alertId: string, faultStart: number, from: number,
  spans: ReadingSpans = { quantileSeconds: 5, gapSeconds: GAP_WINDOW_SECONDS }, changes: readonly ChangeMention[] = []): RcaFinding {
  const stalls = new Map<string, Map<number, number>>();
  const stallOf = (roles: readonly string[]) => {
    const k = roles.join(',');
    if (!stalls.has(k)) stalls.set(k, stallGrowth(window, from, faultStart, roles));
    return stalls.get(k)!;
  };
  const series: MetricSeries[] = candidateSeries(window).map((c) => {
    const raw = derivedSeries(window, c.key, from);
    const callers = callersOf(c.key);
    const s = callers ? withoutCallerStall(raw, stallOf(callers), c.key === 'network|gap' ? spans.gapSeconds : spans.quantileSeconds) : raw;
    return { service: c.service, metric: c.metric, timestamps: s.timestamps, values: s.values };
  });
  // Every callee here is a candidate of its own (the provider, the database), so the latency a caller
  // measured of its calls only excuses the caller's own slowdown; it is not evidence against the caller.
  // Latencies here are in seconds, read from histogram buckets: 0.1 ms is below what they resolve.
  const ranking: Ranking = rankRootCauses({ series }, { injectTime: faultStart, settings: { clientLatencyWeight: 0, latencyScaleFloor: 1e-4 } });
  const network = networkVerdict(window, from, faultStart, stallOf(callersOf('network|gap')!), spans);
  let ranked = ranking.ranked.filter((r) => r.score > 0 || r.evidence.length);
  // The change prior: the latest change just before the first signal acts on one candidate; when that
  // candidate's own metrics moved too (CHANGE_PRIOR_MIN_SCORE robust units), it goes first. At low
  // traffic a few events leave the scores close and noisy; that a change came first is strong evidence
  // the metrics cannot give (docs/decisions/0026-change-prior-in-root-cause-ranking.md).
  let changePrior: RcaFinding['changePrior'];
  const change = changes[0];
  const changed = change ? candidateOfChange(change) : undefined;
  const prior = changed !== undefined ? ranked.findIndex((r) => r.service === changed) : -1;
  if (prior > 0 && ranked[prior]!.score >= CHANGE_PRIOR_MIN_SCORE) {
    const favoured = ranked[prior]!;
    changePrior = { candidate: favoured.service, change: change!.summary, score: Number(favoured.score.toFixed(2)), wasRank: prior + 1 };
    ranked = [favoured, ...ranked.filter((r) => r !== favoured)];
  }
  // the network's own verdict (the measured gap) overrides its robust score either way
  const net = ranked.find((r) => r.service === 'network');
  if (net && network.involved === false) ranked = [...ranked.filter((r) => r !== net), { ...net, score: 0 }];
  if (net && network.involved === true) ranked = [net, ...ranked.filter((r) => r !== net)];
  const top = ranked[0];
  const priorText = changePrior && top?.service === changePrior.candidate
    ? ` (ranked first for the change just before the first signal; by its metrics alone #${changePrior.wasRank})` : '';
  const summary = top && top.score > 0
    ? `${describeTop(top, ranked, window, from)}${priorText}; ${network.text}`
    : `no clear cause in the metrics; ${network.text}`;
  return {
    id: `rca-${Date.now().toString(36)}-${++findingSeq}`, alertId, createdAt: new Date().toISOString(), faultStart: iso(faultStart),
    causes: ranked.map(toCause), network, confidence: ranking.confidence ?? 0, faultClass: ranking.faultClass ?? null, summary,
    ...(changePrior && top?.service === changePrior.candidate ? { changePrior } : {}),
  };
}
