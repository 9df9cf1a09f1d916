import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateThreshold, parseThreshold, parseThresholdList, type MetricSource } from './threshold-rules.ts';

const source = (over: Partial<MetricSource> = {}): MetricSource => ({
  percentileMs: (p) => (p >= 99 ? 420 : p >= 90 ? 120 : 40), meanMs: 55, minMs: 2, maxMs: 900,
  requests: 1000, failed: 5, checksPassed: 990, checksTotal: 1000, dropped: 3, scheduled: 600, durationSec: 10, ...over,
});

test('latency thresholds take ms by default, or s / ms units, with p(N) or pN', () => {
  assert.equal(parseThreshold('p(99)<300').value, 300);
  assert.equal(parseThreshold('p(99)<300ms').value, 300);
  assert.equal(parseThreshold('p99<0.5s').value, 500);
  assert.deepEqual(parseThreshold('p(99.9)<=1s').metric, { kind: 'percentile', percentile: 99.9 });
  assert.equal(parseThreshold('avg<100').metric.kind, 'latency');
});

test('rates take a ratio or a percentage', () => {
  assert.equal(parseThreshold('error_rate<0.01').value, 0.01);
  assert.equal(parseThreshold('error_rate<1%').value, 0.01);
  assert.equal(parseThreshold('checks>99%').value, 0.99);
  assert.throws(() => parseThreshold('error_rate<5'), /between 0 and 1/);
});

test('a scope prefix ties a threshold to one step', () => {
  const t = parseThreshold('checkout/place-order: p(99)<800ms');
  assert.equal(t.scope, 'checkout/place-order');
  assert.equal(t.value, 800);
});

test('nonsense is refused with an example of what works', () => {
  assert.throws(() => parseThreshold('latency is low'), /not understood/);
  assert.throws(() => parseThreshold('p(99)<300%'), /ms or s/);
  assert.throws(() => parseThreshold('bogus<3'), /unknown metric/);
});

test('evaluation passes and breaches as the numbers say', () => {
  assert.equal(evaluateThreshold(parseThreshold('p(99)<500ms'), source()).pass, true);
  assert.equal(evaluateThreshold(parseThreshold('p(99)<300ms'), source()).pass, false);
  assert.equal(evaluateThreshold(parseThreshold('error_rate<0.01'), source()).pass, true);
  assert.equal(evaluateThreshold(parseThreshold('error_rate<0.001'), source()).pass, false);
  assert.equal(evaluateThreshold(parseThreshold('checks>0.99'), source()).pass, false);
  assert.equal(evaluateThreshold(parseThreshold('checks>=0.99'), source()).pass, true);
  assert.equal(evaluateThreshold(parseThreshold('dropped_iterations<=0'), source()).pass, false);
  assert.equal(evaluateThreshold(parseThreshold('rps>=100'), source()).pass, true);
  assert.equal(evaluateThreshold(parseThreshold('p(99)<300ms'), source()).observedText, '420 ms');
});

test('a latency threshold on a step that never answered fails (nothing showed it was fast)', () => {
  assert.equal(evaluateThreshold(parseThreshold('p(99)<300ms'), source({ requests: 0 })).pass, false);
});

test('the capacity finder\'s SLO list', () => {
  const list = parseThresholdList('p99<500ms, error_rate<0.01');
  assert.equal(list.length, 2);
  assert.equal(list[0]!.value, 500);
});
