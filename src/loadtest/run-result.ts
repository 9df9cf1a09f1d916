// The result of a run, as the summary, the reports and the capacity finder read it; and its assembly
// from what the workers sent at the end (per-step histograms merged with HdrHistogram's add()).
import type { CompiledScenario } from './compiled-scenario.ts';
import { decodeHistogram, newHistogram, summarize, type Histogram, type LatencySummary } from './latency-histogram.ts';
import type { LoadModel } from './scenario-types.ts';
import type { SeriesPoint } from './run-series.ts';
import type { ServerMetrics } from './server-metrics.ts';
import { evaluateThreshold, type MetricSource, type ThresholdResult } from './threshold-rules.ts';
import type { ErrorCounts, IterationCounters, WorkerFinal } from './worker-protocol.ts';
import { checkCounts } from './worker-recorder.ts';
import type { ShopperRecord } from './shopper-trace.ts';

export interface StepResult {
  key: string;
  journey: string;
  name: string;
  method: string;
  url: string;
  requests: number;
  /** Responses (and failures) per second over the run's duration. */
  rate: number;
  latency: LatencySummary;
  ok: number;
  errors: ErrorCounts;
  interrupted: number;
  bytes: number;
  statuses: Record<string, number>;
  checks: { name: string; pass: number; fail: number }[];
}

export interface RunResult {
  tool: 'holdfast loadtest';
  scenario: { name: string; description?: string; journeys: { name: string; weight: number; steps: string[] }[] };
  target: string;
  load: LoadModel;
  model: 'open' | 'closed';
  workers: number;
  maxVUs?: number;
  startedAt: string;
  finishedAt: string;
  /** Planned length of the schedule, and how long the run really took (including the graceful stop). */
  plannedSec: number;
  elapsedSec: number;
  stoppedBy: 'schedule' | 'max-requests' | 'interrupted';
  totals: {
    requests: number;
    responsesPerSec: number;
    latency: LatencySummary;
    ok: number;
    errors: ErrorCounts;
    failed: number;
    errorRate: number;
    interrupted: number;
    bytes: number;
    checks: { pass: number; fail: number; rate: number };
    iterations: IterationCounters;
  };
  steps: StepResult[];
  thresholds: ThresholdResult[];
  passed: boolean;
  series: SeriesPoint[];
  errorSamples: { kind: string; step: string; message: string; count: number }[];
  /**
   * Shoppers a waiting room queued (scenarios with `shopper.waitingRoom`): how many were let in after
   * waiting and how long they waited (not part of any request's latency), how many the run ended on
   * while still waiting, and the room's "still waiting" answers.
   */
  waitingRoom: { shoppersLetIn: number; failedWhileQueued: number; stillQueuedAtEnd: number; polls: number; queued: LatencySummary };
  /** The target's own /metrics sampled during the run (the HTML report's server-side panels), when asked for. */
  server?: ServerMetrics;
  /** One record per shopper, when the run asked for them (`traceShoppers`); `dropped`: shoppers past the cap. */
  shoppers?: { records: ShopperRecord[]; dropped: number };
  generator: {
    /** How late iterations started against their schedule: a late generator inflates latency. */
    startLagP99Ms: number;
    startLagMaxMs: number;
    cpuCores: number;
    warnings: string[];
  };
}

interface StepAcc { counters: WorkerFinal['steps'][number]['counters']; hist: Histogram }

function emptyCounters(): StepAcc['counters'] {
  return { requests: 0, ok: 0, errors: { status: 0, timeout: 0, connection: 0 }, interrupted: 0, bytes: 0, statuses: {}, checks: checkCounts() };
}

function addCounters(into: StepAcc['counters'], c: StepAcc['counters']): void {
  into.requests += c.requests;
  into.ok += c.ok;
  into.errors.status += c.errors.status;
  into.errors.timeout += c.errors.timeout;
  into.errors.connection += c.errors.connection;
  into.interrupted += c.interrupted;
  into.bytes += c.bytes;
  for (const [s, n] of Object.entries(c.statuses)) into.statuses[s] = (into.statuses[s] ?? 0) + n;
  for (const [name, v] of Object.entries(c.checks)) {
    const t = into.checks[name] ?? (into.checks[name] = { pass: 0, fail: 0 });
    t.pass += v.pass;
    t.fail += v.fail;
  }
}

