// Naming the first bottleneck from a target's /metrics: each saturation pattern, and "first" meaning
// first to appear as the load stepped up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnoseStep, nameBottleneck, slowestRoute, type StepEvidence } from './bottleneck-diagnosis.ts';
import { MetricSnapshot } from './prometheus-text.ts';
import { parsePrometheusText } from '../platform/observability/prometheus-text.ts';
import type { RunResult } from './run-result.ts';

const snap = (text: string, at: number) => MetricSnapshot.fromText(text, at, 'test');

function result(statuses: Record<string, number> = { 200: 100 }, errors = { status: 0, timeout: 0, connection: 0 }): RunResult {
  const requests = Object.values(statuses).reduce((a, b) => a + b, 0) + errors.timeout + errors.connection;
  return {
    totals: { requests, errors },
    steps: [{ key: 'j/s', method: 'GET', url: '/x', statuses, latency: { count: requests, p99Ms: 12 } }],
  } as unknown as RunResult;
}

const pool = (inUse: number, waiting: number, max = 10) => `# TYPE holdfast_db_pool_connections gauge
holdfast_db_pool_connections{pool="main",state="in_use",service="all"} ${inUse}
holdfast_db_pool_connections{pool="main",state="idle",service="all"} ${max - inUse}
holdfast_db_pool_connections{pool="main",state="waiting",service="all"} ${waiting}
holdfast_db_pool_connections{pool="main",state="max",service="all"} ${max}
`;

test('the exposition format parser reads labels, escapes and special values', () => {
  const s = parsePrometheusText('# HELP x y\nm{a="1",b="q\\"uote"} 3.5\nm_total 7 1700000000\nh_bucket{le="+Inf"} 4\n');
  assert.deepEqual(s, [
    { name: 'm', labels: { a: '1', b: 'q"uote' }, value: 3.5 },
    { name: 'm_total', labels: {}, value: 7 },
    { name: 'h_bucket', labels: { le: '+Inf' }, value: 4 },
  ]);
});

test('clients waiting for a database connection name the pool', () => {
  const ev: StepEvidence = { before: snap(pool(1, 0), 0), during: [snap(pool(10, 7), 1000), snap(pool(10, 3), 2000)], result: result() };
  const [first] = diagnoseStep(ev);
  assert.equal(first?.component, 'postgres pool main');
  assert.match(first!.message, /postgres pool main: 7 waiting \(10\/10 connections in use\)/);
});

test('the payment bulkhead at its limit names payments', () => {
  const text = 'holdfast_payment_bulkhead_limit{provider="primary"} 32\nholdfast_payment_bulkhead_in_use{provider="primary"} 32\n';
  const [s] = diagnoseStep({ during: [snap(text, 1000)], result: result() });
  assert.equal(s?.message, 'payments: provider call concurrency at bulkhead limit (32 in flight to provider primary)');
});

