import { test } from 'node:test';
import assert from 'node:assert/strict';
import { interpolatedQuantile, quantileUpperBound } from './histogram-quantile.ts';

// 10 observations: 4 at or under 10 ms, 9 at or under 100 ms, all under 1 s.
const buckets = [[0.01, 4], [0.1, 9], [1, 10], [Infinity, 10]] as const;

test('interpolatedQuantile estimates inside the bucket, as histogram_quantile() does', () => {
  assert.ok(Math.abs(interpolatedQuantile(buckets, 0.5) - 0.028) < 1e-12);
  assert.ok(Math.abs(interpolatedQuantile(buckets, 0.95) - 0.55) < 1e-12);
  assert.ok(Number.isNaN(interpolatedQuantile([[1, 0], [Infinity, 0]], 0.5)), 'no observations');
  assert.equal(interpolatedQuantile([[1, 0], [Infinity, 5]], 0.5), 1, 'the rank in +Inf: the largest finite bound');
});

test('quantileUpperBound answers the bound of the bucket holding the quantile', () => {
  assert.equal(quantileUpperBound(buckets, 10, 0.5), 0.1);
  assert.equal(quantileUpperBound(buckets, 10, 0.4), 0.01);
  assert.equal(quantileUpperBound(buckets, 10, 0.99), 1);
  assert.equal(quantileUpperBound([[1, 0], [Infinity, 5]], 5, 0.5), Infinity);
});
