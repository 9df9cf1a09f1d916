// The hot-path histogram must be indistinguishable on /metrics from prom-client's own Histogram: the same
// observations give the same exposition text, line for line, default labels included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { LabelledHistogram } from './labelled-histogram.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [string, string, number][] = [
  ['/api/products', '2xx', 0.0004], ['/api/products', '2xx', 0.001], ['/api/products', '2xx', 0.0011],
  ['/api/products', '4xx', 0.05], ['/products/:slug', '2xx', 0.5], ['/products/:slug', '2xx', 7],
  ['/products/:slug', '2xx', 1],
];

test('renders exactly what prom-client renders for the same observations', async () => {
  const ours = new client.Registry();
  const theirs = new client.Registry();
  for (const r of [ours, theirs]) r.setDefaultLabels({ service: 'storefront' });
  const fast = new LabelledHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['route', 'status_class'], buckets: BUCKETS, registers: [ours] });
  const reference = new client.Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['route', 'status_class'], buckets: BUCKETS, registers: [theirs] });
  for (const [route, statusClass, seconds] of OBSERVATIONS) {
    fast.labels({ route, status_class: statusClass }).observe(seconds);
    reference.labels({ route, status_class: statusClass }).observe(seconds);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
});

test('a kept child keeps counting after a reset, from zero', async () => {
  const registry = new client.Registry();
  const h = new LabelledHistogram({ name: 'h_seconds', help: 'h', labelNames: ['route'], buckets: BUCKETS, registers: [registry] });
  const child = h.labels({ route: '/a' });
  child.observe(0.5);
  registry.resetMetrics();
  child.observe(0.005);
  const text = await registry.metrics();
  assert.match(text, /h_seconds_count\{route="\/a"\} 1\n/);
  assert.match(text, /h_seconds_bucket\{le="0.01",route="\/a"\} 1\n/);
  assert.match(text, /h_seconds_sum\{route="\/a"\} 0.005\n/);
});

test('startTimer observes under the merged labels; a missing label is an error', async () => {
  const registry = new client.Registry();
  const h = new LabelledHistogram({ name: 'q_seconds', help: 'q', labelNames: ['query', 'outcome'], buckets: BUCKETS, registers: [registry] });
  const end = h.startTimer({ query: 'catalog.get' });
  const seconds = end({ outcome: 'ok' });
  assert.ok(seconds >= 0 && seconds < 1);
  assert.match(await registry.metrics(), /q_seconds_count\{query="catalog.get",outcome="ok"\} 1\n/);
  assert.throws(() => h.labels({ query: 'x' } as never), /label "outcome" is missing/);
});
