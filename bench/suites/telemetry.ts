// Suite "telemetry" (issue 4, acceptance 4): what full telemetry costs the storefront. Three Holdfast
// instances (`--target storefront`, each with its own embedded PostgreSQL) run side by side in the same
// run: "on" with per-request metrics and OpenTelemetry tracing at the default sample ratio and budget,
// "all traced" with every request sampled (no budget) (both export spans over OTLP/HTTP to a local sink that accepts and
// discards them), and "off" with both off (HOLDFAST_METRICS_ENABLED=false, tracing off). The load
// generator alternates between them on the product page and the catalog API; the ratio of the medians
// to "off" is the overhead. Target: "on" at 0.9 or more of "off".
import http from 'node:http';
import path from 'node:path';
import { startHoldfast, type HoldfastInstance } from '../lib/holdfast.ts';
import { runLoad, type LoadResult } from '../lib/loadgen.ts';
import { clockTicksPerSecond, processTree } from '../lib/processes.ts';
import { check, fmt, median, type Chart, type Check, type Suite, type SuiteContext, type SuiteOutcome, type Table } from '../lib/suite.ts';
import { LIST_PATH, productPagePath } from './catalog.ts';

export const TELEMETRY_RATIO_TARGET = 0.9;

type Side = 'on' | 'traced' | 'off';
const SIDES: readonly Side[] = ['on', 'traced', 'off'];
const SIDE_LABEL: Record<Side, string> = { on: 'on (default sampling)', traced: 'all traced (ratio 1)', off: 'off' };

interface Run extends LoadResult { side: Side; round: number; /** CPU of the instance's process tree (Node and PostgreSQL) per request, in µs. */ cpuUsPerRequest: number }

const treeTicks = (pid: number) => processTree(pid).reduce((n, p) => n + p.cpuTicks, 0);

