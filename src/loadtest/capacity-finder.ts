// `holdfast loadtest capacity`: the highest arrival rate the target sustains within an SLO, and what
// saturated first. Steps of constant arrival rate grow geometrically until the SLO breaks, then bisect
// between the last passing and the first failing rate. During every step the target's /metrics is
// scraped (once before, then every second), so the verdict names a component from the target's own
// view, not a guess from response times. The same scrapes count each role's replicas (the autoscaler's
// gauge), so a rate sustained while `holdfast start --autoscale` scaled out is recorded with the replicas
// that sustained it, not those before the run.
import { formatMs, formatNumber, formatPercent } from './load-units.ts';
import { DEFAULT_GRACEFUL_STOP_SEC, prepareRun, runLoadTest, runSetup } from './load-engine.ts';
import { diagnoseStep, nameBottleneck, slowestRoute, type Signal, type StepEvidence } from './bottleneck-diagnosis.ts';
import { MetricSnapshot } from './prometheus-text.ts';
import type { RunResult } from './run-result.ts';
import type { ScenarioSource } from './scenario-types.ts';
import { parseThresholdList } from './threshold-rules.ts';
import { textTable } from './run-summary.ts';
import { METRICS as M } from '../telemetry/index.ts';

export const DEFAULT_SLO = 'p(99)<500ms,error_rate<0.01';
/** A step whose generator could not start this share of its iterations on time did not sustain the rate. */
export const MAX_DROPPED_SHARE = 0.03;

