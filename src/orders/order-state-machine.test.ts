// The guard of paying a declined order again: the deadline with time to spare, the retries per order,
// and the order's state, in that order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { payAgainRefusal, type PayAgainFacts } from './order-state-machine.ts';

const limits = { maxRetries: 5, minSecondsLeft: 30 };
const held = (secondsLeft: number | null, retries = 0): PayAgainFacts => ({ itemsHeld: true, secondsLeft, retries });

test('payAgainRefusal: a declined order can be paid again while its items are held, with time to spare, fewer than maxRetries times', () => {
  assert.equal(payAgainRefusal('payment_failed', held(600), limits), undefined);
  assert.equal(payAgainRefusal('payment_failed', held(30, 4), limits), undefined, 'exactly the minimum left, one retry left');
  assert.equal(payAgainRefusal('payment_failed', held(29.9), limits), 'deadline_passed', 'too close to the deadline for a worker to take the job first');
  assert.equal(payAgainRefusal('payment_failed', held(-1), limits), 'deadline_passed');
  assert.equal(payAgainRefusal('payment_failed', held(null), limits), 'deadline_passed', 'no reservations');
  assert.equal(payAgainRefusal('payment_failed', { itemsHeld: false, secondsLeft: 600, retries: 0 }, limits), 'deadline_passed', 'items released');
  assert.equal(payAgainRefusal('payment_failed', held(600, 5), limits), 'attempts_exhausted');
  assert.equal(payAgainRefusal('payment_failed', held(10, 5), limits), 'deadline_passed', 'the deadline is the more final answer');
  assert.equal(payAgainRefusal('payment_failed', held(600), { maxRetries: 0, minSecondsLeft: 30 }), 'attempts_exhausted', 'paying again turned off');
  assert.equal(payAgainRefusal('canceled', held(-5), limits), 'deadline_passed', 'canceled by its deadline');
  assert.equal(payAgainRefusal('canceled', held(600), limits), 'not_declined', 'canceled before its deadline');
  for (const status of ['pending_payment', 'paid', 'refunded'] as const) assert.equal(payAgainRefusal(status, held(600), limits), 'not_declined');
});
