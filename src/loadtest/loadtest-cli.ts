// `holdfast loadtest`: run a scenario, find the capacity, or export a scenario to k6. docs/loadtest.md
// documents every flag; `holdfast loadtest --help` prints them.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { builtinDescriptions, isBuiltin } from './builtin-scenarios.ts';
import { DEFAULT_SLO, findCapacity, formatCapacityReport, replicasText } from './capacity-finder.ts';
import { exportK6Script } from './k6-export.ts';
import { createProgress } from './live-progress.ts';
import {
  DEFAULT_GRACEFUL_STOP_SEC, DEFAULT_MAX_REQUESTS, DEFAULT_TARGET, DEFAULT_TIMEOUT_SEC, prepareRun, runLoadTest, SetupError, type LoadTestOptions,
} from './load-engine.ts';
import { parseStages, type LoadOverrides } from './load-plan.ts';
import { parseDuration, parsePositiveInt, parseRate } from './load-units.ts';
import { reportKind, writeReports } from './report-files.ts';
import { formatSummary } from './run-summary.ts';
import type { BuiltinParams, HttpMethod, ScenarioSource } from './scenario-types.ts';
import { RemoteTargetError } from './target-guard.ts';
import { ThresholdError } from './threshold-rules.ts';
import { ScenarioError } from './compiled-scenario.ts';
import { ScenarioFileError } from './scenario-file.ts';
import { loadClientConfig } from '../platform/config/platform-config.ts';
import { shopAdminAccess } from '../platform/admin-token/admin-token.ts';
import { capacityRunBody, parseReplicasFlag, recordCapacity, recordedReplicas, RecordError } from './capacity-record.ts';
import { shopUrl } from '../platform/config/shop-url.ts';

/** Exit codes (k6 uses 99 for breached thresholds too). */
export const EXIT = { ok: 0, error: 1, usage: 2, thresholds: 99, interrupted: 130 } as const;

export const LOADTEST_HELP = `holdfast loadtest: load tests with an open-model generator, surge profiles and a capacity finder

Usage:
  holdfast loadtest <scenario> [options]            run a built-in scenario or a scenario file (.ts, .yaml, .json)
  holdfast loadtest capacity [--scenario mixed] [--slo "${DEFAULT_SLO}"] [options]
  holdfast loadtest --export k6 <scenario> [--out script.js]
  holdfast loadtest --list                          the built-in scenarios

Target
  --target-url <url>     system under test (default: HOLDFAST_URL, else the shop \`holdfast start\` serves with this
                         configuration: http://<HOST>:<PORT>, ${DEFAULT_TARGET} by default)
  --allow-remote         allow a target that is not this machine (loopback); you need the owner's consent
  --url <url>            the http scenario's request URL; with --method, --header "name: value" (repeatable),
                         --body <text>, --expect 200,201
Load (reshape the scenario's own load model)
  --rate <n>             open model: the baseline arrival rate, iterations/s (the profile's shape is kept)
  --duration <d>         total length, e.g. 60s, 5m (stages are stretched or squeezed to it)
  --stages <list>        explicit stages duration:target, e.g. 30s:10,1m:50,30s:0
  --model open|closed    open: iterations arrive at a rate (default for the built-ins); closed: VUs loop
  --vus <n>              closed model: virtual users (with --rate: paced to that total rate)
  --pace <d>             closed model: at most one iteration per VU per <d>
  --max-vus <n>          open model: iterations in flight at most; beyond it they are dropped and counted
Bounds
  --max-requests <n>     stop after this many requests (default ${DEFAULT_MAX_REQUESTS.toLocaleString('en-US')})
  --timeout <d>          per-request timeout (default ${DEFAULT_TIMEOUT_SEC}s)
  --graceful-stop <d>    time for iterations in flight to finish at the end (default ${DEFAULT_GRACEFUL_STOP_SEC}s)
Generator
  --workers <n>          worker threads (default: the cores available)
Results
  --threshold <expr>     pass/fail criterion (repeatable): "p(99)<300ms", "error_rate<0.01", "checks>0.99",
                         "<step>: p(95)<200ms"; a breach exits with code 99
  --out <file>           report: .html (self-contained, charts, the target's server-side panels), .json, or .xml
                         (JUnit for CI systems: a testcase per threshold and check) (repeatable)
  --quiet                no live progress (the summary is still printed)
  --progress-interval <d> seconds between progress lines when the output is not a terminal (default 5s)
Capacity finder
  --scenario <name>      scenario to step up (default mixed)
  --slo <list>           comma-separated thresholds that define "sustainable" (default ${DEFAULT_SLO})
  --start-rate <n>       first step's rate (default 5/s); --max-rate <n> (default 5000/s)
  --step-duration <d>    length of each step (default 20s); --max-steps <n> (default 12); --warmup <d> (default 5s)
  --cooldown <d>         pause between steps, so one step's backlog does not spill into the next (default 2s)
  --metrics-url <url>    where to read the target's metrics (default <target>/metrics; repeatable: one per role):
                         the capacity finder's diagnosis, and a run's server-side panels in the HTML report
  --record               store the result in the target shop's capacity history (POST /api/ops/capacity, admin
                         token: HOLDFAST_ADMIN_TOKEN or the data dir's); exits 99 when it is a regression (capacity
                         per replica more than 10% below the previous comparable run)
  --replicas <n>         storefront replicas that served the run, or role=n pairs (storefront=2,payments=3)
                         (default: the most the autoscaler counted during the last passing step, from the
                         target's metrics, e.g. --metrics-url for the control role; else 1)

Exit codes: 0 passed, 99 thresholds breached, 1 error (e.g. target unreachable), 2 usage, 130 interrupted.
`;

