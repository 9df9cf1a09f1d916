// Suite "catalog" (issue 2, acceptance 6): how close Holdfast's catalog API and product page come to
// the best this machine's Node can do. Holdfast (`--target storefront`, its own embedded PostgreSQL)
// and a bare node:http server that answers with the very same bytes run side by side; the load
// generator alternates between them (holdfast, bare, holdfast, bare, ...) and the median of each side
// gives the ratio. Target: Holdfast at 0.5 or more of the bare server's requests/s.
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { startHoldfast, REPO_ROOT, type HoldfastInstance } from '../lib/holdfast.ts';
import { runLoad, type LoadResult } from '../lib/loadgen.ts';
import { assertLoopback, clockTicksPerSecond, processTree, startProcess, isPostgresProcess, type ManagedProcess } from '../lib/processes.ts';
import { check, fmt, median, type Chart, type Check, type Suite, type SuiteContext, type SuiteOutcome, type Table } from '../lib/suite.ts';
import type { BareFixture } from '../bare-server.ts';

export const RATIO_TARGET = 0.5;
export const LIST_PATH = '/api/products?limit=24';
/** The server-rendered product page; the JSON API is the fallback while the page does not exist. */
export const productPagePath = (slug: string) => `/products/${encodeURIComponent(slug)}`;
export const productApiPath = (slug: string) => `/api/products/${encodeURIComponent(slug)}`;

interface Endpoint {
  key: 'list' | 'product';
  label: string;
  path: string;
  status: number;
  contentType: string;
  body: Buffer;
  /** Size of Holdfast's response headers (security headers, cache-control, ...); the bare server sends only the essentials. */
  headerBytes: number;
}

interface MeasuredRun extends LoadResult {
  side: 'holdfast' | 'bare';
  round: number;
  /** CPU used by the server side during the run, in cores (1.0 = one core busy the whole run). */
  serverCores: number;
  /** Of which PostgreSQL (Holdfast side only). */
  postgresCores?: number;
}

async function fetchExact(url: string): Promise<{ status: number; contentType: string; body: Buffer; headerBytes: number }> {
  assertLoopback(url);
  // node:http rather than fetch: the exact bytes on the wire (no decompression) and the header size.
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.rawHeaders;
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < raw.length; i += 2) headerBytes += `${raw[i]}: ${raw[i + 1]}\r\n`.length;
        resolve({
          status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? 'application/octet-stream',
          body: Buffer.concat(chunks), headerBytes,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** CPU ticks used so far by a process tree, split into PostgreSQL and the rest. */
function cpuTicks(rootPid: number): { total: number; postgres: number } {
  let total = 0;
  let postgres = 0;
  for (const p of processTree(rootPid)) {
    total += p.cpuTicks;
    if (isPostgresProcess(p)) postgres += p.cpuTicks;
  }
  return { total, postgres };
}

async function chooseProductEndpoint(ctx: SuiteContext, hf: HoldfastInstance, slug: string, notes: string[]): Promise<Endpoint> {
  const mode = ctx.options.productPath;
  if (mode !== 'api') {
    const page = await fetchExact(`${hf.url}${productPagePath(slug)}`);
    if (page.status === 200 && page.contentType.startsWith('text/html')) {
      return { key: 'product', label: 'Product page (HTML)', path: productPagePath(slug), ...page };
    }
    const why = `GET ${productPagePath(slug)} answered ${page.status} ${page.contentType}`;
    if (mode === 'page') throw new Error(`--product-path page: ${why}, not an HTML page`);
    notes.push(`The product page is not measured yet: ${why} (the storefront pages are not built yet), so the `
      + `product figure is GET ${productApiPath('<slug>')} (JSON). It switches to the HTML page by itself once `
      + `that route answers 200 text/html; \`--product-path page\` requires the page.`);
    ctx.progress(`catalog: ${why}; measuring the product JSON API instead of the HTML page`);
  }
  const api = await fetchExact(`${hf.url}${productApiPath(slug)}`);
  if (api.status !== 200) throw new Error(`GET ${productApiPath(slug)} answered ${api.status}: ${api.body.toString('utf8').slice(0, 300)}`);
  return { key: 'product', label: 'Product (JSON API)', path: productApiPath(slug), ...api };
}

async function startBareServer(ctx: SuiteContext, endpoints: Endpoint[]): Promise<{ proc: ManagedProcess; url: string; headerBytes: Map<string, number> }> {
  const fixtures: BareFixture[] = endpoints.map((e) => ({ path: e.path, status: e.status, contentType: e.contentType, bodyBase64: e.body.toString('base64') }));
  const file = path.join(ctx.scratchDir, 'bare-fixtures.json');
  await writeFile(file, JSON.stringify({ routes: fixtures }));
  let onPort: (port: number) => void = () => {};
  const portPromise = new Promise<number>((resolve) => { onPort = resolve; });
  const proc = startProcess('bare node:http server', process.execPath, [path.join(REPO_ROOT, 'bench', 'bare-server.ts'), '--fixtures', file, '--port', '0'], {
    cwd: REPO_ROOT,
    onStdoutLine: (line) => { const m = /^listening (\d+)/.exec(line); if (m) onPort(Number(m[1])); },
  });
  const port = await Promise.race([
    portPromise,
    proc.exited.then(() => { throw new Error(`bare server exited:\n${proc.output()}`); }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('bare server did not start in 15 s')), 15_000)),
  ]);
  const url = `http://127.0.0.1:${port}`;
  const headerBytes = new Map<string, number>();
  for (const e of endpoints) {
    const got = await fetchExact(`${url}${e.path}`);
    headerBytes.set(e.path, got.headerBytes);
    if (got.status !== e.status || got.contentType !== e.contentType || !got.body.equals(e.body)) {
      throw new Error(`bare server does not mirror ${e.path} (status ${got.status}, ${got.body.length} bytes)`);
    }
  }
  return { proc, url, headerBytes };
}