function source(acc: StepAcc, iterations: IterationCounters | undefined, durationSec: number): MetricSource {
  const c = acc.counters;
  const checks = Object.values(c.checks);
  const answered = c.requests - c.interrupted;
  return {
    percentileMs: (p) => acc.hist.getValueAtPercentile(p) / 1000,
    meanMs: acc.hist.mean / 1000,
    minMs: acc.hist.minNonZeroValue / 1000,
    maxMs: acc.hist.maxValue / 1000,
    requests: answered,
    failed: c.errors.status + c.errors.timeout + c.errors.connection,
    checksPassed: checks.reduce((n, x) => n + x.pass, 0),
    checksTotal: checks.reduce((n, x) => n + x.pass + x.fail, 0),
    dropped: iterations?.dropped ?? 0,
    scheduled: iterations?.scheduled ?? 0,
    durationSec,
  };
}

export interface AssembleInput {
  scenario: CompiledScenario;
  finals: WorkerFinal[];
  series: SeriesPoint[];
  target: string;
  load: LoadModel;
  model: 'open' | 'closed';
  workers: number;
  maxVUs?: number;
  startedAt: Date;
  finishedAt: Date;
  plannedSec: number;
  elapsedSec: number;
  stoppedBy: RunResult['stoppedBy'];
  cpuCores: number;
  setupChecks: { key: string; name: string; pass: boolean }[];
}

