// The exported Prometheus rules are valid (`promtool check rules`) and behave as the built-in SLO
// alerts do (`promtool test rules`): a payment outage, a checkout error burst and slow cart requests
// page; a healthy shop does not. The series are written twice: with bucket bounds as Prometheus 2 stores
// the text format (`le="1"`) and as Prometheus 3 normalises them (`le="1.0"`); the rules must read both.
// Grafana dashboards are well-formed JSON that use only metrics Holdfast exports. Both are written for the
// SLOs the control role judges: HOLDFAST_SLO_FILE's when it is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { writePrometheusExport, writeGrafanaExport, prometheusRuleGroups, alertName, RULES_FILE, openMetricsFloat, bucketBoundMatcher, runExportCommand } from '../../src/exports/index.ts';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';
const skip = existsSync(PROMTOOL) ? false : `${PROMTOOL} is missing (Debian package prometheus; .ci/run installs it)`;
if (skip) console.log(`skipping promtool tests: ${skip}`);

type Rule = { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> };

/** The alerts promtool should see for an alert name: one per window of the policy (all of them firing). */
function expected(journey: string, objective: 'availability' | 'latency') {
  const rules = prometheusRuleGroups({ evaluationInterval: '1m' })[1]!.rules as Rule[];
  return rules.filter((r) => r.alert === alertName(journey, objective))
    .map((r) => ({ exp_labels: { ...r.labels, journey, objective }, exp_annotations: r.annotations }));
}

const bucketSpellings: [string, (bound: number) => string][] = [
  ['Prometheus 2 (text format spelling, le="1")', (bound) => String(bound)],
  ['Prometheus 3 (normalised float spelling, le="1.0")', openMetricsFloat],
];

