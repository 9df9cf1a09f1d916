// Suites "loadgen" and "loadgen-memory" (issue 5, acceptance 3): Holdfast's own load generator, so that
// it is never the bottleneck of a load test and its figures can be trusted.
//
// loadgen: maximum requests/s against a trivial loopback endpoint (bench/bare-server.ts, a bare
// node:http server in its own process) from `holdfast loadtest` (closed model, as many virtual users
// as the bench's --connections, default worker threads), from autocannon (npm) and from wrk (Debian)
// with the same number of connections, alternating tool by tool in the same run. Reported as ratios;
// target: at least 1.0x autocannon.
//
// loadgen-memory (opt-in: 5 minutes): the resident memory of `holdfast loadtest` over a 5-minute
// open-model run at a fixed rate, sampled every 5 s: it must stay flat (no per-request state kept).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from '../lib/holdfast.ts';
import { chooseLoadgen, runLoad, type LoadResult } from '../lib/loadgen.ts';
import {
  assertLoopback, clockTicksPerSecond, processTree, runToCompletion, sleep, startProcess, type ManagedProcess,
} from '../lib/processes.ts';
import { check, fmt, kibToMB, median, type Chart, type Check, type Suite, type SuiteContext, type SuiteOutcome, type Table } from '../lib/suite.ts';

export const AUTOCANNON_RATIO_TARGET = 1.0;
/** Growth of the generator's RSS from the end of the first minute to the end of the run. */
export const MEMORY_GROWTH_TARGET_MB = 20;
const BODY = 'hello, load generator\n';

async function startBare(ctx: SuiteContext): Promise<{ proc: ManagedProcess; url: string }> {
  const fixtures = path.join(ctx.scratchDir, 'loadgen-fixtures.json');
  await writeFile(fixtures, JSON.stringify({ routes: [{ path: '/', status: 200, contentType: 'text/plain', bodyBase64: Buffer.from(BODY).toString('base64') }] }));
  let onPort: (port: number) => void = () => {};
  const portPromise = new Promise<number>((resolve) => { onPort = resolve; });
  const proc = startProcess('bare node:http server', process.execPath, [path.join(REPO_ROOT, 'bench', 'bare-server.ts'), '--fixtures', fixtures, '--port', '0'], {
    cwd: REPO_ROOT, onStdoutLine: (line) => { const m = /^listening (\d+)/.exec(line); if (m) onPort(Number(m[1])); },
  });
  const port = await Promise.race([
    portPromise,
    proc.exited.then(() => { throw new Error(`bare server exited:\n${proc.output()}`); }),
    sleep(15_000).then(() => { throw new Error('bare server did not start in 15 s'); }),
  ]);
  return { proc, url: assertLoopback(`http://127.0.0.1:${port}/`) };
}

interface HoldfastRun { rps: number; requests: number; errors: number; p50Ms: number; p99Ms: number; cpuCores: number; workers: number }

/** `holdfast loadtest http` in closed model with `vus` users, as a separate process; figures from its JSON report. */
async function runHoldfast(ctx: SuiteContext, url: string, opts: { vus: number; durationSec: number; workers?: number; tag: string }): Promise<HoldfastRun> {
  const out = path.join(ctx.scratchDir, `holdfast-${opts.tag}.json`);
  const args = [
    path.join(REPO_ROOT, 'src', 'cli.ts'), 'loadtest', 'http', '--url', url, '--model', 'closed', '--vus', String(opts.vus),
    '--duration', `${opts.durationSec}s`, '--max-requests', '1000000000', '--graceful-stop', '2s', '--quiet', '--out', out,
    ...(opts.workers ? ['--workers', String(opts.workers)] : []),
  ];
  const { code, output } = await runToCompletion('holdfast loadtest', process.execPath, args, { cwd: REPO_ROOT });
  if (code !== 0 || !existsSync(out)) throw new Error(`holdfast loadtest failed (exit ${code}):\n${output}`);
  const r = JSON.parse(await readFile(out, 'utf8')) as {
    totals: { requests: number; failed: number; latency: { p50Ms: number; p99Ms: number } }; plannedSec: number; workers: number; generator: { cpuCores: number };
  };
  return {
    rps: r.totals.requests / r.plannedSec, requests: r.totals.requests, errors: r.totals.failed,
    p50Ms: r.totals.latency.p50Ms, p99Ms: r.totals.latency.p99Ms, cpuCores: r.generator.cpuCores, workers: r.workers,
  };
}

