// The reports a CI system and a reader get from a run: JUnit XML (well-formed, a testcase per threshold
// and check, failures with messages, hostile text escaped), and the HTML report's thresholds and
// server-side panels from the target's /metrics (on the client charts' time axis), or the reason there are
// none. A real run of the http scenario against a small local server that answers /metrics as a shop does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runLoadTest } from './load-engine.ts';
import { renderJunitReport } from './junit-report.ts';
import { renderHtmlReport } from './html-report.ts';
import { reportKind } from './report-files.ts';
import type { RunResult } from './run-result.ts';
import { serverMetricsFrom } from './server-metrics.ts';
import { MetricSnapshot } from './prometheus-text.ts';

let server: http.Server;
let base: string;
let cpuSeconds = 0;
let scrapes = 0;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      scrapes++;
      cpuSeconds += 0.5;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end([
        `holdfast_process_cpu_seconds_total{service="storefront"} ${cpuSeconds}`,
        `holdfast_db_pool_connections{pool="main",state="in_use",service="storefront"} 3`,
        `holdfast_db_pool_connections{pool="main",state="waiting",service="storefront"} ${scrapes % 2}`,
        `holdfast_db_pool_connections{pool="main",state="max",service="storefront"} 10`,
        `holdfast_payment_queue_jobs{queue="payment-charge",state="created",service="payments"} 4`,
        `holdfast_payment_queue_jobs{queue="payment-charge",state="active",service="payments"} 2`,
        `holdfast_payment_queue_jobs{queue="payment-charge",state="completed",service="payments"} 99`,
        `holdfast_payment_queue_oldest_job_age_seconds{service="payments"} 1.5`,
        `holdfast_payment_breaker_state{provider="primary",service="payments"} 2`,
        '',
      ].join('\n'));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function run(metricsUrl: string): Promise<RunResult> {
  return runLoadTest({
    source: { kind: 'builtin', name: 'http', params: { url: `${base}/ok` } }, targetUrl: base, workers: 1,
    load: { executor: 'constant-arrival-rate', rate: 20, duration: 2.5 }, gracefulStopSec: 2,
    thresholds: ['p(99)<5000ms', 'rps>=100000'], replaceThresholds: true, serverMetricsUrls: [metricsUrl],
  });
}

test('--out junit.xml: well-formed JUnit, a testcase per threshold and check, a failure with its message for the breached threshold', { timeout: 60_000 }, async () => {
  assert.equal(reportKind('results/junit.xml'), 'junit');
  const r = await run(`${base}/metrics`);
  const xml = renderJunitReport(r);
  assert.equal(XMLValidator.validate(xml), true, xml);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
  const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; testcase?: { name: string; failure?: { message: string } }[] }[];
  const thresholds = suites.find((s) => s.name.endsWith('thresholds'))!;
  assert.equal(thresholds.tests, '2');
  assert.equal(thresholds.failures, '1');
  const failed = thresholds.testcase!.find((c) => c.failure)!;
  assert.equal(failed.name, 'all requests: rps>=100000');
  assert.match(failed.failure!.message, /^rps>=100000 breached for all requests: observed [\d.,]+/);
  assert.ok(!thresholds.testcase!.find((c) => c.name === 'all requests: p(99)<5000ms')!.failure);
  const checks = suites.find((s) => s.name.endsWith('checks'))!;
  assert.equal(Number(checks.tests), r.steps.reduce((n, s) => n + s.checks.length, 0));
  assert.equal(doc.testsuites.failures, String(1 + Number(checks.failures)));

  // Text from the scenario and the server is escaped, and characters XML cannot carry are dropped.
  const hostile = structuredClone(r);
  hostile.steps[0]!.checks.push({ name: 'body has <b>&"\'</b>\u0001 ]]>', pass: 1, fail: 2 });
  const hostileXml = renderJunitReport(hostile);
  assert.equal(XMLValidator.validate(hostileXml), true, hostileXml);
  assert.match(hostileXml, /failure message="2 of 3 failed: body has &lt;b&gt;&amp;&quot;&apos;&lt;\/b&gt; \]\]&gt;" type="check"/);

  // The HTML report lists the thresholds with their verdicts, and has the server-side panels on the run's axis.
  const html = renderHtmlReport(r);
  const thresholdsSection = html.slice(html.indexOf('<h2>Thresholds</h2>'), html.indexOf('<h2>Checks</h2>'));
  for (const listed of ['<code>rps&gt;=100000</code>', '<code>p(99)&lt;5000ms</code>', '✗ fail', '✓ pass']) assert.ok(thresholdsSection.includes(listed), `${listed} in ${thresholdsSection}`);
  assert.ok(r.server?.available, 'the metrics were sampled');
  assert.ok(r.server!.t.length >= 2, `scrapes during the run: ${r.server!.t.length}`);
  assert.ok(r.server!.t.every((t) => t >= -0.5 && t <= r.elapsedSec + 1), `scrape times on the run's axis: ${r.server!.t.join(', ')}`);
  for (const id of ['server-cpu', 'server-pools', 'server-queue-depth', 'server-queue-age', 'server-breakers']) assert.match(html, new RegExp(`id="${id}"`), id);
  assert.match(html, /data-series="storefront\/main waiting"/);
  assert.match(html, /data-series="unfinished jobs"/);
  assert.match(html, /data-series="primary \(payments\)"/);
});