async function measured(ctx: SuiteContext, side: 'holdfast' | 'bare', round: number, url: string, server: ManagedProcess, durationSec: number): Promise<MeasuredRun> {
  const before = cpuTicks(server.pid);
  const load = await runLoad(ctx.options.loadgen, { url, connections: ctx.options.connections, durationSec });
  const after = cpuTicks(server.pid);
  // A server that died (or answered nothing) gives no throughput figure at all: fail rather than report 0.
  if (!server.isRunning()) throw new Error(`${server.name} exited during the run on ${url}:\n${server.output()}`);
  if (load.requests - load.non2xx <= 0) throw new Error(`no successful responses from ${url} (${load.non2xx} non-2xx, ${load.socketErrors} socket errors)`);
  const perCore = clockTicksPerSecond() * load.durationSec;
  return {
    ...load, side, round,
    serverCores: (after.total - before.total) / perCore,
    ...(side === 'holdfast' ? { postgresCores: (after.postgres - before.postgres) / perCore } : {}),
  };
}

const ms = (v: number) => `${fmt(v, v < 10 ? 2 : 1)} ms`;

/**
 * CPU the server's processes spent per answered request, in microseconds. Less sensitive to other
 * processes on the machine than requests/s (a neighbour that takes a core lowers req/s far more than it
 * raises the work each request costs), so it helps tell a busier machine from a costlier request.
 */
