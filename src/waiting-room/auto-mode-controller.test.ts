// The auto-mode controller against a model shop: p99 grows with the shoppers inside (500 ms at 600 of
// them), shoppers stay a minute, and 20 a second arrive during a surge. Time passes in whole seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoModeController, type AutoModeDecision } from './auto-mode-controller.ts';
import { defaultWaitingRoomSettings } from './waiting-room-settings.ts';

const auto = { ...defaultWaitingRoomSettings().auto, latencyObjectiveMs: 500, minNewUsersPerMinute: 30, disengageAfterSeconds: 60 };
const limits = { auto, maxNewUsersPerMinute: 3000 };
const p99Of = (inside: number) => 50 + 450 * (inside / 600) ** 2;

interface Second { t: number; inside: number; queued: number; p99: number; decision: AutoModeDecision }

/** Runs the model shop for `seconds` with `arrivalsPerSecond(t)`. */
function simulate(controller: AutoModeController, seconds: number, arrivalsPerSecond: (t: number) => number, start = { inside: 0, queued: 0 }): Second[] {
  let { inside, queued } = start;
  let credit = 0;
  const recent: number[] = [];
  const out: Second[] = [];
  for (let t = 0; t < seconds; t++) {
    queued += arrivalsPerSecond(t);
    const last = controller.lastDecision;
    let admitted: number;
    if (!last?.engaged) admitted = queued;
    else { credit += last.newUsersPerMinute / 60; admitted = Math.min(queued, Math.floor(credit)); credit -= admitted; }
    queued -= admitted;
    inside += admitted - inside / 60;
    recent.push(admitted);
    if (recent.length > 60) recent.shift();
    const p99 = p99Of(inside);
    const decision = controller.update({ now: t * 1000, p99Ms: p99, eventLoopUtilization: 0.3, queuedUsers: queued, admittedLastMinute: recent.reduce((a, b) => a + b, 0) }, limits);
    out.push({ t, inside, queued, p99, decision });
  }
  return out;
}

test('a surge: the room engages as p99 heads past the objective, and admitted shoppers get back inside it', () => {
  const controller = new AutoModeController();
  const run = simulate(controller, 900, () => 20);
  const engagedAt = run.find((s) => s.decision.transition === 'engaged')!;
  const headingPast = run.find((s) => s.p99 >= 0.8 * 500)!;
  assert.equal(engagedAt.t, headingPast.t, 'engaged in the same second p99 reached 80% of the objective');
  assert.ok(engagedAt.p99 < 500, 'before the objective was broken');
  const worst = Math.max(...run.map((s) => s.p99));
  assert.ok(worst < 600, `the worst p99 stayed near the objective (${worst.toFixed(0)} ms)`);
  const settled = run.slice(300);
  assert.ok(settled.every((s) => s.p99 <= 500), `inside the objective once settled (worst ${Math.max(...settled.map((s) => s.p99)).toFixed(0)} ms)`);
  const rate = run.at(-1)!.decision.newUsersPerMinute;
  assert.ok(rate >= 400 && rate <= 620, `admitting about what the shop serves well (${rate} a minute for 600 inside at 500 ms)`);
  assert.ok(run.at(-1)!.queued > 0, 'the rest wait');
});

test('after the surge the queue drains and the room disengages, only after a calm minute', () => {
  const controller = new AutoModeController();
  const run = simulate(controller, 2400, (t) => (t < 600 ? 20 : 2));
  const drained = run.find((s) => s.t >= 600 && s.queued === 0)!;
  const off = run.find((s) => s.decision.transition === 'disengaged')!;
  assert.ok(off, 'disengaged');
  assert.ok(off.t - drained.t >= 60, `not before a minute of empty queue and calm (drained at ${drained.t}, off at ${off.t})`);
  assert.equal(run.filter((s) => s.decision.transition === 'engaged').length, 1, 'no flapping');
  assert.equal(run.at(-1)!.decision.engaged, false);
});

test('a short calm does not disengage the room (hysteresis)', () => {
  const controller = new AutoModeController();
  // Surge, 30 s of light traffic, surge again.
  const run = simulate(controller, 900, (t) => (t >= 400 && t < 430 ? 0 : 20));
  assert.equal(run.filter((s) => s.decision.transition !== null).length, 1, 'engaged once, never disengaged');
});

test('the rate stays within [minNewUsersPerMinute, newUsersPerMinute]', () => {
  const controller = new AutoModeController();
  const m = (now: number, p99Ms: number, queuedUsers = 100) => ({ now, p99Ms, eventLoopUtilization: 0.2, queuedUsers, admittedLastMinute: 5000 });
  assert.equal(controller.update(m(0, 450), limits).newUsersPerMinute, 3000, 'started from the arrivals, capped at the room\'s rate');
  let d: AutoModeDecision | undefined;
  for (let t = 1; t < 2000; t++) d = controller.update(m(t * 1000, 5000), limits);
  assert.equal(d!.newUsersPerMinute, 30, 'never below the floor, however slow');
  for (let t = 2000; t < 6000; t++) d = controller.update(m(t * 1000, 100), limits);
  assert.equal(d!.newUsersPerMinute, 3000, 'never above the room\'s newUsersPerMinute');
  assert.ok(d!.engaged, 'still engaged: shoppers are waiting');
});

test('inside the dead band the rate holds; cuts are spaced so each can show', () => {
  const controller = new AutoModeController();
  const m = (now: number, p99Ms: number) => ({ now, p99Ms, eventLoopUtilization: 0.2, queuedUsers: 50, admittedLastMinute: 600 });
  controller.update(m(0, 400), limits);
  const rates = Array.from({ length: 60 }, (_, i) => controller.update(m((i + 1) * 1000, 400), limits).newUsersPerMinute);
  assert.ok(rates.every((r) => r === 600), 'pressure 0.8: neither up nor down');
  const cuts = Array.from({ length: 60 }, (_, i) => controller.update(m((i + 61) * 1000, 1000), limits).newUsersPerMinute);
  const distinct = [...new Set(cuts)];
  assert.deepEqual(distinct, [600, 300, 150, 75], 'halved (p99 at twice the objective) once every 20 s');
});

test('event-loop saturation alone engages the room', () => {
  const controller = new AutoModeController();
  const d = controller.update({ now: 0, p99Ms: 80, eventLoopUtilization: 0.95, queuedUsers: 0, admittedLastMinute: 900 }, limits);
  assert.equal(d.transition, 'engaged');
  assert.ok(d.pressure > 1);
  assert.equal(d.newUsersPerMinute, 852, 'cut by utilisation over its bound (0.95 / 0.9)');
  const idle = new AutoModeController().update({ now: 0, p99Ms: null, eventLoopUtilization: 0.1, queuedUsers: 0, admittedLastMinute: 0 }, limits);
  assert.equal(idle.engaged, false);
});
