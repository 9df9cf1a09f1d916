// Issue 5, acceptance 2: the load generator's latency figures are honest. A local server stalls every
// request that arrives during 2 s of a 10 s run at 50 requests/s, holding each for 1 s. The open model
// (requests start on schedule, latency timed from the scheduled start) shows the stall in its p99; the
// same run with the closed-model setting (one connection that waits for each answer before the next
// request, the way most benchmarking tools work) sends almost nothing during the stall and reports a
// p99 that hides it: coordinated omission. Also: iterations that cannot start because the in-flight
// limit is reached are counted as dropped, not silently delayed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoadTest } from '../../src/loadtest/index.ts';

interface StallServer { url: string; stalled: number; served: number; close(): Promise<void> }

/** Answers at once, except that requests arriving between `from` and `to` ms after the first one wait `stallMs`. */
async function stallServer(opts: { from: number; to: number; stallMs: number }): Promise<StallServer> {
  let first: number | undefined;
  const state = { stalled: 0, served: 0 };
  const server = http.createServer((req, res) => {
    const now = performance.now();
    first ??= now;
    const since = now - first;
    const answer = () => { state.served++; res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); };
    if (since >= opts.from && since < opts.to) {
      state.stalled++;
      setTimeout(answer, opts.stallMs);
    } else answer();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    get stalled() { return state.stalled; },
    get served() { return state.served; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const servers: StallServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

test('a 1 s stall shows in the open model\'s p99 and hides from the closed model (coordinated omission)', { timeout: 60_000 }, async () => {
  const stall = { from: 4000, to: 6000, stallMs: 1000 };

  const openServer = await stallServer(stall);
  servers.push(openServer);
  const open = await runLoadTest({
    source: { kind: 'builtin', name: 'http', params: { url: openServer.url } },
    overrides: { rate: 50, duration: 10 }, workers: 2, gracefulStopSec: 5,
  });

  const closedServer = await stallServer(stall);
  servers.push(closedServer);
  const closed = await runLoadTest({
    source: { kind: 'builtin', name: 'http', params: { url: closedServer.url } },
    overrides: { rate: 50, duration: 10, model: 'closed', vus: 1 }, workers: 2, gracefulStopSec: 5,
  });

  // The open model kept sending on schedule through the stall: ~100 requests were held for 1 s each,
  // and their latency, timed from when they were due, is in the figures.
  assert.equal(open.model, 'open');
  assert.ok(open.totals.requests >= 490 && open.totals.requests <= 510, `open model sent ${open.totals.requests} requests (50/s for 10 s)`);
  assert.ok(openServer.stalled >= 80, `open model: ${openServer.stalled} requests arrived during the stall`);
  assert.ok(open.totals.latency.p99Ms >= 900, `open-model p99 ${open.totals.latency.p99Ms} ms reflects the 1 s stall`);
  const stallSeconds = open.series.filter((p) => p.t >= 5 && p.t < 7);
  assert.ok(stallSeconds.some((p) => (p.p50 ?? 0) >= 900), 'the latency chart shows the stall where it happened');

  // The closed model waited for each answer: it sent only a couple of requests during the stall, so
  // only a couple of slow samples exist and its p99 looks healthy.
  assert.equal(closed.model, 'closed');
  assert.ok(closedServer.stalled <= 4, `closed model: only ${closedServer.stalled} requests arrived during the stall`);
  assert.ok(closed.totals.requests < open.totals.requests, `closed model sent fewer requests (${closed.totals.requests} vs ${open.totals.requests})`);
  assert.ok(closed.totals.latency.p99Ms < 200, `closed-model p99 ${closed.totals.latency.p99Ms} ms hides the stall`);
  assert.ok(closed.totals.latency.p99Ms * 5 < open.totals.latency.p99Ms, 'much lower p99 than the open model');
  assert.ok(closed.totals.latency.maxMs >= 900, 'the stall is still in the closed model\'s max (one sample)');
});

test('iterations that find every in-flight slot taken are dropped and counted, not delayed', { timeout: 30_000 }, async () => {
  const server = await stallServer({ from: 0, to: 60_000, stallMs: 1500 });
  servers.push(server);
  const r = await runLoadTest({
    source: { kind: 'builtin', name: 'http', params: { url: server.url } },
    overrides: { rate: 40, duration: 2, maxVUs: 4 }, workers: 2, gracefulStopSec: 3,
  });
  const it = r.totals.iterations;
  assert.equal(it.scheduled, 80);
  assert.equal(it.started + it.dropped, it.scheduled);
  assert.ok(it.started <= 8, `at most 4 in flight for 1.5 s each within 2 s: ${it.started} started`);
  assert.ok(it.dropped >= 70, `${it.dropped} dropped`);
  assert.equal(server.stalled, it.started, 'every started iteration reached the server; dropped ones did not');
  assert.ok(r.series.reduce((n, p) => n + p.dropped, 0) === it.dropped, 'the series shows where they were dropped');
  assert.ok(r.generator.warnings.some((w) => /could not start on time/.test(w)));
});
