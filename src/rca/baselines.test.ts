import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankBaroRobust, rankNSigma } from './baselines.ts';
import type { Telemetry } from './time-series.ts';

const ts = [1, 2, 3, 4, 5, 6, 7];
const t: Telemetry = {
  series: [
    // baseline 1..5 (mean 3, population std sqrt(2); median 3, IQR 2), fault readings 10 and 4
    { service: 'a', metric: 'latency', timestamps: ts, values: [1, 2, 3, 4, 5, 10, 4] },
    // a fall: the baselines only count rises
    { service: 'b', metric: 'success-rate', timestamps: ts, values: [1, 0.99, 1, 0.99, 1, 0.5, 0.5] },
    // constant in the baseline: dropped, as the reference implementation does
    { service: 'c', metric: 'cpu', timestamps: ts, values: [1, 1, 1, 1, 1, 9, 9] },
    // a small rise
    { service: 'd', metric: 'cpu', timestamps: ts, values: [1, 2, 1, 2, 1, 2.5, 2] },
  ],
};

test('N-sigma scores the largest rise in baseline standard deviations', () => {
  const r = rankNSigma(t, { injectTime: 6 });
  assert.equal(r.method, 'n-sigma');
  assert.equal(r.ranked[0]!.service, 'a');
  assert.ok(Math.abs(r.ranked[0]!.score - 7 / Math.sqrt(2)) < 1e-9);
  assert.deepEqual(r.ranked.map((s) => s.service), ['a', 'd', 'b', 'c']);
  assert.equal(r.ranked.at(-1)!.score, -Infinity);
});

test("BARO's robust scorer uses the median and the inter-quartile range", () => {
  const r = rankBaroRobust(t, { injectTime: 6 });
  assert.equal(r.method, 'baro');
  assert.equal(r.ranked[0]!.service, 'a');
  assert.equal(r.ranked[0]!.score, (10 - 3) / 2);
  assert.equal(r.ranked[0]!.evidence[0]!.baseline, 3);
  assert.equal(r.ranked[0]!.evidence[0]!.peak, 10);
});

test('missing readings are carried forward, then zero', () => {
  const gap: Telemetry = { series: [{ service: 'a', metric: 'cpu', timestamps: [...ts, 8], values: [NaN, 1, 2, NaN, 2, 8, NaN, 9] }] };
  const r = rankBaroRobust(gap, { injectTime: 6 });
  // baseline [0, 1, 2, 2, 2]: median 2, IQR 1; fault [8, 8, 9]
  assert.equal(r.ranked[0]!.score, 7);
});

test('a metric constant within the fault window is dropped, as in the reference implementation', () => {
  const flat: Telemetry = { series: [{ service: 'a', metric: 'cpu', timestamps: ts, values: [1, 2, 3, 2, 1, 8, 8] }] };
  assert.equal(rankBaroRobust(flat, { injectTime: 6 }).ranked[0]!.score, -Infinity);
});
