import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMetric } from './metric-kind.ts';
import { quantile, robustSummary, std } from './robust-stats.ts';

test('metric names are read by their words', () => {
  const kind = (m: string) => { const i = classifyMetric(m); return `${i.kind}/${i.bad}${i.ratio ? '/ratio' : ''}`; };
  assert.equal(kind('latency'), 'latency/up');
  assert.equal(kind('latency-90'), 'latency/up');
  assert.equal(kind('client-latency-99'), 'client-latency/up');
  assert.equal(kind('success-rate'), 'success/down/ratio');
  assert.equal(kind('error-rate'), 'errors/up/ratio');
  assert.equal(kind('workload'), 'workload/both');
  assert.equal(kind('cpu'), 'cpu/up');
  assert.equal(kind('cpu-util'), 'cpu/up/ratio');
  assert.equal(kind('mem'), 'memory/up');
  assert.equal(kind('mem-util'), 'memory/up/ratio');
  assert.equal(kind('net-rx'), 'network/both');
  assert.equal(kind('syscall-read'), 'network/both');
  assert.equal(kind('something-else'), 'other/both');
});

test('robust statistics skip missing readings', () => {
  assert.equal(quantile([3, NaN, 1, 2], 0.5), 2);
  assert.ok(Number.isNaN(quantile([NaN], 0.5)));
  const r = robustSummary([1, 2, 3, 4, 5, NaN]);
  assert.deepEqual([r.n, r.median, r.q25, r.q75, r.iqr], [5, 3, 2, 4, 2]);
  assert.equal(std([1, 3, NaN]), 1);
});
