// The capacity finder's replica count against a target whose autoscaler scales while the steps run (as
// `holdfast start --autoscale` does): the run is credited to the replicas in force during its last passing
// step, not those counted before the first step, and says that they changed. A real run of the http
// scenario against a small local server that answers /metrics with the autoscaler's gauge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findCapacity, formatCapacityReport } from './capacity-finder.ts';

let server: http.Server;
let base: string;
/** The replicas the fake autoscaler reports, by role; the test changes them between steps. */
const replicas: Record<string, number> = { storefront: 1, payments: 2 };
let failing = false;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`${Object.entries(replicas).map(([role, n]) => `holdfast_autoscaler_replicas{role="${role}",service="control"} ${n}`).join('\n')}\n`);
      return;
    }
    res.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(failing ? 'overloaded' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('replicas scaled out during the steps: recorded as those of the last passing step (the most seen in it), not those before the run, with a note', { timeout: 60_000 }, async () => {
  // Step 1 (5 it/s) on 1 storefront replica; the autoscaler scales out to 2 for step 2 (10 it/s, the last
  // to pass) and to 3 for step 3 (20 it/s), which breaks the SLO.
  const report = await findCapacity({
    source: { kind: 'builtin', name: 'http', params: { url: `${base}/ok` } }, targetUrl: base, workers: 1,
    slo: 'error_rate<0.01', startRate: 5, factor: 2, maxSteps: 3, stepDurationSec: 1, warmupSec: 0, cooldownSec: 0, scrapeIntervalSec: 0.2,
    log: (line) => {
      if (line.startsWith('step 1:')) replicas.storefront = 2;
      if (line.startsWith('step 2:')) { replicas.storefront = 3; failing = true; }
    },
  });
  const text = formatCapacityReport(report);
  assert.deepEqual(report.steps.map((s) => [s.rate, s.passed, s.replicas.storefront]), [[5, true, 1], [10, true, 2], [20, false, 3]], text);
  assert.equal(report.sustainableRate, 10);
  assert.deepEqual(report.replicas, { storefront: 2, payments: 2 });
  assert.deepEqual(report.replicasChanged, { storefront: { fewest: 1, most: 3 } });
  assert.ok(report.notes.some((n) => /^the replicas changed during the run \(storefront 1 to 3, as the autoscaler counted them\): the rate per replica is judged with those in force during the last passing step \(10 it\/s\), the most seen then: storefront 2, payments 2/.test(n)), text);
  assert.match(text, /^replicas: storefront 2, payments 2 \(the most the autoscaler counted during the last passing step\)$/m);
});
