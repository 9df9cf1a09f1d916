// `npm run bench`: runs the benchmark suites (bench/suites/), prints their tables as it goes, and writes
// bench/results/latest.json, bench/results/latest.html and the figures section of docs/performance.md.
// Every figure comes from this run; speed targets are ratios measured side by side in the same run.
//
//   npm run bench                                  default suites (catalog, memory), full length
//   npm run bench -- --quick                       short runs, for development
//   npm run bench -- --suite catalog --duration 20s --rounds 5
//   npm run bench -- --list                        the suites
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, SCRATCH_ROOT, reapStaleRuns } from './lib/holdfast.ts';
import { chooseLoadgen, type LoadgenName } from './lib/loadgen.ts';
import { machineInfo, describeMachine } from './lib/machine.ts';
import { cleanupAll, installSignalHandlers, isInterrupted, onCleanup } from './lib/processes.ts';
import {
  checkRows, replaceBetweenMarkers, resultsToHtml, resultsToMarkdown, suiteToText, textTable, busyMachineWarning, type RunResults,
} from './lib/report.ts';
import type { RunOptions, SuiteResult } from './lib/suite.ts';
import { SUITES, findSuite } from './suites/index.ts';

const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');
const RESULTS_JSON = path.join(RESULTS_DIR, 'latest.json');
const RESULTS_HTML = path.join(RESULTS_DIR, 'latest.html');
const DOCS = path.join(REPO_ROOT, 'docs', 'performance.md');

const HELP = `npm run bench -- [options]

  --suite a,b          suites to run (default: ${SUITES.filter((s) => s.byDefault).map((s) => s.name).join(',')}); --list shows all
  --duration 10s       length of each measured load run (quick: 3s)
  --warmup 3s          warm-up load before measuring each side (quick: 1s)
  --rounds 3           measured runs per side, alternating holdfast/baseline (quick: 1)
  --connections 50     concurrent connections of the load generator
  --idle 5s            idle time before the memory snapshot
  --loadgen auto       auto | wrk | autocannon (auto: wrk when installed)
  --product-path auto  auto | page | api: the product URL the catalog suite measures
  --capacity 440       overload suite: take C as given (journeys/s) instead of searching for it, so
                       that two builds can be offered the same load
  --quick              short runs for development (figures indicative only)
  --note "text"        a note published with the figures (e.g. "provisional: shared machine")
  --no-docs            do not update docs/performance.md
  --no-save            print only: write no results, report or docs (for development)
  --strict             exit 1 when a target is missed (always exit 1 when a suite fails)
  --list               list the suites and exit
  --report-only        measure nothing: rewrite the HTML report and docs from bench/results/latest.json
`;

