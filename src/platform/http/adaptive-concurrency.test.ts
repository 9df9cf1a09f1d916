// The adaptive concurrency limit, driven with time passed in: it comes down when requests slow under load
// and goes back up when they speed up, stays inside its bounds, sheds classes in order, and holds still
// when traffic is light.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveConcurrencyLimiter, type AdmissionToken, type RequestClass } from './adaptive-concurrency.ts';

interface Load {
  /** Requests put in flight at the start of the window (as many as the limit admits). */
  concurrency: number;
  rttMs: number | ((i: number) => number);
  requestClass?: RequestClass;
  key?: (i: number) => string;
}

/** One window: `concurrency` requests start at `now` and all finish windowMs later. Returns the new time. */
function runWindow(limiter: AdaptiveConcurrencyLimiter, now: number, load: Load): number {
  const tokens: AdmissionToken[] = [];
  for (let i = 0; i < load.concurrency; i++) {
    const r = limiter.tryAcquire(load.requestClass ?? 'sheddable_plus', now, load.key?.(i));
    if (r.admitted) tokens.push(r);
  }
  const end = now + limiter.options.windowMs;
  tokens.forEach((t, i) => t.release(end, typeof load.rttMs === 'number' ? load.rttMs : load.rttMs(i)));
  return end;
}

function run(limiter: AdaptiveConcurrencyLimiter, now: number, windows: number, load: (limit: number) => Load): { now: number; limits: number[] } {
  const limits: number[] = [];
  for (let w = 0; w < windows; w++) {
    now = runWindow(limiter, now, load(limiter.snapshot().limit));
    limits.push(limiter.snapshot().estimatedLimit);
  }
  return { now, limits };
}

// Saturating load: more requests than the limit admits, so the limit is what binds.
const saturating = (rttMs: number) => (limit: number): Load => ({ concurrency: limit * 2, rttMs });

test('the limit comes down when requests slow under load, and goes back up when they speed up', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 100, minLimit: 10, maxLimit: 400 });
  // Warm the baseline at 10 ms with the process fully used but not queueing (the limit is not reached).
  let { now } = run(limiter, 0, 20, (limit) => ({ concurrency: limit, rttMs: 10 }));
  const warm = limiter.snapshot().estimatedLimit;
  assert.ok(warm > 100, `no queue at full use: the limit grows with headroom (got ${warm})`);

  // Requests now take 4x as long: a queue has formed. Each window brings the limit down, by at most 10%.
  const down = run(limiter, now, 40, saturating(40));
  now = down.now;
  for (let i = 1; i < down.limits.length; i++) {
    assert.ok(down.limits[i]! <= down.limits[i - 1]!, `window ${i}: ${down.limits[i]} after ${down.limits[i - 1]}`);
    assert.ok(down.limits[i]! >= down.limits[i - 1]! * 0.9 - 1e-9, 'a window takes at most 10% off (gradient 0.5, smoothing 0.2)');
  }
  assert.equal(limiter.snapshot().limit, 10, 'at the minimum after 40 windows of 4x latency');
  assert.equal(limiter.snapshot().lastWindow?.gradient, 0.5);

  // Back to 10 ms: the limit climbs again.
  const up = run(limiter, now, 60, saturating(10));
  for (let i = 1; i < up.limits.length; i++) assert.ok(up.limits[i]! >= up.limits[i - 1]!, `window ${i} climbs`);
  assert.ok(limiter.snapshot().limit >= 60, `recovered to ${limiter.snapshot().limit} after 60 windows`);
});

test('a latency the tolerance allows (under 1.5x the baseline) does not shrink the limit', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 50 });
  const { now } = run(limiter, 0, 15, (limit) => ({ concurrency: limit, rttMs: 10 }));
  const before = limiter.snapshot().estimatedLimit;
  run(limiter, now, 10, (limit) => ({ concurrency: limit, rttMs: 14 }));
  assert.ok(limiter.snapshot().estimatedLimit > before);
  assert.equal(limiter.snapshot().lastWindow?.gradient, 1);
});

test('the limit stays within [minLimit, maxLimit]', () => {
  const fast = new AdaptiveConcurrencyLimiter({ initialLimit: 20, minLimit: 5, maxLimit: 60 });
  const a = run(fast, 0, 300, (limit) => ({ concurrency: limit, rttMs: 5 }));
  assert.equal(Math.max(...a.limits), 60);
  assert.equal(fast.snapshot().limit, 60);

  const slow = new AdaptiveConcurrencyLimiter({ initialLimit: 20, minLimit: 5, maxLimit: 60 });
  const b = run(slow, 0, 12, (limit) => ({ concurrency: limit, rttMs: 5 }));
  const c = run(slow, b.now, 300, saturating(500));
  assert.equal(Math.min(...c.limits), 5);
  assert.equal(slow.snapshot().limit, 5);

  assert.equal(new AdaptiveConcurrencyLimiter({ initialLimit: 1000, maxLimit: 60 }).snapshot().limit, 60, 'the initial limit is clamped too');
});

