// Unit tests of the control role's math on synthetic series: the robust change score (fires on a
// degrading service, not on noise or a pure traffic surge), burn rates and the multiwindow rule, histogram
// quantiles from bucket deltas, the Prometheus text reader and the bounded window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeScore, tailExceedance } from './change-detector.ts';
import { burnRate, evaluateBurn } from './slo-burn.ts';
import { interpolatedQuantile as bucketQuantile } from '../platform/observability/histogram-quantile.ts';
import { parsePrometheusText } from '../platform/observability/prometheus-text.ts';
import { SeriesWindow } from './series-window.ts';
import { onsetOf } from './control-plane.ts';
import { DEFAULT_BURN_WINDOWS, DEFAULT_DETECTOR, DEFAULT_SLOS } from './control-config.ts';

// deterministic noise
let seed = 42;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
const noisy = (n: number, level: number, spread: number) => Array.from({ length: n }, () => level + (rand() - 0.5) * 2 * spread);

test('a steady noisy latency does not score; a 10x degradation fires', () => {
  const baseline = noisy(120, 0.02, 0.005);
  const calm = changeScore({ kind: 'latency', baseline, current: noisy(3, 0.02, 0.005) }, DEFAULT_DETECTOR);
  assert.equal(calm.anomalous, false);
  assert.ok(calm.score < 3, `calm score ${calm.score}`);
  const slow = changeScore({ kind: 'latency', baseline, current: [0.2, 0.21, 0.19] }, DEFAULT_DETECTOR);
  assert.equal(slow.anomalous, true);
  assert.ok(slow.ratio > 9 && slow.ratio < 11, `ratio ${slow.ratio}`);
});

test('one stray slow reading does not fire (the median of the current readings is judged)', () => {
  const baseline = noisy(120, 0.02, 0.005);
  assert.equal(changeScore({ kind: 'latency', baseline, current: [0.02, 2, 0.021] }, DEFAULT_DETECTOR).anomalous, false);
});

test('a pure 5x traffic surge that slows latency in proportion does not fire; a service degrading under it does', () => {
  const baseline = noisy(120, 0.03, 0.005);
  const baselineRate = noisy(120, 10, 1);
  const surge = changeScore({ kind: 'latency', baseline, current: [0.1, 0.11, 0.1], baselineRate, currentRate: [50, 51, 49] }, DEFAULT_DETECTOR);
  assert.equal(surge.anomalous, false, `surge score ${surge.score}`);
  assert.ok(surge.trafficGrowth > 4.5);
  const degrading = changeScore({ kind: 'latency', baseline, current: [2, 2.1, 2], baselineRate, currentRate: [50, 51, 49] }, DEFAULT_DETECTOR);
  assert.equal(degrading.anomalous, true);
});

test('a dependency whose own call rate grows less than the surge is judged by the shop\'s entry traffic', () => {
  // provider calls come from batched payment jobs: 1.2x more of them while shoppers grew 4x
  const baseline = noisy(120, 0.024, 0.003);
  const ownBaseline = noisy(120, 10, 1);
  const entryBaseline = noisy(120, 20, 1);
  const input = { kind: 'latency' as const, baseline, current: [0.09, 0.088, 0.092], baselineRate: ownBaseline, currentRate: [12, 12, 12] };
  assert.equal(changeScore(input, DEFAULT_DETECTOR).anomalous, true, 'by its own rate alone this looks like a degradation');
  const surge = changeScore({ ...input, entryBaselineRate: entryBaseline, entryCurrentRate: [80, 81, 79] }, DEFAULT_DETECTOR);
  assert.equal(surge.anomalous, false, `score ${surge.score}`);
  assert.ok(surge.trafficGrowth > 3.5);
  // the provider slowing to 2 s under the same surge still fires
  const degrading = changeScore({ ...input, current: [2, 2.1, 2], entryBaselineRate: entryBaseline, entryCurrentRate: [80, 81, 79] }, DEFAULT_DETECTOR);
  assert.equal(degrading.anomalous, true);
});

// the provider call histogram's bounds (payment-metrics.ts)
const PROVIDER_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, Infinity];
/** Cumulative buckets of these call durations. */
const bucketsOf = (calls: readonly number[], bounds = PROVIDER_BOUNDS): [number, number][] => bounds.map((le) => [le, calls.filter((c) => c <= le).length]);
// a quiet provider: 5 s p99 readings of one or two calls, pooled medians around 18 ms
const quietProvider = () => ({ baselineMedians: noisy(60, 0.018, 0.002), baselineP99s: noisy(60, 0.024, 0.006) });