const OPTIONS = {
  'target-url': { type: 'string' },
  'allow-remote': { type: 'boolean', default: false },
  url: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
  body: { type: 'string' },
  expect: { type: 'string' },
  rate: { type: 'string' },
  duration: { type: 'string' },
  stages: { type: 'string' },
  model: { type: 'string' },
  vus: { type: 'string' },
  pace: { type: 'string' },
  'max-vus': { type: 'string' },
  'max-requests': { type: 'string' },
  timeout: { type: 'string' },
  'graceful-stop': { type: 'string' },
  workers: { type: 'string' },
  threshold: { type: 'string', multiple: true },
  out: { type: 'string', multiple: true },
  quiet: { type: 'boolean', default: false },
  'progress-interval': { type: 'string' },
  export: { type: 'string' },
  list: { type: 'boolean', default: false },
  scenario: { type: 'string' },
  slo: { type: 'string' },
  'start-rate': { type: 'string' },
  'max-rate': { type: 'string' },
  'step-duration': { type: 'string' },
  'max-steps': { type: 'string' },
  warmup: { type: 'string' },
  cooldown: { type: 'string' },
  'metrics-url': { type: 'string', multiple: true },
  record: { type: 'boolean', default: false },
  replicas: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

class UsageError extends Error {}

function sourceFor(name: string, values: { url?: string; method?: string; header?: string[]; body?: string; expect?: string }): ScenarioSource {
  if (isBuiltin(name)) {
    const params: BuiltinParams = {};
    if (values.url) params.url = values.url;
    if (values.method) {
      const m = values.method.toUpperCase();
      if (!['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(m)) throw new UsageError(`--method ${values.method}: not an HTTP method`);
      params.method = m as HttpMethod;
    }
    if (values.header?.length) {
      params.headers = {};
      for (const h of values.header) {
        const i = h.indexOf(':');
        if (i <= 0) throw new UsageError(`--header "${h}": expected "name: value"`);
        params.headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
      }
    }
    if (values.body !== undefined) params.body = values.body;
    if (values.expect) params.expect = values.expect.split(',').map((s) => parsePositiveInt(s.trim(), '--expect', 100));
    if (name === 'http' && !params.url) throw new UsageError('the http scenario needs --url <url> (e.g. --url http://localhost:8080/health)');
    return { kind: 'builtin', name, params };
  }
  if (/\.(ts|mts|js|mjs|ya?ml|json)$/i.test(name)) return { kind: 'file', path: path.resolve(name) };
  throw new UsageError(`unknown scenario "${name}": use a built-in (${builtinDescriptions().map((b) => b.name).join(', ')}) or a .ts/.yaml/.json file`);
}

type Values = ReturnType<typeof parse>['values'];
function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

function overridesFrom(v: Values): LoadOverrides {
  const o: LoadOverrides = {};
  if (v.rate) o.rate = parseRate(v.rate);
  if (v.duration) o.duration = parseDuration(v.duration, '--duration');
  if (v.stages) o.stages = parseStages(v.stages);
  if (v.model) {
    if (v.model !== 'open' && v.model !== 'closed') throw new UsageError('--model: open or closed');
    o.model = v.model;
  }
  if (v.vus) o.vus = parsePositiveInt(v.vus, '--vus');
  if (v.pace) o.pace = parseDuration(v.pace, '--pace');
  if (v['max-vus']) o.maxVUs = parsePositiveInt(v['max-vus'], '--max-vus');
  if (o.duration !== undefined && !(o.duration > 0)) throw new UsageError('--duration must be above 0');
  return o;
}

/**
 * --target-url, else the shop as `holdfast start` serves it under the same configuration (HOLDFAST_URL,
 * else HOST and PORT); the http scenario with --url targets its own URL.
 */
function targetUrlOption(v: Values): { targetUrl?: string } {
  if (v['target-url']) return { targetUrl: v['target-url'] };
  if (v.url) return {};
  try {
    return { targetUrl: shopUrl(loadClientConfig()) };
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n(or give --target-url)`);
  }
}

function commonOptions(v: Values): Omit<LoadTestOptions, 'source'> {
  return {
    ...targetUrlOption(v),
    allowRemote: v['allow-remote'],
    ...(v.workers ? { workers: parsePositiveInt(v.workers, '--workers') } : {}),
    ...(v['max-requests'] ? { maxRequests: parsePositiveInt(v['max-requests'], '--max-requests') } : {}),
    ...(v.timeout ? { timeoutSec: parseDuration(v.timeout, '--timeout') } : {}),
    ...(v['graceful-stop'] ? { gracefulStopSec: parseDuration(v['graceful-stop'], '--graceful-stop') } : {}),
  };
}

function interruptSignals(): { signal: AbortSignal; hardSignal: AbortSignal; dispose: () => void } {
  const soft = new AbortController();
  const hard = new AbortController();
  const onSigint = () => {
    if (!soft.signal.aborted) {
      process.stderr.write('\nstopping: iterations in flight may finish (Ctrl-C again to stop at once)\n');
      soft.abort();
    } else hard.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return { signal: soft.signal, hardSignal: hard.signal, dispose: () => { process.off('SIGINT', onSigint); process.off('SIGTERM', onSigint); } };
}

async function runCapacity(v: Values, positionals: string[]): Promise<number> {
  const name = v.scenario ?? positionals[0] ?? 'mixed';
  const source = sourceFor(name, v);
  for (const f of v.out ?? []) if (reportKind(f) !== 'json') throw new UsageError(`--out ${f}: the capacity finder writes .json`);
  const replicasGiven = v.replicas ? parseReplicasFlag(v.replicas) : undefined;
  if (replicasGiven !== undefined && !v.record) throw new UsageError('--replicas goes with --record');
  // The token is read before minutes of load, so a shop it cannot record into is said at once.
  let adminToken: string | undefined;
  if (v.record) {
    try {
      ({ token: adminToken } = await shopAdminAccess());
    } catch (err) {
      throw new UsageError(`--record: ${(err as Error).message}`);
    }
  }
  const stop = interruptSignals();
  try {
    const report = await findCapacity({
      source,
      ...targetUrlOption(v),
      allowRemote: v['allow-remote'],
      ...(v.slo ? { slo: v.slo } : {}),
      ...(v['start-rate'] ? { startRate: parseRate(v['start-rate'], '--start-rate') } : {}),
      ...(v['max-rate'] ? { maxRate: parseRate(v['max-rate'], '--max-rate') } : {}),
      ...(v['step-duration'] ? { stepDurationSec: parseDuration(v['step-duration'], '--step-duration') } : {}),
      ...(v['max-steps'] ? { maxSteps: parsePositiveInt(v['max-steps'], '--max-steps') } : {}),
      ...(v.warmup ? { warmupSec: parseDuration(v.warmup, '--warmup') } : {}),
      ...(v.cooldown ? { cooldownSec: parseDuration(v.cooldown, '--cooldown') } : {}),
      ...(v.workers ? { workers: parsePositiveInt(v.workers, '--workers') } : {}),
      ...(v.timeout ? { timeoutSec: parseDuration(v.timeout, '--timeout') } : {}),
      ...(v['metrics-url']?.length ? { metricsUrls: v['metrics-url'] } : {}),
      log: (line) => process.stderr.write(`${line}\n`),
      signal: stop.signal,
    });
    process.stdout.write(`\n${formatCapacityReport(report)}\n`);
    for (const f of v.out ?? []) {
      await writeFile(f, `${JSON.stringify({ schema: 'holdfast-capacity/1', ...report }, null, 2)}\n`);
      process.stdout.write(`report: ${f}\n`);
    }
    if (stop.signal.aborted) return EXIT.interrupted;
    if (adminToken !== undefined) {
      const { replicas, assumed, warning } = recordedReplicas(report, replicasGiven);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      // The shop's history is at the target (--target-url), or at the origin of the http scenario's URL.
      const recordInto = v['target-url'] ?? new URL(report.target).origin;
      const run = await recordCapacity(recordInto, adminToken, capacityRunBody(report, replicas));
      process.stdout.write(`recorded: capacity run #${run.id} (version ${run.version}, replicas: ${replicasText(run.roleReplicas ?? { storefront: run.replicas })}${assumed ? '; storefront assumed: give --replicas' : ''})\n`);
      process.stdout.write(`${run.comparison ? run.comparison.message : 'the first comparable run: nothing to compare with yet'}\n`);
      if (run.comparison?.regression) return EXIT.thresholds;
    }
    return EXIT.ok;
  } finally {
    stop.dispose();
  }
}

async function runExport(v: Values, positionals: string[]): Promise<number> {
  if (v.export !== 'k6') throw new UsageError(`--export ${v.export}: only k6 is supported`);
  const name = positionals[0];
  if (!name) throw new UsageError('--export k6 <scenario>: name a scenario');
  const source = sourceFor(name, v);
  const common = commonOptions(v);
  const prepared = await prepareRun({ source, ...common, overrides: overridesFrom(v), thresholds: v.threshold ?? [] });
  const script = exportK6Script({
    scenario: prepared.scenario, load: prepared.load, targetUrl: prepared.targetUrl,
    gracefulStopSec: common.gracefulStopSec ?? DEFAULT_GRACEFUL_STOP_SEC, timeoutSec: common.timeoutSec ?? DEFAULT_TIMEOUT_SEC,
    generatedBy: `holdfast loadtest --export k6 ${name}`,
  });
  const outs = v.out ?? [];
  if (!outs.length) process.stdout.write(script);
  for (const f of outs) {
    await writeFile(f, script);
    process.stderr.write(`k6 script: ${f} (run: k6 run -e TARGET_URL=${prepared.targetUrl} ${f})\n`);
  }
  return EXIT.ok;
}

async function runScenario(v: Values, positionals: string[]): Promise<number> {
  const name = positionals[0];
  if (!name) throw new UsageError('name a scenario (holdfast loadtest --list shows the built-in ones)');
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  const source = sourceFor(name, v);
  for (const f of v.out ?? []) reportKind(f);
  const stop = interruptSignals();
  const progressInterval = v['progress-interval'] ? parseDuration(v['progress-interval'], '--progress-interval') : 5;
  try {
    const common = commonOptions(v);
    // The report's server-side panels: the target's /metrics, sampled when an HTML report is written.
    const defaultMetrics = common.targetUrl ? `${common.targetUrl.replace(/\/+$/, '')}/metrics` : v.url ? `${new URL(v.url).origin}/metrics` : undefined;
    const serverMetricsUrls = (v.out ?? []).some((f) => reportKind(f) === 'html')
      ? (v['metrics-url']?.length ? v['metrics-url'] : defaultMetrics ? [defaultMetrics] : [])
      : [];
    const result = await runLoadTest({
      source, ...common, overrides: overridesFrom(v), thresholds: v.threshold ?? [], serverMetricsUrls,
      ...(v.quiet ? {} : { progress: createProgress({ stream: process.stderr, plainIntervalSec: progressInterval }) }),
      signal: stop.signal, hardSignal: stop.hardSignal,
    });
    const written = await writeReports(result, v.out ?? []);
    process.stdout.write(`\n${formatSummary(result, written)}\n`);
    if (result.stoppedBy === 'interrupted') return EXIT.interrupted;
    return result.passed ? EXIT.ok : EXIT.thresholds;
  } finally {
    stop.dispose();
  }
}

/** Runs `holdfast loadtest ...`; resolves with the exit code. */
export async function runLoadtestCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${LOADTEST_HELP}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) { process.stdout.write(LOADTEST_HELP); return EXIT.ok; }
  if (values.list) {
    for (const b of builtinDescriptions()) process.stdout.write(`${b.name.padEnd(14)} ${b.description}\n`);
    return EXIT.ok;
  }
  try {
    if (values.export !== undefined) return await runExport(values, positionals);
    if (positionals[0] === 'capacity') return await runCapacity(values, positionals.slice(1));
    return await runScenario(values, positionals);
  } catch (err) {
    const usage = err instanceof UsageError || err instanceof RemoteTargetError || err instanceof ThresholdError
      || err instanceof ScenarioError || err instanceof ScenarioFileError || /^(--|invalid load model)/.test((err as Error).message);
    if (usage) { process.stderr.write(`holdfast loadtest: ${(err as Error).message}\n`); return EXIT.usage; }
    if (err instanceof SetupError || err instanceof RecordError) { process.stderr.write(`holdfast loadtest: ${err.message}\n`); return EXIT.error; }
    process.stderr.write(`holdfast loadtest failed: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.error;
  }
}
