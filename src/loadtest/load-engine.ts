// The run, from the main thread: resolve the scenario and its load, run its setup steps, start the
// worker threads, give them one start instant, merge what they stream, show progress, stop on time
// (or when the request budget is spent, or on Ctrl-C), and assemble the result. Every run is bounded:
// its schedule, plus a graceful stop for iterations in flight, plus a hard deadline after which the
// workers are terminated.
import { Worker } from 'node:worker_threads';
import { plannedLevelAt, scheduleDuration } from './arrival-schedule.ts';
import { compileScenario, type CompiledScenario } from './compiled-scenario.ts';
import { HttpClient } from './http-dispatch.ts';
import { runIteration, type RunnerContext } from './journey-runner.ts';
import { applyOverrides, defaultMaxVUs, defaultWorkers, loadScenarioSpec, shareOf, validateLoad, type LoadOverrides } from './load-plan.ts';
import { RunSeries, type SeriesPoint } from './run-series.ts';
import { assembleResult, type RunResult } from './run-result.ts';
import { sampleServerMetrics } from './server-metrics.ts';
import { isOpenModel, type LoadModel, type ScenarioSource, type Vars } from './scenario-types.ts';
import { assertAllowedTarget, isLoopbackHost, originGuard } from './target-guard.ts';
import { variables } from './template-engine.ts';
import type { MainToWorker, WorkerFinal, WorkerInit, WorkerToMain } from './worker-protocol.ts';
import { WorkerRecorder } from './worker-recorder.ts';
import type { TraceOptions } from './shopper-trace.ts';

export const DEFAULT_TARGET = 'http://localhost:3000';
export const DEFAULT_MAX_REQUESTS = 10_000_000;
export const DEFAULT_TIMEOUT_SEC = 10;
/** How long the setup waits in a shop's waiting room before the run gives up (it is asked back at its turn). */
const SETUP_QUEUE_LIMIT_MS = 180_000;
export const DEFAULT_GRACEFUL_STOP_SEC = 10;
const WORKER_YOUNG_GENERATION_MB = 16;
/** How long a worker past its deadline, told to stop at once, still has to report. */
const LATE_REPORT_MS = 30_000;

/** Waits for `work`, or `ms` at most; the timer does not outlive the wait. */
async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

export interface LiveStatus {
  elapsedSec: number;
  plannedSec: number;
  latest?: SeriesPoint;
  totals: RunSeries['totals'];
  p50Ms: number | null;
  p99Ms: number | null;
  stopping: boolean;
}

export interface ProgressSink {
  start(info: { scenario: string; target: string; load: LoadModel; plannedSec: number; workers: number; maxVUs?: number }): void;
  tick(live: LiveStatus): void;
  stop(): void;
}

export interface LoadTestOptions {
  source: ScenarioSource;
  /** Base URL of the system under test (default http://localhost:3000; the http scenario's own URL). */
  targetUrl?: string;
  overrides?: LoadOverrides;
  /** A fully specified load model (replaces the scenario's and the overrides). */
  load?: LoadModel;
  workers?: number;
  maxRequests?: number;
  timeoutSec?: number;
  gracefulStopSec?: number;
  /** Thresholds added to the scenario's ("expr" or "<step>: expr"). */
  thresholds?: string[];
  /** Replaces the scenario's own thresholds (the capacity finder judges by its SLO alone). */
  replaceThresholds?: boolean;
  allowRemote?: boolean;
  progress?: ProgressSink;
  /** Aborting stops the run gracefully (iterations in flight may finish); hardSignal stops it at once. */
  signal?: AbortSignal;
  hardSignal?: AbortSignal;
  onPoint?: (p: SeriesPoint) => void;
  /** Variables from an earlier setup (the capacity finder runs setup once for all its steps). */
  setupVars?: Vars;
  /**
   * At the end of the schedule, iterations in flight run their remaining steps ('iterations', the
   * default, within the graceful stop) or only finish the requests in flight ('requests').
   */
  drain?: 'iterations' | 'requests';
  /** A response slower than this (ms) marks its iteration (shopper) affected, as an error does (the game day's SLO). */
  requestObjectiveMs?: number;
  /** Scrape these metrics URLs (the target's /metrics) every second of the run for the report's server-side panels. */
  serverMetricsUrls?: string[];
  /** Keep one record per shopper, returned in the result's `shoppers` (shopper-trace.ts; the overload bench). */
  traceShoppers?: TraceOptions;
}