test('event-loop lag and a busy core name the process by its service label', () => {
  const before = snap('holdfast_process_cpu_seconds_total{service="storefront"} 10\n', 0);
  const during = [snap('holdfast_process_cpu_seconds_total{service="storefront"} 19.6\nholdfast_nodejs_eventloop_lag_p99_seconds{service="storefront"} 0.12\n', 10_000)];
  const signals = diagnoseStep({ before, during, result: result() }).map((s) => s.message);
  assert.ok(signals.includes('storefront: event-loop lag 120 ms (p99)'), signals.join(' | '));
  assert.ok(signals.some((m) => /^storefront: CPU saturated \(0\.96 cores busy/.test(m)), signals.join(' | '));
});

test('429s from the rate limit and failing connections are findings too', () => {
  const messages = diagnoseStep({ during: [], result: result({ 200: 80, 429: 20 }, { status: 20, timeout: 5, connection: 5 }) }).map((s) => s.kind);
  assert.deepEqual(messages, ['rate-limit', 'client-errors']);
});

test('with nothing saturated, the slowest route (server side) is the lead', () => {
  const h = (count: number, sum: number, route: string) => [
    `holdfast_http_request_duration_seconds_bucket{route="${route}",method="GET",status_class="2xx",le="0.05"} ${count}`,
    `holdfast_http_request_duration_seconds_bucket{route="${route}",method="GET",status_class="2xx",le="+Inf"} ${count}`,
    `holdfast_http_request_duration_seconds_sum{route="${route}",method="GET",status_class="2xx"} ${sum}`,
    `holdfast_http_request_duration_seconds_count{route="${route}",method="GET",status_class="2xx"} ${count}`,
  ].join('\n');
  const before = snap(`${h(0, 0, '/api/products')}\n${h(0, 0, '/api/products/:slug')}\n`, 0);
  const after = snap(`${h(100, 0.5, '/api/products')}\n${h(50, 1.5, '/api/products/:slug')}\n`, 5000);
  const s = slowestRoute({ before, during: [after], result: result() });
  assert.equal(s?.message, 'storefront: slowest route GET /api/products/:slug (mean 30 ms, 99% within 50 ms, server side)');
});

test('the bottleneck is what appeared first as the load grew, among what is present where the SLO broke', () => {
  const cpu = (v: number) => `holdfast_process_cpu_seconds_total{service="storefront"} ${v}\n`;
  const stepA = { before: snap(pool(2, 0) + cpu(0), 0), during: [snap(pool(10, 0) + cpu(5), 10_000)], result: result() }; // pool full, CPU 0.5
  const stepB = { before: snap(pool(2, 0) + cpu(10), 0), during: [snap(pool(10, 9) + cpu(19.9), 10_000)], result: result() }; // both
  const idle = { before: snap(pool(1, 0) + cpu(0), 0), during: [snap(pool(1, 0) + cpu(1), 10_000)], result: result() };
  const steps = [idle, stepA, stepB].map((evidence) => ({ evidence, signals: diagnoseStep(evidence) }));
  const v = nameBottleneck(steps, 2);
  assert.equal(v.bottleneck?.component, 'postgres pool main');
  assert.equal(v.firstSeenStep, 1);
  assert.deepEqual(v.alsoObserved.map((s) => s.kind), ['cpu']);
});

test('a blip at a cold start that went away is not the first saturation', () => {
  const lag = (ms: number) => `holdfast_nodejs_eventloop_lag_p99_seconds{service="storefront"} ${ms / 1000}\n`;
  const evidences: StepEvidence[] = [
    { during: [snap(lag(200) + pool(1, 0), 1)], result: result() }, // cold start: lag only
    { during: [snap(lag(5) + pool(10, 4), 1)], result: result() }, // pool fills
    { during: [snap(lag(80) + pool(10, 30), 1)], result: result() }, // both; the SLO breaks here
  ];
  const v = nameBottleneck(evidences.map((evidence) => ({ evidence, signals: diagnoseStep(evidence) })), 2);
  assert.equal(v.bottleneck?.component, 'postgres pool main');
  assert.equal(v.firstSeenStep, 1);
  assert.deepEqual(v.alsoObserved.map((s) => s.kind), ['event-loop']);
});

test('a finding present from the lowest rate on (a busy machine) yields to what the load brought on', () => {
  const lag = (ms: number) => `holdfast_nodejs_eventloop_lag_p99_seconds{service="storefront"} ${ms / 1000}\n`;
  const evidences: StepEvidence[] = [
    { during: [snap(lag(60) + pool(1, 0), 1)], result: result() },
    { during: [snap(lag(70) + pool(2, 0), 1)], result: result() },
    { during: [snap(lag(150) + pool(10, 40), 1)], result: result() },
  ];
  const v = nameBottleneck(evidences.map((evidence) => ({ evidence, signals: diagnoseStep(evidence) })), 2);
  assert.equal(v.bottleneck?.component, 'postgres pool main');
  assert.deepEqual(v.alsoObserved.map((s) => [s.kind, s.ambient]), [['event-loop', true]]);
});