export interface CapacityOptions {
  source: ScenarioSource;
  targetUrl?: string;
  slo?: string;
  startRate?: number;
  maxRate?: number;
  minRate?: number;
  stepDurationSec?: number;
  factor?: number;
  /** Stop bisecting when (fail - pass) / pass is at most this. */
  precision?: number;
  maxSteps?: number;
  /** Pause between steps, so one step's backlog does not spill into the next. */
  cooldownSec?: number;
  /** A first run at the start rate that is not judged: a freshly started target compiles and fills caches. */
  warmupSec?: number;
  workers?: number;
  allowRemote?: boolean;
  timeoutSec?: number;
  /** Where to read the target's metrics (default: <target>/metrics; several for several roles). */
  metricsUrls?: string[];
  scrapeIntervalSec?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface CapacityStep {
  index: number;
  rate: number;
  passed: boolean;
  /** Why it failed: the SLO thresholds breached, dropped iterations, errors. */
  failures: string[];
  iterationsPerSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errorRate: number;
  droppedShare: number;
  signals: Signal[];
  /** Replicas of each role the autoscaler counted during the step (the most seen); empty when the target's metrics have no count. */
  replicas: Record<string, number>;
}

export interface CapacityReport {
  tool: 'holdfast loadtest capacity';
  scenario: string;
  target: string;
  slo: string;
  stepDurationSec: number;
  steps: CapacityStep[];
  /** Highest rate (iterations/s) that met the SLO, or null when even the first failed. */
  sustainableRate: number | null;
  /** Requests per second at that rate. */
  sustainableRequestsPerSec: number | null;
  /** Lowest rate that broke the SLO, or null when none did up to maxRate. */
  breakingRate: number | null;
  bottleneck: (Signal & { firstSeenAtRate: number }) | null;
  alsoObserved: Signal[];
  metricsAvailable: boolean;
  /** What the target ran with, from its /metrics before the first step (empty without metrics). */
  deployment: DeploymentFingerprint;
  /**
   * Replicas of each role in force while the sustainable rate was measured: the most the autoscaler
   * counted during the last passing step (without one, during the step that first broke the SLO). Empty
   * when the target's metrics have no count (holdfast_autoscaler_replicas: the control role's metrics).
   */
  replicas: Record<string, number>;
  /** How the replicas changed during the run, by role, when they did (the autoscaler scaled while it ran); null when they held. */
  replicasChanged: Record<string, { fewest: number; most: number }> | null;
  notes: string[];
}

/** Each database pool's size and each payment bulkhead's limit, by "<service>/<name>": what makes two runs comparable, or explains why they differ. */
export interface DeploymentFingerprint {
  pools: Record<string, number>;
  bulkheads: Record<string, number>;
}

export function deploymentFingerprint(snapshot: MetricSnapshot | undefined): DeploymentFingerprint {
  const out: DeploymentFingerprint = { pools: {}, bulkheads: {} };
  if (!snapshot) return out;
  for (const x of snapshot.all(M.dbPoolConnections.name, { state: 'max' })) out.pools[`${x.labels.service ?? 'unknown'}/${x.labels.pool ?? 'unknown'}`] = x.value;
  for (const x of snapshot.all(M.bulkheadLimit.name)) out.bulkheads[`${x.labels.service ?? 'unknown'}/${x.labels.provider || 'default'}`] = x.value;
  return out;
}

/** The fewest and the most replicas of each role the autoscaler counted in these snapshots. */
function replicaRange(snapshots: (MetricSnapshot | undefined)[]): Record<string, { fewest: number; most: number }> {
  const out: Record<string, { fewest: number; most: number }> = {};
  for (const snapshot of snapshots) {
    for (const x of snapshot?.all(M.autoscalerReplicas.name) ?? []) {
      const role = x.labels.role;
      if (!role || !(x.value >= 1)) continue;
      const r = out[role] ??= { fewest: x.value, most: x.value };
      r.fewest = Math.min(r.fewest, x.value);
      r.most = Math.max(r.most, x.value);
    }
  }
  return out;
}

const mostReplicas = (range: Record<string, { most: number }>): Record<string, number> =>
  Object.fromEntries(Object.entries(range).map(([role, r]) => [role, r.most]));

const ROLE_ORDER = ['storefront', 'payments'];
const roleRank = (role: string) => (ROLE_ORDER.includes(role) ? ROLE_ORDER.indexOf(role) : ROLE_ORDER.length);

/** Replicas by role in words, the journeys' roles first: "storefront 2, payments 3, control 1". */
export function replicasText(replicas: Record<string, number>): string {
  return Object.entries(replicas).sort(([a], [b]) => roleRank(a) - roleRank(b) || a.localeCompare(b)).map(([role, n]) => `${role} ${n}`).join(', ');
}

/** The roles whose replicas changed during the run, as "storefront 1 to 3", or null when none did. */
export function replicasChangedText(changed: CapacityReport['replicasChanged']): string | null {
  if (!changed) return null;
  return Object.entries(changed).map(([role, r]) => `${role} ${r.fewest} to ${r.most}`).join(', ');
}

async function scrape(url: string, timeoutMs = 2000): Promise<MetricSnapshot | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'text/plain' } });
    if (!res.ok) return undefined;
    return MetricSnapshot.fromText(await res.text(), performance.now(), url);
  } catch {
    return undefined;
  }
}

/** One snapshot merging every metrics URL (each keeps its own `service` label). */
async function scrapeAll(urls: string[]): Promise<MetricSnapshot | undefined> {
  const got = (await Promise.all(urls.map((u) => scrape(u)))).filter((s): s is MetricSnapshot => !!s);
  if (!got.length) return undefined;
  return new MetricSnapshot(got.flatMap((s) => s.samples), performance.now(), urls.join(' '));
}

const roundRate = (r: number) => (r >= 100 ? Math.round(r) : r >= 10 ? Math.round(r * 2) / 2 : Math.round(r * 10) / 10);

