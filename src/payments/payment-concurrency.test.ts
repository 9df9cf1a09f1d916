// The payment workers' concurrency follows the provider's latency (Little's law) within its bounds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paymentConcurrencyFor } from './payment-concurrency.ts';

const BOUNDS = { base: 8, referenceLatencyMs: 1000, max: 32 };

test('the base up to the reference latency, proportionally more beyond it, never past the bulkhead', () => {
  assert.equal(paymentConcurrencyFor(undefined, BOUNDS), 8, 'no call yet: the base');
  assert.equal(paymentConcurrencyFor(50, BOUNDS), 8, 'a fast provider: the base, not fewer');
  assert.equal(paymentConcurrencyFor(1000, BOUNDS), 8);
  assert.equal(paymentConcurrencyFor(2000, BOUNDS), 16, 'twice as slow: twice the calls in flight for the same throughput');
  assert.equal(paymentConcurrencyFor(2100, BOUNDS), 17, 'rounded up');
  assert.equal(paymentConcurrencyFor(10_000, BOUNDS), 32, 'at most the bulkhead');
  assert.equal(paymentConcurrencyFor(2000, { ...BOUNDS, max: 4 }), 4, 'a bulkhead below the base caps the base too');
  assert.equal(paymentConcurrencyFor(Number.NaN, BOUNDS), 8);
});

test('never past what the provider\'s rate limit allows at the latency: calls in flight = calls per second x seconds per call', () => {
  const limited = { ...BOUNDS, rateLimitPerSecond: 10 };
  assert.equal(paymentConcurrencyFor(2000, limited), 16, '10/s at 2 s allows 20 in flight: the latency rule\'s 16 stands');
  assert.equal(paymentConcurrencyFor(4000, limited), 32, '10/s at 4 s allows 40: the bulkhead (32) binds');
  assert.equal(paymentConcurrencyFor(3000, { ...BOUNDS, rateLimitPerSecond: 8 }), 24, '8/s at 3 s: 24, the latency rule\'s 24 stands');
  assert.equal(paymentConcurrencyFor(3000, { ...BOUNDS, rateLimitPerSecond: 5 }), 15, '5/s at 3 s: 15, below the latency rule\'s 24');
  assert.equal(paymentConcurrencyFor(500, { ...BOUNDS, rateLimitPerSecond: 4 }), 2, '4/s at 0.5 s: 2 in flight, below the base');
  assert.equal(paymentConcurrencyFor(undefined, { ...BOUNDS, rateLimitPerSecond: 4 }), 4, 'no call yet: the limit at the reference latency');
  assert.equal(paymentConcurrencyFor(100, { ...BOUNDS, rateLimitPerSecond: 1 }), 1, 'at least one');
  assert.equal(paymentConcurrencyFor(2000, { ...BOUNDS, rateLimitPerSecond: 0 }), 16, '0: no limit');
});
