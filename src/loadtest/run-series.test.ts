// The per-second series: merged across workers only once every worker has reported past a second, gaps
// filled, and bounded in memory however long the run (resolution halves past MAX_POINTS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newHistogram, recordUs, toSparse } from './latency-histogram.ts';
import { MAX_POINTS, RunSeries } from './run-series.ts';
import type { SecondSnapshot } from './worker-protocol.ts';

function snapshot(sec: number, responses: number, latencyUs: number): SecondSnapshot {
  const h = newHistogram();
  for (let i = 0; i < responses; i++) recordUs(h, latencyUs);
  return {
    sec, responses, errors: { status: 0, timeout: 0, connection: 0 }, scheduled: responses, started: responses, dropped: 0,
    maxInFlight: 2, maxActive: 2, ...(responses ? { hist: toSparse(h) } : {}),
  };
}

test('a second is final only when every worker has reported past it; histograms merge exactly', () => {
  const series = new RunSeries(2, () => 10);
  series.add(0, 1, [snapshot(0, 10, 1000)]);
  assert.equal(series.points.length, 0, 'worker 1 has not reported second 0 yet');
  series.add(1, 1, [snapshot(0, 10, 9000)]);
  assert.equal(series.points.length, 1);
  const p = series.points[0]!;
  assert.equal(p.responses, 20);
  assert.equal(p.p50, 1);
  assert.ok(Math.abs(p.p99! - 9) < 0.01, `p99 ${p.p99} from both workers' samples`);
  assert.equal(p.inFlight, 4);
});

test('seconds in which nothing happened still get a point (a stall is a gap in responses, not in time)', () => {
  const series = new RunSeries(1, () => 5);
  series.add(0, 4, [snapshot(0, 5, 1000), snapshot(3, 5, 1000)]);
  assert.deepEqual(series.points.map((p) => [p.t, p.responses]), [[0, 5], [1, 0], [2, 0], [3, 5]]);
  assert.equal(series.points[1]!.p99, null);
});

test('a very long run keeps a bounded number of points and every response', () => {
  const series = new RunSeries(1, () => 1);
  const seconds = MAX_POINTS * 2 + 17;
  for (let s = 0; s < seconds; s++) series.add(0, s + 1, [snapshot(s, 3, s === 5000 ? 2_000_000 : 1000)]);
  series.finish(seconds);
  assert.ok(series.points.length <= MAX_POINTS, `${series.points.length} points`);
  assert.equal(series.points.reduce((n, p) => n + p.responses, 0), seconds * 3);
  assert.equal(series.points.reduce((n, p) => n + p.width, 0), seconds, 'the points cover the whole run');
  assert.ok(series.points.some((p) => (p.max ?? 0) >= 1999), 'a single slow second survives the merging');
  assert.equal(series.total.totalCount, seconds * 3);
});