export class SetupError extends Error {}

export interface PreparedRun {
  scenario: CompiledScenario;
  load: LoadModel;
  targetUrl: string;
  maxVUs?: number;
}

/** Resolves scenario, thresholds, target and load (no traffic yet). */
export async function prepareRun(opts: LoadTestOptions): Promise<PreparedRun> {
  const spec = await loadScenarioSpec(opts.source);
  // The capacity finder judges by its SLO alone: it drops the scenario's own thresholds.
  const base = opts.replaceThresholds
    ? { ...spec, thresholds: [], journeys: spec.journeys.map((j) => ({ ...j, steps: j.steps.map((s) => ({ ...s, thresholds: [] })) })) }
    : spec;
  const scenario = compileScenario({ ...base, thresholds: [...(base.thresholds ?? []), ...(opts.thresholds ?? [])] });
  let targetUrl = opts.targetUrl ?? DEFAULT_TARGET;
  if (opts.source.kind === 'builtin' && opts.source.name === 'http' && opts.source.params?.url && !opts.targetUrl) targetUrl = new URL(opts.source.params.url).origin;
  assertAllowedTarget(targetUrl, opts.allowRemote ?? false);
  for (const s of scenario.steps) {
    if (/^https?:\/\//.test(s.urlText) && !s.urlText.includes('{{')) assertAllowedTarget(s.urlText, opts.allowRemote ?? false);
  }
  const load = opts.load ? structuredClone(opts.load) : applyOverrides(spec.load, opts.overrides ?? {});
  validateLoad(load);
  let maxVUs: number | undefined;
  if (isOpenModel(load)) {
    maxVUs = load.maxVUs ?? defaultMaxVUs(load, spec);
    load.maxVUs = maxVUs;
  }
  return { scenario, load, targetUrl, maxVUs };
}

/** Runs the scenario's setup steps once and returns the variables they extracted (plus its data). */
export async function runSetup(prepared: PreparedRun, opts: { allowRemote?: boolean; timeoutSec?: number } = {}): Promise<{ vars: Vars; checks: { key: string; name: string; pass: boolean }[] }> {
  const { scenario, targetUrl } = prepared;
  const vars = variables(scenario.spec.data);
  if (!scenario.setup.length) return { vars, checks: [] };
  const recorder = new WorkerRecorder(scenario.setup.map((s) => s.key));
  const client = new HttpClient({ connectionsPerOrigin: 1, connectTimeoutMs: 10_000 });
  const target = new URL(targetUrl);
  const halted = { value: false };
  const ctx: RunnerContext = {
    client, recorder, t0: performance.now(), targetOrigin: target.origin, basePath: target.pathname.replace(/\/+$/, ''),
    timeoutMs: (opts.timeoutSec ?? DEFAULT_TIMEOUT_SEC) * 1000, originAllowed: originGuard(opts.allowRemote ?? false),
    shared: {}, budget: { remaining: 1000 }, halted, active: { requests: 0, iterations: 0 },
    // The setup is a shopper too when the scenario's are: a shop whose waiting room queues when the run
    // starts (a game day's warm-up engaged `auto`) lets it in at its turn rather than failing the run.
    ...(scenario.spec.shopper ? { shopper: scenario.spec.shopper } : {}),
  };
  const queuedTooLong = setTimeout(() => { halted.value = true; }, SETUP_QUEUE_LIMIT_MS);
  try {
    const outcome = await runIteration(ctx, { name: 'setup', weight: 1, steps: scenario.setup }, performance.now(), 0, 0, vars);
    const final = recorder.final();
    const checks = final.steps.flatMap((s) => Object.entries(s.counters.checks).map(([name, v]) => ({ key: s.key, name, pass: v.fail === 0 && v.pass > 0 })));
    if (outcome === 'interrupted' && final.waitingRoom.stillQueued > 0) {
      throw new SetupError(`setup failed against ${targetUrl}: still queued in the shop's waiting room after ${SETUP_QUEUE_LIMIT_MS / 1000} s`);
    }
    if (outcome !== 'completed') {
      const sample = final.errorSamples[0];
      const failedCheck = checks.find((c) => !c.pass);
      const why = sample ? `${sample.step}: ${sample.message}` : failedCheck ? `${failedCheck.key}: ${failedCheck.name} failed` : outcome;
      const hint = sample?.kind === 'connection' ? ` (is the target running at ${targetUrl}? for a Holdfast shop: npm start)` : '';
      throw new SetupError(`setup failed against ${targetUrl}: ${why}${hint}`);
    }
    return { vars, checks };
  } finally {
    clearTimeout(queuedTooLong);
    await client.close();
  }
}

export async function runLoadTest(opts: LoadTestOptions): Promise<RunResult> {
  const prepared = await prepareRun(opts);
  const { scenario, load, targetUrl, maxVUs } = prepared;
  // Setup runs while the workers start (both take a moment).
  const setupPromise = opts.setupVars ? Promise.resolve({ vars: opts.setupVars, checks: [] }) : runSetup(prepared, opts);
  setupPromise.catch(() => {});
  const plannedSec = scheduleDuration(load);
  const open = isOpenModel(load);
  const requested = Math.max(1, opts.workers ?? defaultWorkers(isLoopbackHost(new URL(targetUrl).hostname)));
  // More workers than VUs (closed) would leave some idle.
  const workers = open ? requested : Math.min(requested, Math.max(1, load.executor === 'constant-vus' ? load.vus : Math.max(load.startVUs, ...load.stages.map((s) => s.target))));
  const maxRequests = opts.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const timeoutMs = (opts.timeoutSec ?? DEFAULT_TIMEOUT_SEC) * 1000;
  const gracefulStopMs = (opts.gracefulStopSec ?? DEFAULT_GRACEFUL_STOP_SEC) * 1000;
  const closedVUs = open ? 0 : load.executor === 'constant-vus' ? load.vus : Math.max(load.startVUs, ...load.stages.map((s) => s.target));

  const series = new RunSeries(workers, (t) => plannedLevelAt(load, t), opts.onPoint);
  const finals: (WorkerFinal | undefined)[] = new Array<WorkerFinal | undefined>(workers).fill(undefined);
  const threads: Worker[] = [];
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let stoppedBy: RunResult['stoppedBy'] = 'schedule';
  let failure: Error | undefined;

  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < workers; i++) {
    const init: WorkerInit = {
      index: i, count: workers, source: opts.source, load, targetUrl, allowRemote: opts.allowRemote ?? false,
      maxVUs: open ? Math.max(1, shareOf(maxVUs!, workers, i)) : Math.max(1, shareOf(closedVUs, workers, i)),
      maxRequests: shareOf(maxRequests, workers, i), timeoutMs, gracefulStopMs, drain: opts.drain ?? 'iterations',
      ...(opts.requestObjectiveMs !== undefined ? { requestObjectiveMs: opts.requestObjectiveMs } : {}),
      ...(opts.traceShoppers ? { traceShoppers: opts.traceShoppers } : {}),
    };
    // A bounded young generation: at tens of thousands of requests per second V8 would otherwise keep
    // growing it (to scavenge less often) and the resident memory of a long run would creep up in steps,
    // while the live heap stays near 20 MB.
    const w = new Worker(new URL('./load-worker.ts', import.meta.url), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    threads.push(w);
    let onReady: () => void = () => {};
    ready.push(new Promise<void>((resolve) => { onReady = resolve; }));
    done.push(new Promise<void>((resolve) => {
      w.on('message', (m: WorkerToMain) => {
        switch (m.type) {
          case 'ready': onReady(); break;
          case 'seconds': series.add(m.index, m.upTo, m.seconds); break;
          case 'done':
            finals[m.index] = m.final;
            series.add(m.index, Number.POSITIVE_INFINITY, m.seconds);
            if (m.final.budgetExhausted) stoppedBy = 'max-requests';
            resolve();
            break;
          case 'failed':
            failure ??= new Error(`load worker ${m.index} failed: ${m.message}`);
            onReady();
            resolve();
            break;
        }
      });
      w.on('error', (err: unknown) => { failure ??= err instanceof Error ? err : new Error(String(err)); onReady(); resolve(); });
      w.on('exit', () => { onReady(); resolve(); });
    }));
  }
  const send = (m: MainToWorker) => { for (const w of threads) w.postMessage(m); };
  const terminateAll = () => Promise.all(threads.map((w) => w.terminate().catch(() => 0)));

  await waitAtMost(Promise.all(ready), 30_000);
  let setup: Awaited<typeof setupPromise>;
  try {
    setup = await setupPromise;
  } catch (err) {
    await terminateAll();
    throw err;
  }
  if (failure) { await terminateAll(); throw failure; }

  const startedAt = new Date();
  const startAt = Date.now() + 100;
  send({ type: 'start', startAtEpochMs: startAt, shared: setup.vars });
  const startedPerf = performance.now() + (startAt - Date.now());
  opts.progress?.start({ scenario: scenario.spec.name, target: targetUrl, load, plannedSec, workers, ...(maxVUs !== undefined ? { maxVUs } : {}) });
  const sampler = opts.serverMetricsUrls?.length ? sampleServerMetrics(opts.serverMetricsUrls, startedPerf) : undefined;

  let stopping = false;
  const onAbort = () => {
    if (!stopping) { stopping = true; stoppedBy = 'interrupted'; send({ type: 'stop', graceful: true }); }
  };
  const onHardAbort = () => {
    stopping = true;
    stoppedBy = 'interrupted';
    send({ type: 'stop', graceful: false });
  };
  opts.signal?.addEventListener('abort', onAbort);
  opts.hardSignal?.addEventListener('abort', onHardAbort);
  if (opts.signal?.aborted) onAbort();
  if (opts.hardSignal?.aborted) onHardAbort();
  const ticker = setInterval(() => {
    const elapsedSec = (performance.now() - startedPerf) / 1000;
    const p50 = series.total.totalCount ? series.total.getValueAtPercentile(50) / 1000 : null;
    const p99 = series.total.totalCount ? series.total.getValueAtPercentile(99) / 1000 : null;
    opts.progress?.tick({ elapsedSec, plannedSec, latest: series.latest, totals: series.totals, p50Ms: p50, p99Ms: p99, stopping: stopping || elapsedSec > plannedSec });
  }, 250);
  // The hard deadline: schedule + graceful stop + a margin for the workers to report.
  await waitAtMost(Promise.all(done), (plannedSec * 1000) + gracefulStopMs + 15_000 + 100);
  if (finals.some((f) => !f)) {
    // A worker past its deadline is still busy (tens of thousands of iterations aborted at once, on a
    // machine the target shares) or stuck. Told to stop at once, it reports what it has; a result without
    // it would count none of its shoppers, a run that looks as if nobody came.
    send({ type: 'stop', graceful: false });
    await waitAtMost(Promise.all(done), LATE_REPORT_MS);
  }
  clearInterval(ticker);
  opts.signal?.removeEventListener('abort', onAbort);
  opts.hardSignal?.removeEventListener('abort', onHardAbort);
  await terminateAll();
  opts.progress?.stop();
  const server = await sampler?.stop();
  if (failure) throw failure;

  const elapsedSec = (performance.now() - startedPerf) / 1000;
  series.finish(Math.ceil(plannedSec - 1e-9));
  const cpu = process.cpuUsage(cpuStart);
  const cpuCores = (cpu.user + cpu.system) / 1000 / Math.max(1, performance.now() - wallStart);
  const result = assembleResult({
    scenario, finals: finals.filter((f): f is WorkerFinal => !!f), series: series.points, target: targetUrl, load,
    model: open ? 'open' : 'closed', workers, maxVUs, startedAt, finishedAt: new Date(), plannedSec, elapsedSec, stoppedBy, cpuCores,
    setupChecks: setup.checks,
  });
  const missing = finals.filter((f) => !f).length;
  if (missing) result.generator.warnings.push(`${missing} worker(s) did not report before the deadline; their steps' totals are missing`);
  if (server) result.server = server;
  return result;
}