export function assembleResult(input: AssembleInput): RunResult {
  const { scenario, finals } = input;
  const steps = new Map<string, StepAcc>();
  for (const s of scenario.steps) steps.set(s.key, { counters: emptyCounters(), hist: newHistogram() });
  const iterations: IterationCounters = { scheduled: 0, started: 0, completed: 0, failed: 0, dropped: 0, interrupted: 0, skipped: 0, affected: 0, affectedByErrors: 0 };
  const lag = newHistogram();
  const queued = newHistogram();
  let polls = 0;
  let stillQueued = 0;
  let failedWhileQueued = 0;
  const samples = new Map<string, RunResult['errorSamples'][number]>();
  for (const f of finals) {
    for (const s of f.steps) {
      const acc = steps.get(s.key);
      if (!acc) continue;
      addCounters(acc.counters, s.counters);
      const h = decodeHistogram(s.hist);
      acc.hist.add(h);
      h.destroy();
    }
    for (const k of Object.keys(iterations) as (keyof IterationCounters)[]) iterations[k] += f.iterations[k] ?? 0;
    const l = decodeHistogram(f.startLag);
    lag.add(l);
    l.destroy();
    const q = decodeHistogram(f.waitingRoom.queued);
    queued.add(q);
    q.destroy();
    polls += f.waitingRoom.polls;
    stillQueued += f.waitingRoom.stillQueued;
    failedWhileQueued += f.waitingRoom.failedWhileQueued ?? 0;
    for (const e of f.errorSamples) {
      const key = `${e.kind}\u0000${e.step}\u0000${e.message}`;
      const got = samples.get(key);
      if (got) got.count += e.count;
      else samples.set(key, { ...e });
    }
  }
  const all: StepAcc = { counters: emptyCounters(), hist: newHistogram() };
  for (const acc of steps.values()) {
    addCounters(all.counters, acc.counters);
    all.hist.add(acc.hist);
  }
  // A setup check that failed means the run measured the wrong thing; it counts against `checks`.
  for (const sc of input.setupChecks) {
    const t = all.counters.checks[`setup: ${sc.name}`] ?? (all.counters.checks[`setup: ${sc.name}`] = { pass: 0, fail: 0 });
    if (sc.pass) t.pass++;
    else t.fail++;
  }
  // Rates are over the planned schedule (not the graceful stop after it), or what ran of it when stopped early.
  const duration = Math.max(0.001, input.stoppedBy === 'schedule' ? input.plannedSec : Math.min(input.elapsedSec, input.plannedSec));
  const stepResults: StepResult[] = scenario.steps.map((s) => {
    const acc = steps.get(s.key)!;
    const c = acc.counters;
    return {
      key: s.key, journey: s.journey, name: s.name, method: s.method, url: s.urlText,
      requests: c.requests, rate: (c.requests - c.interrupted) / duration, latency: summarize(acc.hist),
      ok: c.ok, errors: c.errors, interrupted: c.interrupted, bytes: c.bytes, statuses: c.statuses,
      checks: Object.entries(c.checks).map(([name, v]) => ({ name, ...v })),
    };
  });
  const thresholds = scenario.thresholds.map((t) => {
    const acc = t.scope ? steps.get(t.scope) : all;
    return evaluateThreshold(t, source(acc!, t.scope ? undefined : iterations, duration));
  });
  const checkTotals = Object.values(all.counters.checks).reduce((acc, v) => ({ pass: acc.pass + v.pass, fail: acc.fail + v.fail }), { pass: 0, fail: 0 });
  const c = all.counters;
  const answered = c.requests - c.interrupted;
  const failed = c.errors.status + c.errors.timeout + c.errors.connection;
  const warnings: string[] = [];
  const lagP99 = lag.totalCount ? lag.getValueAtPercentile(99) / 1000 : 0;
  const lagMax = lag.totalCount ? lag.maxValue / 1000 : 0;
  if (lagP99 > 20) {
    warnings.push(`the generator started 1% of iterations more than ${lagP99.toFixed(0)} ms late: it was short of CPU, and latencies include that delay (use more --workers or a bigger machine)`);
  }
  if (iterations.dropped > 0) {
    warnings.push(`${iterations.dropped} iteration(s) could not start on time because ${input.maxVUs ?? 'all'} iterations were already in flight (raise --max-vus if the target should have kept up)`);
  }
  if (iterations.skipped > 0 || input.stoppedBy === 'max-requests') warnings.push('the run stopped early: the request budget (--max-requests) was spent');
  lag.destroy();
  const waitingRoom = { shoppersLetIn: queued.totalCount, failedWhileQueued, stillQueuedAtEnd: stillQueued, polls, queued: summarize(queued) };
  queued.destroy();
  return {
    tool: 'holdfast loadtest',
    scenario: {
      name: scenario.spec.name, ...(scenario.spec.description ? { description: scenario.spec.description } : {}),
      journeys: scenario.journeys.map((j) => ({ name: j.name, weight: j.weight, steps: j.steps.map((s) => s.key) })),
    },
    target: input.target, load: input.load, model: input.model, workers: input.workers,
    ...(input.maxVUs !== undefined ? { maxVUs: input.maxVUs } : {}),
    startedAt: input.startedAt.toISOString(), finishedAt: input.finishedAt.toISOString(),
    plannedSec: input.plannedSec, elapsedSec: input.elapsedSec, stoppedBy: input.stoppedBy,
    totals: {
      requests: answered, responsesPerSec: answered / duration, latency: summarize(all.hist), ok: c.ok, errors: c.errors, failed,
      errorRate: answered ? failed / answered : 0, interrupted: c.interrupted, bytes: c.bytes,
      checks: { ...checkTotals, rate: checkTotals.pass + checkTotals.fail ? checkTotals.pass / (checkTotals.pass + checkTotals.fail) : 1 },
      iterations,
    },
    steps: stepResults,
    thresholds,
    passed: thresholds.every((t) => t.pass),
    series: input.series,
    errorSamples: [...samples.values()].sort((a, b) => b.count - a.count),
    waitingRoom,
    ...(finals.some((f) => f.shoppers) ? { shoppers: { records: finals.flatMap((f) => f.shoppers?.records ?? []), dropped: finals.reduce((n, f) => n + (f.shoppers?.dropped ?? 0), 0) } } : {}),
    generator: { startLagP99Ms: lagP99, startLagMaxMs: lagMax, cpuCores: input.cpuCores, warnings },
  };
}