function serverTicks(pid: number): number {
  return processTree(pid).reduce((n, p) => n + p.cpuTicks, 0);
}

type Tool = 'holdfast' | 'holdfast-1w' | 'autocannon' | 'wrk';
interface Measured { tool: Tool; round: number; rps: number; p50Ms: number; p99Ms: number; errors: number; serverCores: number; generatorCores?: number; workers?: number }

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const notes: string[] = [];
  const autocannon = chooseLoadgen('autocannon');
  let wrk: ReturnType<typeof chooseLoadgen> | undefined;
  try { wrk = chooseLoadgen('wrk'); } catch { notes.push('wrk is not installed (Debian package `wrk`), so there is no wrk column in this run.'); }
  const bare = await startBare(ctx);
  try {
    const connections = options.connections;
    const measure = async (tool: Tool, round: number, durationSec: number): Promise<Measured> => {
      const before = serverTicks(bare.proc.pid);
      const started = Date.now();
      let m: Omit<Measured, 'serverCores'>;
      if (tool === 'holdfast' || tool === 'holdfast-1w') {
        const r = await runHoldfast(ctx, bare.url, { vus: connections, durationSec, tag: `${tool}-${round}`, ...(tool === 'holdfast-1w' ? { workers: 1 } : {}) });
        m = { tool, round, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors, generatorCores: r.cpuCores, workers: r.workers };
      } else {
        const r: LoadResult = await runLoad(tool === 'wrk' ? wrk! : autocannon, { url: bare.url, connections, durationSec });
        m = { tool, round, rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.non2xx + r.socketErrors };
      }
      // The bare server's CPU over the whole invocation (it idles while a tool starts up).
      const seconds = (Date.now() - started) / 1000;
      const serverCores = (serverTicks(bare.proc.pid) - before) / clockTicksPerSecond() / Math.max(0.001, Math.min(seconds, durationSec + 1));
      if (!bare.proc.isRunning()) throw new Error(`the bare server exited during the ${tool} run:\n${bare.proc.output()}`);
      return { ...m, serverCores };
    };
    // holdfast with its default worker threads (half the cores against this loopback server: what users get) is the figure checked;
    // with one worker thread it runs on as many threads as autocannon and wrk here (reported).
    const tools: Tool[] = ['holdfast', 'holdfast-1w', 'autocannon', ...(wrk ? ['wrk' as const] : [])];
    ctx.progress(`loadgen: bare node:http server at ${bare.url}; ${tools.join(', ')} with ${connections} connections, ${options.rounds} round(s) of ${options.durationSec} s, alternating`);
    for (const t of tools) {
      ctx.progress(`loadgen: warming up ${t} (${options.warmupSec} s)`);
      await measure(t, 0, Math.max(1, options.warmupSec));
    }
    const runs: Measured[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const t of tools) {
        const m = await measure(t, round, options.durationSec);
        runs.push(m);
        ctx.progress(`loadgen: ${t.padEnd(10)} round ${round}/${options.rounds}: ${fmt(m.rps)} req/s, p50 ${fmt(m.p50Ms, 2)} ms, p99 ${fmt(m.p99Ms, 2)} ms, `
          + `server ${fmt(m.serverCores, 2)} cores${m.generatorCores !== undefined ? `, generator ${fmt(m.generatorCores, 2)} cores (${m.workers} worker threads)` : ''}${m.errors ? `, ${m.errors} errors` : ''}`);
      }
    }
    const med = (t: Tool, f: (m: Measured) => number) => median(runs.filter((r) => r.tool === t).map(f));
    const hf = med('holdfast', (r) => r.rps);
    const ac = med('autocannon', (r) => r.rps);
    const wk = wrk ? med('wrk', (r) => r.rps) : Number.NaN;
    const checks: Check[] = [check('holdfast loadtest requests/s as a ratio to autocannon', hf / ac, '>=', AUTOCANNON_RATIO_TARGET, '×')];
    const table: Table = {
      title: `Maximum requests/s against a bare node:http server on loopback (${connections} connections each, median of ${options.rounds} × ${options.durationSec} s, alternating)`,
      headers: ['Generator', 'req/s', 'Ratio holdfast ÷ this', 'p50', 'p99', 'Server CPU (cores)', 'Generator CPU (cores)'],
      rows: tools.map((t) => [
        t === 'holdfast' ? `holdfast loadtest (closed model, ${connections} VUs, ${runs.find((r) => r.tool === 'holdfast')?.workers ?? '?'} worker threads: the default)`
          : t === 'holdfast-1w' ? `holdfast loadtest --workers 1` : t === 'wrk' ? `${wrk!.version} (1 thread)` : `${autocannon.version} (1 thread)`,
        fmt(med(t, (r) => r.rps)), t === 'holdfast' ? '1.00' : fmt(hf / med(t, (r) => r.rps), 2),
        `${fmt(med(t, (r) => r.p50Ms), 2)} ms`, `${fmt(med(t, (r) => r.p99Ms), 2)} ms`, fmt(med(t, (r) => r.serverCores), 2),
        t.startsWith('holdfast') ? fmt(med(t, (r) => r.generatorCores ?? Number.NaN), 2) : 'n/a',
      ]),
    };
    const detail: Table = {
      title: 'Every measured run', headers: ['Round', 'Generator', 'req/s', 'p50 ms', 'p99 ms', 'Errors', 'Server CPU'], detail: true,
      rows: runs.map((r) => [String(r.round), r.tool, fmt(r.rps), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2), String(r.errors), fmt(r.serverCores, 2)]),
    };
    const chart: Chart = {
      title: 'Requests per second against the same bare server (median)', unit: 'req/s',
      bars: tools.map((t) => ({ label: t, value: med(t, (r) => r.rps), series: t.startsWith('holdfast') ? 'holdfast' : 'bare' })),
    };
    notes.push(
      'All generators and the bare server share this machine\'s cores; a server near 1.0 core is the limit for every tool alike (Node serves on one core), which pulls the ratios towards 1.',
      'holdfast loadtest runs its worker threads (by default half the cores when the target is on the same machine, as here) and times each request from its scheduled start; in this closed-model mode the start is when the virtual user sends it, as for autocannon and wrk. Generator CPU is the whole process (main thread and workers, including their start-up and warm-up) over the run.',
    );
    if (runs.some((r) => r.errors)) notes.push('Some runs had errors (non-2xx or socket errors); their requests/s overstate real throughput.');
    return {
      tables: [table, detail], checks, charts: [chart], notes,
      data: {
        connections, rounds: options.rounds, durationSec: options.durationSec, ratioToAutocannon: hf / ac, ratioToWrk: wrk ? hf / wk : null,
        oneWorkerRatioToAutocannon: med('holdfast-1w', (r) => r.rps) / ac, runs,
      },
    };
  } finally {
    await bare.proc.stop();
  }
}

