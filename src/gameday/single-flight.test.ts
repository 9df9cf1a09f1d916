// The game day's own periodic work must not pile up on a slow shop: a tick still running is not overlapped
// by the next, and the backlog reading (a listing of the run's pending orders) is one request shared by
// every check that asks for it within a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { everyWithoutOverlap, sharedReading } from './single-flight.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a tick slower than the interval is not overlapped: the ticks that fall due meanwhile are skipped', async () => {
  let running = 0;
  let most = 0;
  let started = 0;
  const stop = everyWithoutOverlap(20, async () => {
    started++;
    running++;
    most = Math.max(most, running);
    await sleep(110);
    running--;
  });
  await sleep(400);
  stop();
  assert.equal(most, 1, 'never two ticks at once');
  assert.ok(started >= 1 && started <= 4, `at most one tick per 110 ms (${started} in 400 ms)`);
});

test('a tick that fails does not stop the next', async () => {
  let calls = 0;
  const stop = everyWithoutOverlap(10, async () => { calls++; throw new Error('the shop did not answer'); });
  await sleep(100);
  stop();
  assert.ok(calls >= 2, `${calls} ticks`);
});

test('readers asking at once, or within its age, share one read; a failed read is not kept', async () => {
  let reads = 0;
  let fail = false;
  const read = sharedReading(async () => { reads++; await sleep(30); if (fail) throw new Error('HTTP 503'); return reads; }, 200);
  assert.deepEqual(await Promise.all([read(), read(), read()]), [1, 1, 1]);
  assert.equal(await read(), 1, 'reused within its age');
  await sleep(220);
  fail = true;
  await assert.rejects(read(), /503/);
  fail = false;
  assert.equal(await read(), 3, 'read again after a failure');
});