test('tail exceedance: three of five calls in 10 s far over a quiet baseline fire; the median and bound are named', () => {
  const t = tailExceedance({ ...quietProvider(), buckets: bucketsOf([0.02, 0.019, 2.02, 2.03, 2.01]) }, DEFAULT_DETECTOR);
  assert.equal(t.anomalous, true);
  assert.equal(t.above, 3);
  assert.equal(t.calls, 5);
  // the bound wanted is the median plus 250 ms (5x the slow end, about 0.15 s, is less): 0.5 s is the first bucket bound over it
  assert.equal(t.bound, 0.5);
  assert.ok(t.current > 1 && t.ratio > 50, `median ${t.current}, ${t.ratio}x`);
  assert.ok(t.score >= DEFAULT_DETECTOR.fireUnits, `score ${t.score}`);
});

test('tail exceedance: one stray slow call, or slow calls short of most of the window, do not fire', () => {
  const base = quietProvider();
  assert.equal(tailExceedance({ ...base, buckets: bucketsOf([0.02, 0.019, 2.5, 0.021, 0.018]) }, DEFAULT_DETECTOR).anomalous, false, 'one stray call');
  assert.equal(tailExceedance({ ...base, buckets: bucketsOf([2.02, 2.5]) }, DEFAULT_DETECTOR).anomalous, false, 'two calls, both slow: fewer than three');
  assert.equal(tailExceedance({ ...base, buckets: bucketsOf([0.02, 0.019, 0.021, 2.02, 2.03, 2.01]) }, DEFAULT_DETECTOR).anomalous, false, 'three slow of six: not more than half');
  // calls a little slower than usual (2x) are the pooled median's to judge, not this test's
  assert.equal(tailExceedance({ ...base, buckets: bucketsOf([0.04, 0.045, 0.05, 0.04, 0.042]) }, DEFAULT_DETECTOR).anomalous, false, 'a modest rise');
  assert.equal(tailExceedance({ ...base, baselineP99s: [0.02], buckets: bucketsOf([2, 2, 2]) }, DEFAULT_DETECTOR).judged, false, 'too little baseline');
});

test('tail exceedance: a surge that slows calls in proportion to the traffic does not fire; a provider slowing to 2 s under it does', () => {
  // the shop's entry traffic grew 4x; the provider's own calls 1.2x (batched payment jobs)
  const traffic = { baselineRate: noisy(60, 0.4, 0.05), currentRate: [0.48, 0.48, 0.48], entryBaselineRate: noisy(60, 5, 0.5), entryCurrentRate: [20, 20, 20] };
  const surge = { ...quietProvider(), buckets: bucketsOf([0.6, 0.7, 0.65, 0.8, 0.02]) };
  assert.equal(tailExceedance(surge, DEFAULT_DETECTOR).anomalous, true, 'without the traffic, 0.6-0.8 s calls are far over the baseline');
  const judged = tailExceedance({ ...surge, ...traffic }, DEFAULT_DETECTOR);
  assert.equal(judged.anomalous, false, `bound ${judged.bound} s at traffic ${judged.trafficGrowth}x`);
  assert.ok(judged.trafficGrowth > 3.5);
  assert.equal(tailExceedance({ ...surge, ...traffic, buckets: bucketsOf([2.02, 2.03, 2.05, 0.02]) }, DEFAULT_DETECTOR).anomalous, true);
});

test('error ratio: binomial noise of a few requests does not fire, a real error burst does', () => {
  const baseline = Array.from({ length: 120 }, () => 0);
  const rate = Array.from({ length: 120 }, () => 2);
  // one failure out of ten requests in the window: 10%, but only ten requests
  const fewRequests = changeScore({ kind: 'errors', baseline, current: [0.1, 0.1, 0.1], baselineRate: rate, currentRate: [2, 2, 2], readingSeconds: 5 }, DEFAULT_DETECTOR);
  assert.equal(fewRequests.anomalous, false, `score ${fewRequests.score}`);
  const burst = changeScore({ kind: 'errors', baseline, current: [0.5, 0.55, 0.5], baselineRate: rate, currentRate: [20, 20, 20], readingSeconds: 5 }, DEFAULT_DETECTOR);
  assert.equal(burst.anomalous, true);
});

test('too little baseline is not judged', () => {
  assert.equal(changeScore({ kind: 'latency', baseline: [0.01, 0.01], current: [5, 5, 5] }, DEFAULT_DETECTOR).judged, false);
});