/** An OTLP/HTTP sink: accepts every export and throws it away, counting requests and bytes. */
async function startOtlpSink(): Promise<{ url: string; stats: { requests: number; bytes: number }; close(): Promise<void> }> {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => { stats.bytes += c.length; });
    req.on('end', () => {
      stats.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`, stats,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const ms = (v: number) => `${fmt(v, v < 10 ? 2 : 1)} ms`;

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const notes: string[] = [];
  const sink = await startOtlpSink();
  const instances: Partial<Record<Side, HoldfastInstance>> = {};
  try {
    ctx.progress(`telemetry: starting three storefronts (telemetry on; on with every request traced; off), spans to ${sink.url}`);
    const tracing = { HOLDFAST_METRICS_ENABLED: 'true', HOLDFAST_TRACING_ENABLED: 'true', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: sink.url };
    const envs: Record<Side, Record<string, string>> = {
      on: tracing,
      // every request, with no per-second budget: what each trace costs
      traced: { ...tracing, HOLDFAST_TRACING_SAMPLE_RATIO: '1', HOLDFAST_TRACING_MAX_TRACES_PER_SECOND: '0' },
      off: { HOLDFAST_METRICS_ENABLED: 'false', HOLDFAST_TRACING_ENABLED: 'false' },
    };
    for (const side of SIDES) {
      instances[side] = await startHoldfast({ name: `telemetry-${side}`, targets: 'storefront', dataDir: path.join(ctx.scratchDir, side), log: ctx.progress, env: envs[side] });
    }
    const list = await fetch(`${instances.on!.url}${LIST_PATH}`);
    const items = ((await list.json()) as { items: { slug: string }[] }).items;
    if (!items[0]) throw new Error(`GET ${LIST_PATH} returned no products`);
    const endpoints = [
      { label: 'Product page (HTML)', path: productPagePath(items[0].slug) },
      { label: 'Catalog API (24 products)', path: LIST_PATH },
    ];
    for (const e of endpoints) {
      for (const side of SIDES) {
        const res = await fetch(`${instances[side]!.url}${e.path}`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET ${e.path} on telemetry-${side} answered ${res.status}`);
      }
    }

    const results: { label: string; path: string; runs: Run[] }[] = [];
    for (const e of endpoints) {
      for (const side of SIDES) {
        ctx.progress(`telemetry: warming up ${side} on GET ${e.path} (${options.warmupSec} s)`);
        await runLoad(options.loadgen, { url: `${instances[side]!.url}${e.path}`, connections: options.connections, durationSec: options.warmupSec });
      }
      const runs: Run[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        // The order rotates every round, so no side always runs right after another one's load.
        for (const side of [...SIDES.slice((round - 1) % SIDES.length), ...SIDES.slice(0, (round - 1) % SIDES.length)]) {
          const before = treeTicks(instances[side]!.pid);
          const r = await runLoad(options.loadgen, { url: `${instances[side]!.url}${e.path}`, connections: options.connections, durationSec: options.durationSec });
          const cpuUsPerRequest = ((treeTicks(instances[side]!.pid) - before) / clockTicksPerSecond()) * 1e6 / Math.max(1, r.requests);
          if (r.requests - r.non2xx <= 0) throw new Error(`no successful responses from telemetry-${side} on ${e.path}`);
          runs.push({ ...r, side, round, cpuUsPerRequest });
          ctx.progress(`telemetry: GET ${e.path} ${side.padEnd(6)} round ${round}/${options.rounds}: ${fmt(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, ${fmt(cpuUsPerRequest)} µs CPU/request`
            + `${r.non2xx + r.socketErrors ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : ''}`);
        }
      }
      results.push({ ...e, runs });
    }
    // Give the batch processor one interval to ship what is still queued, then read the sink.
    await new Promise((r) => setTimeout(r, 1500));

    const summary: Table = {
      title: `Storefront throughput with metrics and tracing on, as a ratio to both off (${options.loadgen.version}, ${options.connections} connections, median of ${options.rounds} × ${options.durationSec} s runs per side)`,
      headers: ['Endpoint', 'Telemetry', 'req/s', 'Ratio to off', 'Target', 'p50 / p99', 'CPU µs/request', 'CPU ratio (off / this)'],
      rows: [],
    };
    const detail: Table = { title: 'Every measured run (alternating)', headers: ['Endpoint', 'Round', 'Telemetry', 'req/s', 'p50', 'p99', 'CPU µs/request', 'Errors'], rows: [], detail: true };
    const checks: Check[] = [];
    const ratioChart: Chart = { title: 'Telemetry on / off (requests per second)', unit: '×', bars: [], target: { value: TELEMETRY_RATIO_TARGET, label: `target ≥ ${TELEMETRY_RATIO_TARGET}` } };
    const data: Record<string, unknown>[] = [];
    for (const r of results) {
      const of = (side: Side) => r.runs.filter((x) => x.side === side);
      const rps = (side: Side) => median(of(side).map((x) => x.rps));
      const offRps = rps('off');
      const cpu = (side: Side) => median(of(side).map((x) => x.cpuUsPerRequest));
      const ratios: Partial<Record<Side, number>> = {};
      for (const side of SIDES) {
        const ratio = rps(side) / offRps;
        ratios[side] = ratio;
        summary.rows.push([`${r.label}: GET ${r.path}`, SIDE_LABEL[side], fmt(rps(side)), side === 'off' ? '1.00' : fmt(ratio, 2),
          side === 'on' ? `≥ ${TELEMETRY_RATIO_TARGET}` : '', `${ms(median(of(side).map((x) => x.p50Ms)))} / ${ms(median(of(side).map((x) => x.p99Ms)))}`,
          fmt(cpu(side)), side === 'off' ? '1.00' : fmt(cpu('off') / cpu(side), 2)]);
        if (side !== 'off') ratioChart.bars.push({ label: `${r.label}: ${SIDE_LABEL[side]}`, value: ratio, series: side });
      }
      for (const x of r.runs) detail.rows.push([r.path, String(x.round), SIDE_LABEL[x.side], fmt(x.rps), ms(x.p50Ms), ms(x.p99Ms), fmt(x.cpuUsPerRequest), String(x.non2xx + x.socketErrors)]);
      checks.push(check(`${r.label}: throughput with metrics and tracing on / off`, ratios.on!, '>=', TELEMETRY_RATIO_TARGET, '×'));
      data.push({ label: r.label, path: r.path, medianRps: Object.fromEntries(SIDES.map((s) => [s, rps(s)])), medianCpuUsPerRequest: Object.fromEntries(SIDES.map((s) => [s, cpu(s)])), ratios, runs: r.runs });
    }
    if (sink.stats.requests === 0) {
      notes.push('The OTLP sink received no export at all: tracing was not really on, so the ratio does not measure its cost.');
      checks.push(check('OTLP exports received from the telemetry-on instance', 0, '>=', 1, 'requests'));
    } else {
      notes.push(`"on" is the shipped configuration with telemetry switched on: per-route and per-query histograms on /metrics, tracing at the `
        + `default sample ratio and budget (tracingSampleRatio, tracingMaxTracesPerSecond; every continued trace is kept). "all traced" samples every request, with no budget. Together they exported `
        + `${fmt(sink.stats.requests)} OTLP/HTTP batches (${fmt(sink.stats.bytes / 1e6, 1)} MB) to a local sink that discards them.`);
    }
    notes.push('All three instances ran on the same machine as the load generator; only one was under load at a time (runs alternate). '
      + 'Requests/s moves with anything else using the machine; CPU per request (the instance\'s Node and PostgreSQL processes) is the steadier '
      + 'measure of what telemetry adds, and "CPU ratio" is the throughput ratio a CPU-bound storefront would see.');
    return { tables: [summary, detail], checks, charts: [ratioChart], notes, data: { sink: sink.stats, endpoints: data } };
  } finally {
    ctx.progress('telemetry: stopping both instances');
    for (const side of SIDES) await instances[side]?.stop();
    await sink.close();
  }
}

export const telemetrySuite: Suite = {
  name: 'telemetry',
  title: 'Telemetry overhead (issue 4, acceptance 4)',
  description: 'Requests/s of the product page and GET /api/products?limit=24 on a storefront with per-request metrics and OpenTelemetry '
    + 'tracing on (spans exported over OTLP/HTTP to a local sink; at the default sample ratio, and with every request sampled), as a ratio '
    + 'to the same storefront with both off, measured in alternating runs. Target: ratio ≥ 0.9 at the default sample ratio.',
  byDefault: true,
  run,
};
