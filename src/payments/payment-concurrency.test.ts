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
