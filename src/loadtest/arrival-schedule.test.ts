import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArrivalCursor, expectedBefore, rateAt, ratePlan, vusAt } from './arrival-schedule.ts';
import { builtinScenario } from './builtin-scenarios.ts';
import { applyOverrides } from './load-plan.ts';

function all(cursor: ArrivalCursor): number[] {
  const out: number[] = [];
  for (let t = cursor.next(); t !== undefined; t = cursor.next()) out.push(t);
  return out;
}

function perSecond(times: number[], seconds: number): number[] {
  const counts = new Array<number>(seconds).fill(0);
  for (const t of times) counts[Math.floor(t)]!++;
  return counts;
}

test('a constant rate gives evenly spaced arrivals and exactly rate × duration of them', () => {
  const times = all(new ArrivalCursor(ratePlan({ executor: 'constant-arrival-rate', rate: 50, duration: 10 }), 0, 1));
  assert.equal(times.length, 500);
  assert.equal(times[0], 0);
  for (let i = 1; i < times.length; i++) assert.ok(Math.abs(times[i]! - times[i - 1]! - 0.02) < 1e-9);
  assert.deepEqual(perSecond(times, 10), new Array(10).fill(50));
});

test('a ramp follows the rate line second by second (the integral, not a staircase)', () => {
  const plan = ratePlan({ executor: 'ramping-arrival-rate', startRate: 0, stages: [{ duration: 10, target: 100 }] });
  assert.equal(plan.expectedIterations, 500);
  const counts = perSecond(all(new ArrivalCursor(plan, 0, 1)), 10);
  // Second i has rate 10i..10(i+1), so 10i+5 iterations (±1 for where the boundaries fall).
  counts.forEach((n, i) => assert.ok(Math.abs(n - (10 * i + 5)) <= 1, `second ${i}: ${n}`));
  assert.ok(Math.abs(expectedBefore(plan, 5) - 125) < 1e-9);
});

test('a ramp down and a hold are scheduled exactly too', () => {
  const plan = ratePlan({ executor: 'ramping-arrival-rate', startRate: 40, stages: [{ duration: 5, target: 40 }, { duration: 5, target: 0 }] });
  const counts = perSecond(all(new ArrivalCursor(plan, 0, 1)), 10);
  assert.deepEqual(counts.slice(0, 5), [40, 40, 40, 40, 40]);
  counts.slice(5).forEach((n, i) => assert.ok(Math.abs(n - (36 - 8 * i)) <= 1, `second ${5 + i}: ${n}`));
});

test('workers sharing the schedule (every N-th arrival) produce the single schedule exactly', () => {
  const load = applyOverrides(builtinScenario('holiday-surge').load, { duration: 30 });
  const plan = ratePlan(load);
  const single = all(new ArrivalCursor(plan, 0, 1));
  const merged = [0, 1, 2].flatMap((i) => all(new ArrivalCursor(plan, i, 3))).sort((a, b) => a - b);
  assert.equal(merged.length, single.length);
  merged.forEach((t, i) => assert.ok(Math.abs(t - single[i]!) < 1e-9));
});

test('holiday-surge scaled to 60 s: baseline, a ramp to 5x, hold, decay', () => {
  const load = applyOverrides(builtinScenario('holiday-surge').load, { duration: 60 });
  const plan = ratePlan(load);
  assert.equal(plan.duration, 60);
  assert.equal(rateAt(plan, 5), 5);
  assert.equal(rateAt(plan, 30), 25);
  assert.equal(rateAt(plan, 55), 5);
  assert.ok(rateAt(plan, 15) > 5 && rateAt(plan, 15) < 25);
});

test('ramping VUs interpolate between stages', () => {
  const load = { executor: 'ramping-vus' as const, startVUs: 0, stages: [{ duration: 10, target: 10 }, { duration: 10, target: 10 }] };
  assert.equal(vusAt(load, 0), 0);
  assert.equal(vusAt(load, 5), 5);
  assert.equal(vusAt(load, 15), 10);
  assert.equal(vusAt(load, 25), 0);
});