export const loadgenSuite: Suite = {
  name: 'loadgen',
  title: 'Load generator throughput (issue 5, acceptance 3)',
  description: 'Maximum requests/s of `holdfast loadtest` (closed model, --connections VUs) against a bare node:http server on loopback, '
    + 'as a ratio to autocannon and to wrk with the same connections, alternating in the same run. Target: ≥ 1.0x autocannon.',
  byDefault: true,
  run,
};

// ---------------------------------------------------------------------------------------------------
// Memory over a long run

const MEMORY_RUN_SEC = 300;
const MEMORY_RATE = 2000;

async function runMemory(ctx: SuiteContext): Promise<SuiteOutcome> {
  const seconds = ctx.options.quick ? 40 : MEMORY_RUN_SEC;
  const bare = await startBare(ctx);
  try {
    const out = path.join(ctx.scratchDir, 'holdfast-memory.json');
    ctx.progress(`loadgen-memory: holdfast loadtest http at ${MEMORY_RATE}/s (open model) for ${seconds} s against ${bare.url}; RSS sampled every 5 s`);
    const proc = startProcess('holdfast loadtest (memory)', process.execPath, [
      path.join(REPO_ROOT, 'src', 'cli.ts'), 'loadtest', 'http', '--url', bare.url, '--rate', String(MEMORY_RATE), '--duration', `${seconds}s`,
      '--max-requests', '1000000000', '--quiet', '--out', out,
    ], { cwd: REPO_ROOT });
    proc.child.stdin?.end();
    const samples: { t: number; rssMB: number }[] = [];
    const t0 = Date.now();
    while (proc.isRunning()) {
      await sleep(5000);
      const tree = processTree(proc.pid);
      if (!tree.length) break;
      const t = (Date.now() - t0) / 1000;
      samples.push({ t, rssMB: kibToMB(tree.reduce((n, p) => n + p.rssKiB, 0)) });
      if (Math.round(t) % 60 < 5) ctx.progress(`loadgen-memory: ${fmt(t)} s: ${fmt(samples[samples.length - 1]!.rssMB, 1)} MB RSS`);
    }
    const { code } = await proc.exited;
    if (code !== 0 || !existsSync(out)) throw new Error(`holdfast loadtest exited ${code}:\n${proc.output()}`);
    const r = JSON.parse(await readFile(out, 'utf8')) as { totals: { requests: number; failed: number; latency: { p99Ms: number } }; plannedSec: number };
    // Start-up (type stripping, worker threads) is over after a few seconds; the first minute is warm-up.
    const during = samples.filter((s) => s.t <= seconds + 3);
    const warm = during.filter((s) => s.t >= Math.min(60, seconds / 2));
    const atWarm = warm[0]?.rssMB ?? Number.NaN;
    const atEnd = warm[warm.length - 1]?.rssMB ?? Number.NaN;
    const peak = Math.max(...during.map((s) => s.rssMB));
    const growth = atEnd - atWarm;
    // Least-squares slope over the warm part, MB per minute.
    const n = warm.length;
    const mx = warm.reduce((a, s) => a + s.t, 0) / n;
    const my = warm.reduce((a, s) => a + s.rssMB, 0) / n;
    const slope = (warm.reduce((a, s) => a + (s.t - mx) * (s.rssMB - my), 0) / Math.max(1e-9, warm.reduce((a, s) => a + (s.t - mx) ** 2, 0))) * 60;
    const every = during.filter((s, i) => i === 0 || Math.floor(s.t / 30) !== Math.floor(during[i - 1]!.t / 30));
    return {
      tables: [
        {
          title: `Resident memory of \`holdfast loadtest\` (process and its worker threads) over a ${fmt(seconds / 60, 1)}-minute open-model run at ${MEMORY_RATE} requests/s`,
          headers: ['Measure', 'Value'],
          rows: [
            ['Requests sent (errors)', `${fmt(r.totals.requests)} (${fmt(r.totals.failed)})`],
            [`RSS at ${fmt(warm[0]?.t ?? Number.NaN)} s (after warm-up)`, `${fmt(atWarm, 1)} MB`],
            ['RSS at the end', `${fmt(atEnd, 1)} MB`],
            ['Peak RSS', `${fmt(peak, 1)} MB`],
            ['Growth after warm-up', `${fmt(growth, 1)} MB (trend ${fmt(slope, 2)} MB/min)`],
          ],
        },
        { title: 'RSS samples (every 30 s)', headers: ['Time (s)', 'RSS (MB)'], rows: every.map((s) => [fmt(s.t), fmt(s.rssMB, 1)]), detail: true },
      ],
      checks: [check('holdfast loadtest RSS growth after warm-up over a long run', growth, '<=', MEMORY_GROWTH_TARGET_MB, 'MB')],
      charts: [{ title: 'holdfast loadtest RSS over the run', unit: 'MB', bars: every.map((s) => ({ label: `${fmt(s.t)} s`, value: s.rssMB, series: 'holdfast' })) }],
      notes: ['The generator keeps per-second aggregates (HDR histograms), never per-request samples, so its memory should not grow with the run\'s length; RSS includes V8\'s heap growth until garbage collection settles.'],
      data: { seconds, rate: MEMORY_RATE, samples, growthMB: growth, slopeMBPerMin: slope, peakMB: peak, requests: r.totals.requests, errors: r.totals.failed },
    };
  } finally {
    await bare.proc.stop();
  }
}

export const loadgenMemorySuite: Suite = {
  name: 'loadgen-memory',
  title: 'Load generator memory over a 5-minute run (issue 5, acceptance 3)',
  description: `Resident memory of \`holdfast loadtest\` sampled every 5 s over a 5-minute open-model run at ${MEMORY_RATE} requests/s against a bare node:http server (opt-in: --suite loadgen-memory). `
    + `Target: growth after the first minute ≤ ${MEMORY_GROWTH_TARGET_MB} MB (flat).`,
  byDefault: false,
  run: runMemory,
};