function parseDuration(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new Error(`--${flag} ${raw}: expected a duration such as 10s, 500ms or 1m`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

function parseIntFlag(flag: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} ${raw}: expected an integer ≥ ${min}`);
  return n;
}

const { values } = parseArgs({
  options: {
    suite: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    idle: { type: 'string' },
    loadgen: { type: 'string', default: 'auto' },
    'product-path': { type: 'string', default: 'auto' },
    capacity: { type: 'string' },
    quick: { type: 'boolean', default: false },
    note: { type: 'string' },
    'no-docs': { type: 'boolean', default: false },
    'no-save': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    'report-only': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
if (values.list) {
  for (const s of SUITES) process.stdout.write(`${s.name.padEnd(10)} ${s.byDefault ? '(default) ' : '(opt-in)  '}${s.description}\n`);
  process.exit(0);
}

/** Writes the HTML report and (unless --no-docs) the figures section of docs/performance.md. */
async function publish(run: RunResults): Promise<void> {
  const descriptions = Object.fromEntries(SUITES.map((s) => [s.name, s.description]));
  await writeFile(RESULTS_HTML, resultsToHtml(run, descriptions));
  if (!values['no-docs']) {
    const doc = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : '# Performance\n';
    await writeFile(DOCS, replaceBetweenMarkers(doc, resultsToMarkdown(run)));
  }
}

if (values['report-only']) {
  if (!existsSync(RESULTS_JSON)) {
    process.stderr.write(`${path.relative(REPO_ROOT, RESULTS_JSON)} does not exist: run the bench first\n`);
    process.exit(2);
  }
  await publish(JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as RunResults);
  process.stdout.write(`rewrote ${path.relative(REPO_ROOT, RESULTS_HTML)}${values['no-docs'] ? '' : ` and ${path.relative(REPO_ROOT, DOCS)}`} from ${path.relative(REPO_ROOT, RESULTS_JSON)}\n`);
  process.exit(0);
}

const started = new Date();
const progress = (msg: string) => {
  const t = Math.round((Date.now() - started.getTime()) / 1000);
  process.stdout.write(`[bench ${String(Math.floor(t / 60)).padStart(2, '0')}:${String(t % 60).padStart(2, '0')}] ${msg}\n`);
};

let options: RunOptions;
let selected: typeof SUITES[number][];
try {
  if (!['auto', 'wrk', 'autocannon'].includes(values.loadgen)) throw new Error(`--loadgen ${values.loadgen}: expected auto, wrk or autocannon`);
  if (!['auto', 'page', 'api'].includes(values['product-path'])) throw new Error(`--product-path ${values['product-path']}: expected auto, page or api`);
  const quick = values.quick;
  options = {
    durationSec: parseDuration('duration', values.duration, quick ? 3 : 10),
    warmupSec: parseDuration('warmup', values.warmup, quick ? 1 : 3),
    rounds: parseIntFlag('rounds', values.rounds, quick ? 1 : 3, 1),
    connections: parseIntFlag('connections', values.connections, 50, 1),
    idleSec: parseDuration('idle', values.idle, 5),
    quick,
    loadgen: chooseLoadgen(values.loadgen as 'auto' | LoadgenName),
    productPath: values['product-path'] as RunOptions['productPath'],
    ...(values.capacity === undefined ? {} : { capacity: parseIntFlag('capacity', values.capacity, 0, 1) }),
  };
  const names = values.suite ? values.suite.split(',').map((s) => s.trim()).filter(Boolean) : SUITES.filter((s) => s.byDefault).map((s) => s.name);
  selected = names.map((n) => {
    const suite = findSuite(n);
    if (!suite) throw new Error(`unknown suite "${n}" (known: ${SUITES.map((s) => s.name).join(', ')})`);
    return suite;
  });
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
  process.exit(2);
}

installSignalHandlers(progress);
const machine = machineInfo();
progress(`machine: ${describeMachine(machine)}; load average ${machine.loadAverage1m}`);
const busy = busyMachineWarning(machine);
if (busy) progress(`warning: ${busy}`);
progress(`load generator: ${options.loadgen.version} (${options.loadgen.reason}; ${options.connections} connections); runs of ${options.durationSec} s after ${options.warmupSec} s warm-up, ${options.rounds} round(s) per side`);
progress(`suites: ${selected.map((s) => s.name).join(', ')}`);

await reapStaleRuns(progress);
const scratchRoot = path.join(SCRATCH_ROOT, `run-${process.pid}`);
await mkdir(scratchRoot, { recursive: true });
// Registered first, so it runs last: after every process using the folder has stopped.
onCleanup('scratch folder', async () => {
  await rm(scratchRoot, { recursive: true, force: true });
  await rmdir(SCRATCH_ROOT).catch(() => {}); // only when empty (another run may be using it)
});

const results: SuiteResult[] = [];
const { loadgen, ...plainOptions } = options;
for (const suite of selected) {
  if (isInterrupted()) break;
  progress(`── ${suite.title} ──`);
  const suiteStarted = Date.now();
  const scratchDir = path.join(scratchRoot, suite.name);
  await mkdir(scratchDir, { recursive: true });
  const base = {
    name: suite.name, title: suite.title, measuredAt: new Date().toISOString(), machine: machineInfo(),
    options: { ...plainOptions, loadgen: loadgen.version },
  };
  let result: SuiteResult;
  try {
    const outcome = await suite.run({ options, scratchDir, progress });
    result = { ...base, ...outcome, status: 'ok', elapsedSec: (Date.now() - suiteStarted) / 1000 };
  } catch (err) {
    if (isInterrupted()) break;
    progress(`${suite.name} failed: ${(err as Error).stack ?? String(err)}`);
    result = { ...base, status: 'failed', error: (err as Error).message, elapsedSec: (Date.now() - suiteStarted) / 1000 };
  }
  results.push(result);
  process.stdout.write(`${suiteToText(result)}\n\n`);
}

await cleanupAll(progress);
if (isInterrupted()) {
  // The signal handler exits once cleanup is done; an interrupted run publishes nothing.
  process.exit(130);
}

// Suites this run did not include keep their last figures, marked as kept from an earlier run with the
// date they were measured, so that `--suite memory` does not wipe the catalog figures from the docs, nor a
// default run the opt-in suites' (scaling, overload: minutes each, run on purpose, and their figures are
// what those targets are judged by until the next run of them).
let previous: RunResults | undefined;
try {
  if (existsSync(RESULTS_JSON)) previous = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as RunResults;
} catch { /* unreadable: start afresh */ }
const carried = (previous?.suites ?? [])
  .filter((s) => !results.some((r) => r.name === s.name) && findSuite(s.name) !== undefined)
  .map((s) => ({ ...s, carriedOver: true }));
const order = (name: string) => SUITES.findIndex((s) => s.name === name);
const allSuites = [...results, ...carried].sort((a, b) => order(a.name) - order(b.name));

const argv = process.argv.slice(2);
const run: RunResults = {
  schemaVersion: 1,
  generatedBy: 'npm run bench (bench/run.ts)',
  // The note is published on its own; the command shows where it went.
  command: `npm run bench${argv.length ? ` -- ${argv.map((a, i) => (argv[i - 1] === '--note' ? '"…"' : /\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}` : ''}`,
  startedAt: started.toISOString(),
  finishedAt: new Date().toISOString(),
  quick: options.quick,
  ...(values.note ? { note: values.note } : {}),
  machine,
  loadAverage1mAtEnd: machineInfo().loadAverage1m,
  loadgen: `${loadgen.version}, ${options.connections} connections`,
  suites: allSuites,
};

if (!values['no-save']) {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(RESULTS_JSON, `${JSON.stringify(run, null, 2)}\n`);
  await publish(run);
}

const checks = checkRows(results);
process.stdout.write(`== Summary ==\n${checks.length ? textTable(['Suite', 'Check', 'Measured', 'Target', 'Result'], checks) : '(no targets checked)'}\n`);
for (const r of results.filter((r) => r.status === 'failed')) process.stdout.write(`${r.name}: FAILED: ${r.error}\n`);
process.stdout.write(values['no-save'] ? '\n(--no-save: nothing written)\n'
  : `\nresults: ${path.relative(REPO_ROOT, RESULTS_JSON)}, report: ${path.relative(REPO_ROOT, RESULTS_HTML)}${values['no-docs'] ? '' : `, figures: ${path.relative(REPO_ROOT, DOCS)}`}\n`);

const failed = results.some((r) => r.status === 'failed');
const missed = results.some((r) => (r.checks ?? []).some((c) => !c.pass));
process.exit(failed || (values.strict && missed) ? 1 : 0);