test('light traffic holds the limit still, whatever its latency (app-limited, as Gradient2)', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 40 });
  let now = 0;
  for (let w = 0; w < 200; w++) {
    // Two requests at a time, some of them very slow: far under half the limit in use.
    for (let i = 0; i < 6; i++) now = runWindow(limiter, now, { concurrency: 2, rttMs: w % 3 === 0 ? 300 : 5 });
  }
  const s = limiter.snapshot();
  assert.equal(s.estimatedLimit, 40, 'neither grew nor shrank');
  assert.ok(s.windowsClosed > 100, 'windows did close');
  assert.equal(s.lastWindow?.gradient, null);
});

test('a window without enough samples waits for more, and is thrown away once stale', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 20, windowMs: 100, minWindowSamples: 10, staleWindowFactor: 5 });
  let now = 0;
  for (let i = 0; i < 4; i++) now = runWindow(limiter, now, { concurrency: 1, rttMs: 5 });
  assert.equal(limiter.snapshot().windowsClosed, 0, 'four samples over 400 ms: not yet a window');
  now = runWindow(limiter, now, { concurrency: 1, rttMs: 5 });
  now = runWindow(limiter, now, { concurrency: 9, rttMs: 5 });
  assert.equal(limiter.snapshot().windowsClosed, 0, 'the first five samples went stale at 500 ms and were discarded; nine since');
  runWindow(limiter, now, { concurrency: 1, rttMs: 5 });
  assert.equal(limiter.snapshot().windowsClosed, 1);
});

test('classes are shed in order: sheddable, then sheddable_plus, then critical; critical_plus last', () => {
  // Limit 20 until a window closes: sheddable up to 12 in flight, sheddable_plus 16, critical 18.
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 20 });
  const acquire = (c: RequestClass) => limiter.tryAcquire(c, 0);
  for (let i = 0; i < 12; i++) assert.ok(acquire('sheddable').admitted);
  const shed = acquire('sheddable');
  assert.ok(!shed.admitted && shed.reason === 'shed' && shed.retryAfterSeconds === 10, JSON.stringify(shed));
  for (let i = 0; i < 4; i++) assert.ok(acquire('sheddable_plus').admitted);
  assert.equal(acquire('sheddable_plus').admitted, false, 'sheddable_plus refused at 16');
  assert.equal(acquire('sheddable').admitted, false);
  for (let i = 0; i < 2; i++) assert.ok(acquire('critical').admitted);
  assert.equal(acquire('critical').admitted, false, 'critical refused at 18');
  // 18 in flight, none of it critical_plus: checkouts still get all 20 slots of the limit.
  for (let i = 0; i < 20; i++) assert.ok(acquire('critical_plus').admitted, `checkout ${i + 1} admitted while lower work is in flight`);
  const last = acquire('critical_plus');
  assert.ok(!last.admitted && last.reason === 'limit' && last.retryAfterSeconds === 1, 'refused only when checkouts alone fill the limit');
  const s = limiter.snapshot();
  assert.deepEqual(s.inflightByClass, { critical_plus: 20, critical: 2, sheddable_plus: 4, sheddable: 12 });
  assert.deepEqual(s.shedTotal, { critical_plus: 1, critical: 1, sheddable_plus: 1, sheddable: 2 });
  assert.deepEqual(s.capacityByClass, { critical_plus: 20, critical: 18, sheddable_plus: 16, sheddable: 12 });
});

test('under saturation searches are shed while every checkout is admitted', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 20 });
  const inFlight: AdmissionToken[] = [];
  let checkoutsAdmitted = 0;
  let mostInFlight = 0;
  // Each tick three searches and a checkout arrive, and the two oldest requests finish: more work than fits.
  for (let tick = 0; tick < 200; tick++) {
    for (const c of ['sheddable', 'sheddable', 'sheddable', 'critical_plus'] as const) {
      const r = limiter.tryAcquire(c, tick);
      if (r.admitted) { inFlight.push(r); if (c === 'critical_plus') checkoutsAdmitted++; }
    }
    mostInFlight = Math.max(mostInFlight, limiter.snapshot().inflight);
    for (let i = 0; i < 2; i++) inFlight.shift()?.release(tick, 1, 'ignore');
  }
  assert.equal(checkoutsAdmitted, 200, 'every checkout admitted');
  assert.ok(limiter.snapshot().shedTotal.sheddable > 150, `searches shed (${limiter.snapshot().shedTotal.sheddable})`);
  assert.ok(mostInFlight <= 13, `searches held at their ceiling of 12, plus a checkout (${mostInFlight})`);
});

