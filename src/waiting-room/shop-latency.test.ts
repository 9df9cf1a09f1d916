// The p99 `mode: auto` steers by: over the requests of its window only, none from a handful, never one
// request alone, and still the newest ones once far more have been recorded than it keeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShopLatency } from './shop-latency.ts';

test('the p99 is that of the requests inside the window; older ones no longer count', () => {
  const latency = new ShopLatency(5000);
  for (let i = 0; i < 100; i++) latency.record(2000, 8000);
  for (let i = 1; i <= 100; i++) latency.record(i, 10_000);
  assert.equal(latency.p99(10_000), 2000);
  // 6 s after the slow ones they are out of the window; the fast ones alone make the p99.
  assert.equal(latency.p99(14_000), 99);
  assert.equal(latency.p99(20_000), null, 'nothing recorded in the last 5 s');
});

test('a handful of requests makes no p99', () => {
  const latency = new ShopLatency(5000);
  for (let i = 0; i < 9; i++) latency.record(900, 1000);
  assert.equal(latency.p99(1000), null);
  latency.record(900, 1000);
  assert.equal(latency.p99(1000), 900);
});

test('one slow request among a quiet shop\'s few is not its p99; two are', () => {
  const latency = new ShopLatency(5000);
  // Five shoppers a second browsing: 60 requests in the window, one of them stalled for 1.2 s.
  for (let i = 0; i < 59; i++) latency.record(20 + (i % 7), 1000 + i * 50);
  latency.record(1200, 4000);
  assert.equal(latency.p99(4000), 26, 'the slowest of the other 59');
  latency.record(1100, 4100);
  assert.equal(latency.p99(4100), 1100, 'two slow requests in the window are a p99');
  // With 1,000 requests the nearest rank is the 990th: eleven slow ones show, ten do not.
  const busy = new ShopLatency(5000);
  for (let i = 0; i < 990; i++) busy.record(30, 1000);
  for (let i = 0; i < 10; i++) busy.record(900, 1000);
  assert.equal(busy.p99(1000), 30);
  const busier = new ShopLatency(5000);
  for (let i = 0; i < 989; i++) busier.record(30, 1000);
  for (let i = 0; i < 11; i++) busier.record(900, 1000);
  assert.equal(busier.p99(1000), 900);
});

test('past the samples it keeps, the newest are the ones measured', () => {
  const latency = new ShopLatency(60_000);
  // 50,000 slow requests, then 25,000 fast ones: only the newest 20,000 are kept, all fast.
  for (let i = 0; i < 50_000; i++) latency.record(3000, 1000);
  for (let i = 0; i < 25_000; i++) latency.record(5, 2000);
  assert.equal(latency.p99(2000), 5);
  // and a slow minute after them shows at once
  for (let i = 0; i < 1000; i++) latency.record(700, 3000);
  assert.equal(latency.p99(3000), 700);
});