test('a target without /metrics: the report says so instead of drawing empty panels', { timeout: 60_000 }, async () => {
  const r = await run('http://127.0.0.1:9/metrics');
  assert.equal(r.server?.available, false);
  const html = renderHtmlReport(r);
  assert.match(html, /<h2>Server side<\/h2>\s*<div class="note">Note: no metrics from http:\/\/127\.0\.0\.1:9\/metrics \(.+\): the target's server-side panels are empty<\/div>/);
  assert.doesNotMatch(html, /id="server-cpu"/);
});

test('the panels\' series: CPU from counter deltas per role, the queue\'s unfinished states summed, gaps as null', () => {
  const snap = (at: number, text: string) => MetricSnapshot.fromText(text, at, 'x');
  const s = serverMetricsFrom(['x'], [
    { t: 0, snap: snap(0, 'holdfast_process_cpu_seconds_total{service="storefront"} 10\n') },
    { t: 1, snap: snap(1000, 'holdfast_process_cpu_seconds_total{service="storefront"} 10.8\nholdfast_payment_queue_jobs{queue="payment-charge",state="created"} 3\nholdfast_payment_queue_jobs{queue="payment-charge",state="retry"} 2\n') },
  ], []);
  assert.deepEqual(s.cpu, [{ name: 'storefront', values: [null, 0.8000000000000007] }]);
  assert.deepEqual(s.queueDepth, [{ name: 'unfinished jobs', values: [null, 5] }]);
});

test('CPU per role when one of several metrics URLs misses a scrape: a gap, then the rate over the two seconds, never the process\'s whole CPU time at once', () => {
  const snap = (at: number, text: string) => MetricSnapshot.fromText(text, at, 'x');
  const storefront = (v: number) => `holdfast_process_cpu_seconds_total{service="storefront"} ${v}\n`;
  const payments = (v: number) => `holdfast_process_cpu_seconds_total{service="payments"} ${v}\n`;
  const s = serverMetricsFrom(['a', 'b'], [
    { t: 0, snap: snap(0, storefront(500) + payments(900)) },
    { t: 1, snap: snap(1000, storefront(500.5)) }, // the payments scrape failed
    { t: 2, snap: snap(2000, storefront(501) + payments(901)) },
  ], []);
  assert.deepEqual(s.cpu, [
    { name: 'payments', values: [null, null, 0.5] },
    { name: 'storefront', values: [null, 0.5, 0.5] },
  ]);
});