test('burn rate is the bad share over the error budget', () => {
  assert.ok(Math.abs(burnRate({ total: 1000, bad: 1 }, 0.999) - 1) < 1e-9);
  assert.ok(Math.abs(burnRate({ total: 1000, bad: 144 }, 0.99) - 14.4) < 1e-9);
  assert.equal(burnRate({ total: 0, bad: 0 }, 0.99), 0);
});

test('multiwindow rule: both the long and the short window must burn fast', () => {
  const slo = DEFAULT_SLOS.find((s) => s.journey === 'checkout')!;
  // scale 1/60: windows of 60 s / 5 s and 360 s / 30 s
  const series = (badFrom: number, badTo: number) => (objective: 'availability' | 'latency', seconds: number) => {
    // 10 requests a second over the last `seconds`; failures between badFrom and badTo seconds ago
    let bad = 0;
    for (let s = 0; s < seconds; s++) if (objective === 'availability' && s >= badFrom && s < badTo) bad += 10;
    return { total: 10 * seconds, bad };
  };
  // failing right now for 20 s: 33% in the last minute, 100% in the last 5 s -> fast burn fires
  const now = evaluateBurn(slo, DEFAULT_BURN_WINDOWS, 1 / 60, series(0, 20));
  assert.ok(now.some((e) => e.firing && e.objective === 'availability' && e.window.burnRate === 14.4));
  // failed for 20 s but recovered 35 s ago: the long windows still burn, the short ones do not -> no page
  const recovered = evaluateBurn(slo, DEFAULT_BURN_WINDOWS, 1 / 60, series(35, 55));
  assert.ok(!recovered.some((e) => e.firing));
  const short = recovered.find((e) => e.window.burnRate === 14.4 && e.objective === 'availability')!;
  assert.ok(short.longBurn >= 14.4 && short.shortBurn === 0);
  assert.equal(now[0]!.longSeconds, 60);
  assert.equal(now[0]!.shortSeconds, 5);
});

test('histogram quantiles interpolate inside the bucket, like histogram_quantile()', () => {
  const buckets: [number, number][] = [[0.01, 50], [0.1, 90], [1, 100], [Infinity, 100]];
  assert.ok(Math.abs(bucketQuantile(buckets, 0.5) - 0.01) < 1e-12);
  assert.ok(Math.abs(bucketQuantile(buckets, 0.7) - 0.055) < 1e-12);
  assert.ok(Math.abs(bucketQuantile(buckets, 0.99) - 0.91) < 1e-12);
  assert.ok(Number.isNaN(bucketQuantile([[1, 0], [Infinity, 0]], 0.5)));
  assert.equal(bucketQuantile([[1, 0], [Infinity, 5]], 0.5), 1);
});

test('the Prometheus text reader reads labels, escapes and +Inf', () => {
  const samples = parsePrometheusText([
    '# HELP x y', '# TYPE x histogram',
    'x_bucket{le="0.1",route="/a \\"b\\""} 3', 'x_bucket{le="+Inf",route="/a"} 4', 'up 1', 'x_sum{service="s"} 0.5 1700000000',
  ].join('\n'));
  assert.equal(samples.length, 4);
  assert.deepEqual(samples[0], { name: 'x_bucket', labels: { le: '0.1', route: '/a "b"' }, value: 3 });
  assert.equal(samples[1]!.labels.le, '+Inf');
  assert.deepEqual(samples[2], { name: 'up', labels: {}, value: 1 });
  assert.equal(samples[3]!.value, 0.5);
});

test('the window is bounded: old readings roll off, series count is capped', () => {
  const w = new SeriesWindow(5, 2);
  for (let t = 1; t <= 8; t++) w.push(t, new Map([['a', t], ['b', t * 10], ['c', 1]]));
  assert.equal(w.length, 5);
  assert.deepEqual(w.slice('a').timestamps, [4, 5, 6, 7, 8]);
  assert.deepEqual(w.last('b', 2), [70, 80]);
  assert.deepEqual(w.names(), ['a', 'b']);
  assert.ok(w.dropped > 0);
  assert.equal(w.sumSince('a', 7), 15);
});

test('onset: the first reading of the elevated run that ends now', () => {
  const ts = [1, 2, 3, 4, 5, 6, 7];
  const vs = [0.01, 0.01, 0.01, 1.5, 2, 2, 2];
  assert.equal(onsetOf(ts, vs, 0.01, 2, 0), 4);
});