export async function findCapacity(opts: CapacityOptions): Promise<CapacityReport> {
  const log = opts.log ?? (() => {});
  const slo = opts.slo ?? DEFAULT_SLO;
  const sloThresholds = parseThresholdList(slo).map((t) => (t.scope ? `${t.scope}: ${t.expr}` : t.expr));
  const stepSec = opts.stepDurationSec ?? 20;
  const factor = opts.factor ?? 2;
  const precision = opts.precision ?? 0.1;
  const maxSteps = opts.maxSteps ?? 12;
  const maxRate = opts.maxRate ?? 5000;
  const minRate = opts.minRate ?? 0.5;
  const cooldownMs = (opts.cooldownSec ?? 2) * 1000;
  const base = { source: opts.source, targetUrl: opts.targetUrl, allowRemote: opts.allowRemote, workers: opts.workers, timeoutSec: opts.timeoutSec };
  const prepared = await prepareRun({ ...base, overrides: { rate: opts.startRate ?? 5, duration: stepSec } });
  const target = prepared.targetUrl;
  const metricsUrls = opts.metricsUrls?.length ? opts.metricsUrls : [`${target.replace(/\/+$/, '')}/metrics`];
  const setup = await runSetup(prepared, { allowRemote: opts.allowRemote, timeoutSec: opts.timeoutSec });
  const notes: string[] = [];
  const probe = await scrapeAll(metricsUrls);
  const metricsAvailable = probe !== undefined;
  if (!metricsAvailable) notes.push(`no metrics at ${metricsUrls.join(', ')}: the bottleneck is judged from response times only`);
  log(`capacity: ${prepared.scenario.spec.name} against ${target}; SLO ${sloThresholds.join(', ')} and at most ${MAX_DROPPED_SHARE * 100}% dropped; steps of ${stepSec} s`);

  const warmupSec = opts.warmupSec ?? 5;
  if (warmupSec > 0 && !opts.signal?.aborted) {
    log(`warm-up: ${opts.startRate ?? 5} it/s for ${warmupSec} s (not judged)`);
    await runLoadTest({
      ...base, load: { executor: 'constant-arrival-rate', rate: opts.startRate ?? 5, duration: warmupSec }, setupVars: setup.vars,
      replaceThresholds: true, gracefulStopSec: 2, drain: 'requests', signal: opts.signal,
    });
    if (cooldownMs) await new Promise((r) => setTimeout(r, cooldownMs));
  }
  const steps: CapacityStep[] = [];
  const evidence: { signals: Signal[]; evidence: StepEvidence }[] = [];
  let rate = opts.startRate ?? 5;
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  let breakingIndex: number | undefined;
  const tried = new Set<number>();
  const scraped: (MetricSnapshot | undefined)[] = [probe];

  while (steps.length < maxSteps && !opts.signal?.aborted) {
    rate = roundRate(rate);
    if (tried.has(rate)) break;
    tried.add(rate);
    const before = metricsAvailable ? await scrapeAll(metricsUrls) : undefined;
    const during: MetricSnapshot[] = [];
    let scraping = true;
    const scraper = (async () => {
      while (scraping && metricsAvailable) {
        await new Promise((r) => setTimeout(r, (opts.scrapeIntervalSec ?? 1) * 1000));
        if (!scraping) break;
        const s = await scrapeAll(metricsUrls);
        if (s && scraping) during.push(s);
      }
    })();
    let result: RunResult;
    try {
      result = await runLoadTest({
        ...base, load: { executor: 'constant-arrival-rate', rate, duration: stepSec }, setupVars: setup.vars,
        // Requests in flight at the step's end finish and count (a slow tail is the point); iterations
        // start no further steps, so the next step begins promptly.
        thresholds: sloThresholds, replaceThresholds: true, gracefulStopSec: opts.timeoutSec ?? DEFAULT_GRACEFUL_STOP_SEC, drain: 'requests', signal: opts.signal,
      });
    } finally {
      scraping = false;
      await scraper;
    }
    const it = result.totals.iterations;
    const droppedShare = it.scheduled ? it.dropped / it.scheduled : 0;
    const failures = result.thresholds.filter((t) => !t.pass).map((t) => `${t.scope === 'all requests' ? '' : `${t.scope}: `}${t.threshold} (observed ${t.observedText})`);
    if (droppedShare > MAX_DROPPED_SHARE) failures.push(`${formatPercent(droppedShare, 1)} of iterations dropped (in-flight limit reached)`);
    const ev: StepEvidence = { before, during, result };
    scraped.push(before, ...during);
    const signals = diagnoseStep(ev);
    const step: CapacityStep = {
      index: steps.length + 1, rate, passed: failures.length === 0, failures,
      iterationsPerSec: it.started / Math.max(0.001, result.plannedSec), requestsPerSec: result.totals.responsesPerSec,
      p50Ms: result.totals.latency.p50Ms, p99Ms: result.totals.latency.p99Ms, errorRate: result.totals.errorRate, droppedShare, signals,
      replicas: mostReplicas(replicaRange([before, ...during])),
    };
    steps.push(step);
    evidence.push({ signals, evidence: ev });
    log(`step ${step.index}: ${formatNumber(rate, rate % 1 ? 1 : 0)} it/s → ${formatNumber(step.requestsPerSec, 1)} req/s, p99 ${formatMs(step.p99Ms)}, errors ${formatPercent(step.errorRate)}, `
      + `${step.passed ? 'within SLO' : `SLO broken: ${failures.join('; ')}`}${signals.length ? ` [${signals.map((s) => s.message).join('; ')}]` : ''}`);
    if (result.stoppedBy === 'interrupted') break;
    if (step.passed) {
      lastPass = Math.max(lastPass ?? 0, rate);
    } else if (firstFail === null || rate < firstFail) {
      firstFail = rate;
      breakingIndex = steps.length - 1;
    }
    let next: number;
    if (firstFail === null) {
      if (rate >= maxRate) { notes.push(`the SLO held up to the maximum rate tried (${maxRate}/s, --max-rate)`); break; }
      next = Math.min(rate * factor, maxRate);
    } else if (lastPass === null) {
      if (rate <= minRate) { notes.push(`even ${minRate} iterations/s broke the SLO`); break; }
      next = Math.max(minRate, rate / factor);
    } else {
      if ((firstFail - lastPass) / lastPass <= precision) break;
      next = (lastPass + firstFail) / 2;
    }
    rate = next;
    if (cooldownMs) await new Promise((r) => setTimeout(r, cooldownMs));
  }

  if (firstFail === null && steps.length && !notes.some((n) => n.includes('maximum rate'))) {
    notes.push(`the SLO held at every rate tried (up to ${Math.max(...steps.map((s) => s.rate))} iterations/s): the capacity is higher; raise --max-steps or --start-rate`);
  }
  if (steps.some((st) => st.signals.some((x) => x.kind === 'rate-limit'))) {
    notes.push('the shop\'s per-client rate limit answered 429: from one machine, all the load is one client, and the limit\'s one-minute window carries over from step to step. '
      + 'To measure the capacity behind it, start the shop with a higher limit (HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE=1000000).');
  }
  const verdict = nameBottleneck(evidence, breakingIndex);
  let bottleneck = verdict.bottleneck;
  if (!bottleneck && evidence.length) bottleneck = slowestRoute(evidence[evidence.length - 1]!.evidence);
  const passStep = steps.filter((s) => s.passed).sort((a, b) => b.rate - a.rate)[0];
  const judgedStep = passStep ?? (breakingIndex === undefined ? undefined : steps[breakingIndex]);
  const replicas = judgedStep ? judgedStep.replicas : mostReplicas(replicaRange([probe]));
  const changedRoles = Object.entries(replicaRange(scraped)).filter(([, r]) => r.fewest !== r.most);
  const replicasChanged = changedRoles.length ? Object.fromEntries(changedRoles) : null;
  if (replicasChanged) {
    const inForce = replicasText(replicas);
    notes.push(`the replicas changed during the run (${replicasChangedText(replicasChanged)}, as the autoscaler counted them): the rate per replica is judged with those in force `
      + `${passStep ? `during the last passing step (${formatNumber(passStep.rate, passStep.rate % 1 ? 1 : 0)} it/s)` : 'during the step that first broke the SLO'}, the most seen then: ${inForce || 'none counted'}; `
      + 'for a figure that does not depend on when the autoscaler acted, hold the replicas (minReplicas = maxReplicas in the scaling policy)');
  }
  return {
    tool: 'holdfast loadtest capacity', scenario: prepared.scenario.spec.name, target, slo: sloThresholds.join(','), stepDurationSec: stepSec, steps,
    sustainableRate: lastPass, sustainableRequestsPerSec: passStep ? passStep.requestsPerSec : null, breakingRate: firstFail,
    bottleneck: bottleneck ? { ...bottleneck, firstSeenAtRate: steps[verdict.firstSeenStep ?? steps.length - 1]?.rate ?? rate } : null,
    alsoObserved: verdict.alsoObserved, metricsAvailable, deployment: deploymentFingerprint(probe), replicas, replicasChanged, notes,
  };
}