for (const [spelling, le] of bucketSpellings) test(`promtool check rules and promtool test rules pass on the exported rules: ${spelling}`, { skip }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-prom-'));
  try {
    await writePrometheusExport(dir, { evaluationInterval: '1m' });
    const check = await run(PROMTOOL, ['check', 'rules', path.join(dir, RULES_FILE)]);
    assert.match(check.stdout, /SUCCESS: \d+ rules found/);
    await run(PROMTOOL, ['check', 'config', path.join(dir, 'prometheus.yml')]);

    const jobs = 'holdfast_payment_job_duration_seconds';
    const http = 'holdfast_http_request_duration_seconds';
    const co = 'service="storefront",route="/api/checkout",method="POST"';
    const unitTest = {
      rule_files: [RULES_FILE],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: [
          // Payments: 60 jobs/min settle; from minute 60 the provider fails and every job is retried.
          { series: `${jobs}_count{service="payments",result="settled"}`, values: '0+60x150' },
          { series: `${jobs}_bucket{service="payments",result="settled",le="${le(1)}"}`, values: '0+60x150' },
          { series: `${jobs}_count{service="payments",result="retry_later"}`, values: '0+0x60 60+60x89' },
          { series: `${jobs}_bucket{service="payments",result="retry_later",le="${le(1)}"}`, values: '0+0x60 60+60x89' },
          // Checkout: 60 requests/min succeed; from minute 100, 12/min more fail with a 5xx.
          { series: `${http}_count{${co},status_class="2xx"}`, values: '0+60x150' },
          { series: `${http}_bucket{${co},status_class="2xx",le="${le(1)}"}`, values: '0+60x150' },
          { series: `${http}_count{${co},status_class="5xx"}`, values: '0+0x100 12+12x49' },
          { series: `${http}_bucket{${co},status_class="5xx",le="${le(1)}"}`, values: '0+0x100 12+12x49' },
          // Browse: healthy throughout (its alerts must stay silent).
          { series: `${http}_count{service="storefront",route="/api/products/:slug",method="GET",status_class="2xx"}`, values: '0+600x150' },
          { series: `${http}_bucket{service="storefront",route="/api/products/:slug",method="GET",status_class="2xx",le="${le(0.5)}"}`, values: '0+600x150' },
          // Cart: 60 requests/min under 0.5 s; from minute 100 every one takes longer (its latency budget burns).
          { series: `${http}_count{service="storefront",route="/api/carts/:id/items",method="POST",status_class="2xx"}`, values: '0+60x150' },
          { series: `${http}_bucket{service="storefront",route="/api/carts/:id/items",method="POST",status_class="2xx",le="${le(0.5)}"}`, values: '0+60x100 6000+0x49' },
          { series: `${http}_bucket{service="storefront",route="/api/carts/:id/items",method="POST",status_class="2xx",le="+Inf"}`, values: '0+60x150' },
        ],
        alert_rule_test: [
          { eval_time: '50m', alertname: alertName('payment', 'availability'), exp_alerts: [] },
          { eval_time: '75m', alertname: alertName('payment', 'availability'), exp_alerts: expected('payment', 'availability') },
          { eval_time: '75m', alertname: alertName('payment', 'latency'), exp_alerts: [] },
          { eval_time: '90m', alertname: alertName('checkout', 'availability'), exp_alerts: [] },
          { eval_time: '110m', alertname: alertName('checkout', 'availability'), exp_alerts: expected('checkout', 'availability') },
          { eval_time: '110m', alertname: alertName('checkout', 'latency'), exp_alerts: [] },
          { eval_time: '110m', alertname: alertName('browse', 'availability'), exp_alerts: [] },
          { eval_time: '110m', alertname: alertName('browse', 'latency'), exp_alerts: [] },
          { eval_time: '90m', alertname: alertName('cart', 'latency'), exp_alerts: [] },
          { eval_time: '130m', alertname: alertName('cart', 'latency'), exp_alerts: expected('cart', 'latency') },
          { eval_time: '130m', alertname: alertName('cart', 'availability'), exp_alerts: [] },
        ],
      }],
    };
    await writeFile(path.join(dir, 'holdfast-slo-rules.test.yml'), YAML.stringify(unitTest));
    const tested = await run(PROMTOOL, ['test', 'rules', path.join(dir, 'holdfast-slo-rules.test.yml')]).catch((err: { stdout?: string; stderr?: string }) => {
      assert.fail(`promtool test rules failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    assert.match(tested.stdout, /SUCCESS/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bucket bounds: Prometheus 3 spelling, and a matcher that reads both spellings', () => {
  // Go's strconv.FormatFloat(x, 'g', -1, 64) plus ".0" on whole numbers (prometheus/common FormatOpenMetricsFloat).
  const spelled = [0.0005, 0.001, 0.0025, 0.5, 1, 2.5, 10, 30, 0.00005, 1e6, 1.5e7, Infinity].map(openMetricsFloat);
  assert.deepEqual(spelled, ['0.0005', '0.001', '0.0025', '0.5', '1.0', '2.5', '10.0', '30.0', '5e-05', '1e+06', '1.5e+07', '+Inf']);
  assert.equal(bucketBoundMatcher(0.5), 'le="0.5"');
  assert.equal(bucketBoundMatcher(2.5), 'le="2.5"');
  assert.equal(bucketBoundMatcher(1), 'le=~"1|1\\\\.0"');
  assert.equal(bucketBoundMatcher(10), 'le=~"10|10\\\\.0"');
  // No exported rule names a whole-number bound with an exact match (Prometheus 3 would never match it).
  const exprs = prometheusRuleGroups()[0]!.rules.map((r) => String(r.expr));
  for (const expr of exprs) assert.doesNotMatch(expr, /le="\d+"/, expr);
  assert.ok(exprs.some((e) => e.includes('le=~"1|1\\\\.0"')), 'the checkout and payment latency rules read both spellings of 1 s');
});

test('window scale shortens every window; the Alertmanager config routes pages and tickets', async () => {
  const groups = prometheusRuleGroups({ windowScale: 1 / 60, evaluationInterval: '1s' });
  const records = new Set((groups[0]!.rules as { record: string }[]).map((r) => r.record));
  assert.ok(records.has('journey:holdfast_slo_bad_ratio:rate1m') && records.has('journey:holdfast_slo_bad_ratio:rate5s'), [...records].join(', '));
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-am-'));
  try {
    await writePrometheusExport(dir);
    const am = YAML.parse(await readFile(path.join(dir, 'alertmanager.yml'), 'utf8'));
    assert.deepEqual(am.route.routes.map((r: { receiver: string }) => r.receiver), ['holdfast-page', 'holdfast-tickets']);
    assert.ok(am.receivers.every((r: { name: string }) => [am.route.receiver, ...am.route.routes.map((x: { receiver: string }) => x.receiver)].includes(r.name)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('grafana export: RED, SLO and payment queue dashboards over metrics Holdfast exports', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-grafana-'));
  try {
    const files = await writeGrafanaExport(dir);
    assert.deepEqual((await readdir(dir)).sort(), ['holdfast-payment-queue.json', 'holdfast-red.json', 'holdfast-slo.json']);
    const known = /^(holdfast_(http_request_duration_seconds|db_query_duration_seconds|payment_\w+|payments_settled_total|db_pool_connections|process_cpu_seconds_total|nodejs_eventloop_lag_p99_seconds)|journey:holdfast_slo_[\w:]+)$/;
    for (const file of files) {
      const dash = JSON.parse(await readFile(file, 'utf8'));
      assert.ok(dash.uid && dash.title && dash.panels.length >= 4, file);
      for (const panel of dash.panels) {
        for (const t of panel.targets) {
          const names = (t.expr as string).match(/\b(holdfast_|journey:)[a-z0-9_:]+/g) ?? [];
          if (!(t.expr as string).startsWith('vector(')) assert.ok(names.length > 0, t.expr);
          for (const name of names) {
            assert.match(name.replace(/_(bucket|count|sum)$/, ''), known, `${path.basename(file)} "${panel.title}": ${t.expr}`);
          }
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Runs `holdfast export ...` in this process with env as its environment; what it wrote to stderr. */
async function exportWith(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const [writeErr, writeOut] = [process.stderr.write, process.stdout.write];
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return { code: await runExportCommand(argv, env), stderr };
  } finally {
    process.stderr.write = writeErr;
    process.stdout.write = writeOut;
  }
}

test('export prometheus|grafana writes the SLOs of HOLDFAST_SLO_FILE, as the control role judges them; a bad file exports nothing', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-slo-export-'));
  try {
    const file = path.join(dir, 'slos.json');
    await writeFile(file, JSON.stringify([
      { journey: 'search', source: { kind: 'http', method: 'GET', routePrefixes: ['/api/products'] }, availability: 0.995, latency: { thresholdSeconds: 0.5, objective: 0.9 } },
    ]));
    const env = { HOLDFAST_SLO_FILE: file };
    assert.deepEqual(await exportWith(['prometheus', '--out', path.join(dir, 'prom')], env), { code: 0, stderr: '' });
    const rules = YAML.parse(await readFile(path.join(dir, 'prom', RULES_FILE), 'utf8')) as { groups: { rules: { alert?: string; expr: string }[] }[] };
    const alerts = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean));
    assert.deepEqual([...alerts].sort(), [alertName('search', 'availability'), alertName('search', 'latency')], 'the file\'s journey only, not the built-in ones');
    assert.ok(rules.groups.flatMap((g) => g.rules).some((r) => r.expr.includes(`route=~"(/api/products).*"`) && r.expr.includes(`method="GET"`)), 'its source selects its routes');
    if (!skip) await run(PROMTOOL, ['check', 'rules', path.join(dir, 'prom', RULES_FILE)]);

    assert.deepEqual(await exportWith(['grafana', '--out', path.join(dir, 'grafana')], env), { code: 0, stderr: '' });
    const slo = JSON.parse(await readFile(path.join(dir, 'grafana', 'holdfast-slo.json'), 'utf8')) as { panels: { title: string }[] };
    assert.deepEqual([...new Set(slo.panels.map((p) => p.title.split(':')[0]))], ['search']);
    assert.match(slo.panels[0]!.title, /objective 99\.50%/);

    // Checked as the control role checks it: every problem named, nothing written.
    await writeFile(file, JSON.stringify([{ journey: 'search', source: { kind: 'http', routePrefixes: ['/api/products'] }, availability: 'high', latency: { thresholdSeconds: 0.5, objective: 1.5 } }]));
    const bad = await exportWith(['prometheus', '--out', path.join(dir, 'bad')], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /\[0\]\.availability \(in .*slos\.json, HOLDFAST_SLO_FILE\): must be number, got "high"/);
    assert.match(bad.stderr, /\[0\]\.latency\.objective \(in .*slos\.json, HOLDFAST_SLO_FILE\): must be < 1, got 1\.5/);
    assert.equal(existsSync(path.join(dir, 'bad')), false, 'nothing exported');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