test('dropped requests back off as far as a window may; a second release does nothing', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 100 });
  const tokens: AdmissionToken[] = [];
  for (let i = 0; i < 60; i++) { const r = limiter.tryAcquire('sheddable_plus', 0); assert.ok(r.admitted); tokens.push(r); }
  tokens[0]!.release(600, 2000, 'dropped');
  tokens[0]!.release(600, 2000, 'dropped');
  assert.equal(limiter.snapshot().inflight, 59, 'released once');
  assert.equal(limiter.snapshot().lastWindow?.gradient, 0.5);
  assert.equal(limiter.snapshot().estimatedLimit, 90);
});

test('a slower mix of requests is not a queue: each route is compared with its own baseline', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 60 });
  // Product pages take 2 ms, checkouts 40 ms; first 5% checkouts, then 40%, each at its usual speed.
  const mixed = (share: number) => (limit: number): Load => ({
    concurrency: limit,
    key: (i) => (i % 100 < share * 100 ? 'POST /api/checkout' : 'GET /products/:slug'),
    rttMs: (i) => (i % 100 < share * 100 ? 40 : 2),
  });
  const { now } = run(limiter, 0, 30, mixed(0.05));
  const before = limiter.snapshot().estimatedLimit;
  run(limiter, now, 30, mixed(0.4));
  assert.ok(limiter.snapshot().estimatedLimit > before, `kept growing (${before} -> ${limiter.snapshot().estimatedLimit})`);
  assert.ok(Math.abs(limiter.snapshot().lastWindow!.rttRatio! - 1) < 0.01);
  // Averaged together, as plain Gradient2 does, the same shift reads as 5x slower requests.
});

test('a long overload does not teach the baseline its own queue', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 20, minLimit: 5 });
  // A process that serves 30 requests at once in 10 ms; past 30, requests queue and take proportionally longer.
  const queueing = (limit: number): Load => ({ concurrency: limit * 2, rttMs: 10 * Math.max(1, limit / 30) });
  const { now } = run(limiter, 0, 20, (limit) => ({ concurrency: Math.min(limit, 30), rttMs: 10 }));
  // An hour of twice the work that fits (7200 windows of 500 ms), shedding all along.
  const { limits } = run(limiter, now, 7200, queueing);
  const lastHalf = limits.slice(3600);
  assert.ok(limiter.snapshot().lastWindow!.rejected > 0, 'still shedding');
  assert.ok(Math.max(...lastHalf) < 60, `the limit stayed near what the process serves within 1.5x (at most ${Math.max(...lastHalf)})`);
  assert.ok(Math.min(...lastHalf) > 30, `and did not collapse (at least ${Math.min(...lastHalf)})`);
  // With a baseline learning all along (Gradient2), 1.5x becomes the new normal every few minutes and the
  // limit climbs to its maximum.
});

test('at the minimum limit a slower normal is learnt, so the limit is not stuck there', () => {
  const limiter = new AdaptiveConcurrencyLimiter({ initialLimit: 20, minLimit: 10, baselineWindows: 60 });
  let { now } = run(limiter, 0, 15, (limit) => ({ concurrency: limit, rttMs: 10 }));
  // The database got slower for good: every request takes 30 ms whatever the concurrency.
  const { limits } = run(limiter, now, 400, saturating(30));
  assert.equal(Math.min(...limits), 10, 'down to the minimum first');
  assert.ok(limiter.snapshot().limit > 20, `climbed back once 30 ms was learnt as normal (limit ${limiter.snapshot().limit})`);
});

test('bad options are refused with every problem listed', () => {
  assert.throws(() => new AdaptiveConcurrencyLimiter({ minLimit: 50, maxLimit: 10, smoothing: 0, classCeilings: { critical: 0.5, sheddable_plus: 0.9, sheddable: 0.2 } }),
    /minLimit \(50\) must be <= maxLimit \(10\); smoothing must be in \(0, 1\], got 0; classCeilings.sheddable_plus must be in \[0, 0.5\]/);
});