const cpuMicrosPerRequest = (r: MeasuredRun) => (r.serverCores * r.durationSec * 1e6) / Math.max(1, r.requests);

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const notes: string[] = [];
  ctx.progress('catalog: starting Holdfast --target storefront (fresh embedded PostgreSQL, demo catalog, waiting room in auto)');
  // The room in `auto`, as a shop that wants surge protection runs it: measuring, nobody queued (issue 11).
  const hf = await startHoldfast({
    name: 'catalog', targets: 'storefront', dataDir: path.join(ctx.scratchDir, 'holdfast'), log: ctx.progress,
    env: { HOLDFAST_WAITING_ROOM: JSON.stringify({ mode: 'auto' }) },
  });
  let bare: Awaited<ReturnType<typeof startBareServer>> | undefined;
  try {
    ctx.progress(`catalog: Holdfast ready at ${hf.url} after ${fmt(hf.startupMs / 1000, 1)} s`);
    const list = await fetchExact(`${hf.url}${LIST_PATH}`);
    if (list.status !== 200) throw new Error(`GET ${LIST_PATH} answered ${list.status}: ${list.body.toString('utf8').slice(0, 300)}`);
    const items = (JSON.parse(list.body.toString('utf8')) as { items: { slug: string }[] }).items;
    if (!items.length || !items[0]) throw new Error(`GET ${LIST_PATH} returned no products (demo catalog not seeded?)`);
    const endpoints: Endpoint[] = [
      { key: 'list', label: 'Catalog API (24 products)', path: LIST_PATH, ...list },
      await chooseProductEndpoint(ctx, hf, items[0].slug, notes),
    ];
    bare = await startBareServer(ctx, endpoints);
    ctx.progress(`catalog: bare node:http server at ${bare.url} mirrors ${endpoints.map((e) => `${e.path} (${fmt(e.body.length)} B)`).join(', ')}`);

    const results: { endpoint: Endpoint; runs: MeasuredRun[]; warmup: MeasuredRun[] }[] = [];
    for (const endpoint of endpoints) {
      const sides = [
        { side: 'holdfast' as const, url: `${hf.url}${endpoint.path}`, server: hf.process },
        { side: 'bare' as const, url: `${bare.url}${endpoint.path}`, server: bare.proc },
      ];
      const warmup: MeasuredRun[] = [];
      for (const s of sides) {
        ctx.progress(`catalog: warming up ${s.side} on GET ${endpoint.path} (${options.warmupSec} s)`);
        warmup.push(await measured(ctx, s.side, 0, s.url, s.server, options.warmupSec));
      }
      const runs: MeasuredRun[] = [];
      for (let round = 1; round <= options.rounds; round++) {
        for (const s of sides) {
          const r = await measured(ctx, s.side, round, s.url, s.server, options.durationSec);
          runs.push(r);
          const errors = r.non2xx + r.socketErrors ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : '';
          ctx.progress(`catalog: GET ${endpoint.path} ${s.side.padEnd(8)} round ${round}/${options.rounds}: `
            + `${fmt(r.rps)} req/s, p50 ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}, server CPU ${fmt(r.serverCores, 2)} cores (${fmt(cpuMicrosPerRequest(r), 1)} µs per request)${errors}`);
        }
      }
      results.push({ endpoint, runs, warmup });
    }

    const tables: Table[] = [];
    const checks: Check[] = [];
    const summary: Table = {
      title: `Throughput against a bare node:http server serving the same bytes (${options.loadgen.version}, ${options.connections} connections, median of ${options.rounds} × ${options.durationSec} s runs per side)`,
      headers: ['Endpoint', 'Body', 'Holdfast req/s', 'Bare req/s', 'Ratio', 'Target', 'Holdfast p50 / p99', 'Bare p50 / p99'],
      rows: [],
    };
    const detail: Table = {
      title: 'Every measured run (alternating)',
      headers: ['Endpoint', 'Round', 'Side', 'req/s', 'p50', 'p99', 'Server CPU (cores)', 'of which PostgreSQL', 'CPU per request', 'Errors'],
      rows: [],
      detail: true,
    };
    const data: Record<string, unknown>[] = [];
    const rpsChart: Chart = { title: 'Requests per second (median)', unit: 'req/s', bars: [] };
    const ratioChart: Chart = { title: 'Holdfast / bare node:http (requests per second)', unit: '×', bars: [], target: { value: RATIO_TARGET, label: `target ≥ ${RATIO_TARGET}` } };
    for (const { endpoint, runs, warmup } of results) {
      const side = (s: 'holdfast' | 'bare') => runs.filter((r) => r.side === s);
      const h = side('holdfast');
      const b = side('bare');
      const hRps = median(h.map((r) => r.rps));
      const bRps = median(b.map((r) => r.rps));
      const ratio = hRps / bRps;
      const errors = runs.reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
      if (errors) notes.push(`GET ${endpoint.path}: ${errors} non-2xx responses or socket errors during the measured runs; its requests/s overstate real throughput.`);
      summary.rows.push([
        `${endpoint.label}: GET ${endpoint.path}`, `${fmt(endpoint.body.length)} B ${endpoint.contentType.split(';')[0]}`,
        fmt(hRps), fmt(bRps), fmt(ratio, 2), `≥ ${RATIO_TARGET}`,
        `${ms(median(h.map((r) => r.p50Ms)))} / ${ms(median(h.map((r) => r.p99Ms)))}`,
        `${ms(median(b.map((r) => r.p50Ms)))} / ${ms(median(b.map((r) => r.p99Ms)))}`,
      ]);
      for (const r of runs) {
        detail.rows.push([endpoint.path, String(r.round), r.side, fmt(r.rps), ms(r.p50Ms), ms(r.p99Ms), fmt(r.serverCores, 2),
          r.postgresCores === undefined ? '' : fmt(r.postgresCores, 2), `${fmt(cpuMicrosPerRequest(r), 1)} µs`, String(r.non2xx + r.socketErrors)]);
      }
      checks.push(check(`${endpoint.label} throughput ratio to bare node:http`, ratio, '>=', RATIO_TARGET, '×'));
      rpsChart.bars.push({ label: `${endpoint.label}: Holdfast`, value: hRps, series: 'holdfast' }, { label: `${endpoint.label}: bare node:http`, value: bRps, series: 'bare' });
      ratioChart.bars.push({ label: endpoint.label, value: ratio, series: 'ratio' });
      data.push({
        key: endpoint.key, label: endpoint.label, path: endpoint.path, status: endpoint.status, contentType: endpoint.contentType, bodyBytes: endpoint.body.length,
        holdfastHeaderBytes: endpoint.headerBytes, bareHeaderBytes: bare.headerBytes.get(endpoint.path),
        holdfast: { medianRps: hRps, medianP50Ms: median(h.map((r) => r.p50Ms)), medianP99Ms: median(h.map((r) => r.p99Ms)), medianServerCores: median(h.map((r) => r.serverCores)), medianPostgresCores: median(h.map((r) => r.postgresCores ?? 0)), medianCpuMicrosPerRequest: median(h.map(cpuMicrosPerRequest)) },
        bare: { medianRps: bRps, medianP50Ms: median(b.map((r) => r.p50Ms)), medianP99Ms: median(b.map((r) => r.p99Ms)), medianServerCores: median(b.map((r) => r.serverCores)), medianCpuMicrosPerRequest: median(b.map(cpuMicrosPerRequest)) },
        ratio, runs, warmup,
      });
    }
    tables.push(summary, detail);
    notes.push(`Bodies are byte-identical; headers are not: Holdfast sends ${results.map((r) => `${fmt(r.endpoint.headerBytes)} B`).join(' and ')} of response headers `
      + `(security headers, cache-control, request id) where the bare server sends ${results.map((r) => `${fmt(bare!.headerBytes.get(r.endpoint.path) ?? 0)} B`).join(' and ')}.`);
    if (options.loadgen.name === 'autocannon') {
      notes.push(`Load came from autocannon (${options.loadgen.reason === 'requested' ? '--loadgen autocannon' : 'wrk is not installed'}): autocannon is itself a Node process and can saturate before the bare server does, which pulls the ratio towards 1. Install wrk for a sharper baseline.`);
    }
    notes.push('Holdfast ran with the waiting room in mode auto and nobody queued; wrk keeps no cookies, so every request was a newcomer the room let in (docs/surge-protection.md, "What the room costs a request").');
    notes.push(`Server CPU is the CPU time the server's processes used during a run, in cores; the load generator ran on the same machine and competed for the same cores.`);
    notes.push(`CPU per request (server CPU time over requests answered; Holdfast's includes its PostgreSQL), median per side: ${results.map(({ endpoint, runs }) => {
      const per = (s: 'holdfast' | 'bare') => median(runs.filter((r) => r.side === s).map(cpuMicrosPerRequest));
      return `${endpoint.label} ${fmt(per('holdfast'), 1)} µs on Holdfast, ${fmt(per('bare'), 1)} µs bare`;
    }).join('; ')}. It moves less with other processes' load than requests/s does, though it too rises on a busy machine.`);
    return {
      tables, checks, charts: [rpsChart, ratioChart], notes,
      data: { holdfastStartupMs: hf.startupMs, loadgen: options.loadgen, connections: options.connections, endpoints: data },
    };
  } finally {
    await bare?.proc.stop();
    ctx.progress('catalog: stopping Holdfast and its PostgreSQL');
    await hf.stop();
  }
}

export const catalogSuite: Suite = {
  name: 'catalog',
  title: 'Catalog throughput (issue 2, acceptance 6)',
  description: 'Requests/s of GET /api/products?limit=24 and of a product page on Holdfast (--target storefront, embedded PostgreSQL) '
    + 'as a ratio to a bare node:http server returning the same bytes, measured side by side in alternating runs. Target: ratio ≥ 0.5.',
  byDefault: true,
  run,
};