export function formatCapacityReport(r: CapacityReport): string {
  const rows = r.steps.map((s) => [
    String(s.index), formatNumber(s.rate, s.rate % 1 ? 1 : 0), formatNumber(s.requestsPerSec, 1), formatMs(s.p50Ms), formatMs(s.p99Ms),
    formatPercent(s.errorRate), formatPercent(s.droppedShare, 1), s.passed ? 'pass' : 'FAIL', s.signals.map((x) => x.short).join(', ') || '-',
  ]);
  const out = [
    `capacity of ${r.target} for the ${r.scenario} scenario; SLO: ${r.slo} (and ≤ ${MAX_DROPPED_SHARE * 100}% dropped iterations); ${r.stepDurationSec} s per step`,
    '',
    textTable(['Step', 'Rate it/s', 'req/s', 'p50', 'p99', 'Errors', 'Dropped', 'SLO', 'Saturation signals'], rows, (c) => c > 0 && c < 7),
    '',
  ];
  if (r.sustainableRate !== null) {
    out.push(`highest sustainable rate: ${formatNumber(r.sustainableRate, r.sustainableRate % 1 ? 1 : 0)} iterations/s (${formatNumber(r.sustainableRequestsPerSec ?? 0, 1)} requests/s)`
      + (r.breakingRate !== null ? `; the SLO broke at ${formatNumber(r.breakingRate, r.breakingRate % 1 ? 1 : 0)} iterations/s` : ''));
  } else {
    out.push(`no sustainable rate found: the SLO broke at every rate tried (lowest ${formatNumber(Math.min(...r.steps.map((s) => s.rate)), 1)} iterations/s)`);
  }
  const at = (rate: number) => `${formatNumber(rate, rate % 1 ? 1 : 0)} it/s`;
  if (r.bottleneck && r.breakingRate !== null) out.push(`first bottleneck: ${r.bottleneck.message} (first seen at ${at(r.bottleneck.firstSeenAtRate)})`);
  else if (r.bottleneck) out.push(`no limit reached; closest to one: ${r.bottleneck.message} (at ${at(r.bottleneck.firstSeenAtRate)})`);
  else out.push('first bottleneck: none identified');
  for (const s of r.alsoObserved) out.push(`also observed: ${s.message}${s.ambient ? ' (already at the lowest rate: the machine or a cold start rather than the load)' : ''}`);
  const replicas = replicasText(r.replicas);
  if (replicas) out.push(`replicas: ${replicas} (the most the autoscaler counted during the ${r.sustainableRate !== null ? 'last passing step' : 'step that first broke the SLO'})`);
  for (const n of r.notes) out.push(`note: ${n}`);
  return out.join('\n');
}
