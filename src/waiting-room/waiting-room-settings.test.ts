// The waiting room's settings: Cloudflare's names and rules, a PUT body merged into the current settings,
// every problem listed at its place, and which event is in force when.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyWaitingRoomPatch, checkWaitingRoomSettings, defaultWaitingRoomSettings, effectiveSettings, type WaitingRoomSettings,
} from './waiting-room-settings.ts';

const problemsOf = (r: ReturnType<typeof checkWaitingRoomSettings>) => (r.ok ? [] : r.problems.map((p) => `${p.at}: ${p.message}`));
const settingsOf = (r: ReturnType<typeof checkWaitingRoomSettings>): WaitingRoomSettings => {
  assert.ok(r.ok, JSON.stringify(problemsOf(r)));
  return r.settings;
};

const sale = {
  name: 'black-friday',
  prequeueStartTime: '2026-11-27T08:30:00Z',
  eventStartTime: '2026-11-27T09:00:00Z',
  eventEndTime: '2026-11-27T13:00:00Z',
  shuffleAtEventStart: true,
  totalActiveUsers: 400,
  newUsersPerMinute: 200,
  queueingMethod: 'fifo',
};

test('defaults: the room is off, FIFO, 200 for the waiting page, refreshing every 20 s', () => {
  const d = defaultWaitingRoomSettings();
  assert.equal(d.mode, 'off');
  assert.equal(d.queueingMethod, 'fifo');
  assert.equal(d.queueingStatusCode, 200);
  assert.equal(d.refreshIntervalSeconds, 20);
  assert.equal(d.sessionDurationSeconds, 300);
  assert.equal(d.auto.latencyObjectiveMs, 500);
  assert.deepEqual(d.events, []);
});

test('a partial PUT changes what it names and keeps the rest', () => {
  const current = defaultWaitingRoomSettings();
  const next = settingsOf(applyWaitingRoomPatch(current, { mode: 'on', totalActiveUsers: 3, newUsersPerMinute: 3, auto: { latencyObjectiveMs: 400 } }));
  assert.equal(next.mode, 'on');
  assert.equal(next.totalActiveUsers, 3);
  assert.equal(next.auto.latencyObjectiveMs, 400);
  assert.equal(next.auto.eventLoopUtilizationMax, current.auto.eventLoopUtilizationMax, 'the nested object is merged, not replaced');
  assert.equal(next.sessionDurationSeconds, current.sessionDurationSeconds);
  assert.equal(current.mode, 'off', 'the current settings are not modified');

  const withEvent = settingsOf(applyWaitingRoomPatch(next, { events: [sale] }));
  assert.equal(withEvent.events[0]!.suspended, false, 'event defaults filled in');
  // null removes an optional key (and the shuffle that needed it must go with it).
  const unscheduled = applyWaitingRoomPatch(withEvent, { events: [{ ...sale, prequeueStartTime: null, shuffleAtEventStart: false }] });
  assert.equal(settingsOf(unscheduled).events[0]!.prequeueStartTime, null);
});

test('every problem is listed at its place, the schema\'s and the rules across fields together', () => {
  const r = applyWaitingRoomPatch(defaultWaitingRoomSettings(), {
    mode: 'sometimes', totalActiveUsers: 0, queueingStatusCode: 201, queueingMethod: 'lifo', extra: true,
    events: [
      { name: 'too short', eventStartTime: '2026-11-27T09:00:00Z', eventEndTime: '2026-11-27T09:00:30Z' },
      { name: 'sale', eventStartTime: '2026-11-28T09:00:00Z', eventEndTime: '2026-11-28T10:00:00Z', prequeueStartTime: '2026-11-28T08:58:00Z', totalActiveUsers: 50 },
      { name: 'shuffle', eventStartTime: '2026-11-29T09:00:00Z', eventEndTime: '2026-11-29T10:00:00Z', shuffleAtEventStart: true, totalActiveUsers: 50, newUsersPerMinute: 60 },
      { name: 'late', eventStartTime: 'tomorrow', eventEndTime: '2026-11-29T11:00:00Z' },
    ],
  });
  assert.deepEqual(problemsOf(r), [
    ': unknown key "extra"',
    'mode: must be one of "off", "on", "auto", got "sometimes"',
    'totalActiveUsers: must be >= 1, got 0',
    'queueingMethod: must be one of "fifo", "random", "passthrough", "reject", got "lifo"',
    'queueingStatusCode: must be one of 200, 202, 429, got 201',
    'events[0].name: must match pattern "^[A-Za-z0-9_-]{1,64}$", got "too short"',
    'events[3].eventStartTime: must match format "date-time", got "tomorrow"',
    'events[0].eventStartTime: must be at least 1 minute before eventEndTime (2026-11-27T09:00:30Z), got "2026-11-27T09:00:00Z"',
    'events[1].prequeueStartTime: must be at least 5 minutes before eventStartTime (2026-11-28T09:00:00Z), got "2026-11-28T08:58:00Z"',
    'events[1].newUsersPerMinute: must be set too: totalActiveUsers and newUsersPerMinute are overridden together',
    'events[2].shuffleAtEventStart: needs prequeueStartTime: only shoppers who prequeued can be shuffled',
    'events[2].newUsersPerMinute: must be at most the event\'s totalActiveUsers (50), got 60',
  ]);
});

test('limits in order, events neither overlapping nor sharing a name', () => {
  const base = defaultWaitingRoomSettings();
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, { totalActiveUsers: 100, newUsersPerMinute: 200 })),
    ['newUsersPerMinute: must be at most totalActiveUsers (100), got 200']);
  const second = { ...sale, name: 'black-friday', prequeueStartTime: null, shuffleAtEventStart: false, eventStartTime: '2026-11-27T12:59:00Z', eventEndTime: '2026-11-27T15:00:00Z' };
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, { events: [sale, second] })), [
    'events[1].name: must be unique, got "black-friday" (also events[0])',
    'events[1]: overlaps events[0] (an event runs from its prequeue, or its start, to its end); use one event or move one',
  ]);
  // Its prequeue counts: an event whose prequeue starts before the other ends overlaps it.
  const before = { name: 'early', eventStartTime: '2026-11-27T07:00:00Z', eventEndTime: '2026-11-27T08:45:00Z' };
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, { events: [sale, before] })), [
    'events[0]: overlaps events[1] (an event runs from its prequeue, or its start, to its end); use one event or move one',
  ]);
  assert.equal(applyWaitingRoomPatch(base, { events: new Array(6).fill(sale) }).ok, false, 'at most five events');
});

test('a body that is not an object, and keys that would reach a prototype, are refused', () => {
  const base = defaultWaitingRoomSettings();
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, [1])), [': must be a JSON object']);
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, JSON.parse('{"__proto__": {"queueAll": true}}'))), [': unknown key "__proto__"']);
  assert.deepEqual(problemsOf(applyWaitingRoomPatch(base, JSON.parse('{"auto": {"constructor": {"prototype": {"x": 1}}}}'))), ['auto: unknown key "constructor"']);
  assert.equal(({} as Record<string, unknown>).queueAll, undefined);
});

test('which event is in force: none, prequeueing, running with its limits, then the room\'s own again', () => {
  const settings = settingsOf(applyWaitingRoomPatch(defaultWaitingRoomSettings(), { mode: 'on', totalActiveUsers: 1000, newUsersPerMinute: 500, events: [sale] }));
  const at = (iso: string) => effectiveSettings(settings, Date.parse(iso));

  const before = at('2026-11-27T08:00:00Z');
  assert.equal(before.event, null);
  assert.deepEqual(before.nextEvent, { name: 'black-friday', prequeueStartsAt: Date.parse(sale.prequeueStartTime), startsAt: Date.parse(sale.eventStartTime) });
  assert.equal(before.totalActiveUsers, 1000);

  const prequeue = at('2026-11-27T08:30:00Z');
  assert.equal(prequeue.event?.phase, 'prequeueing');
  assert.equal(prequeue.event?.shuffleAtEventStart, true);
  assert.equal(prequeue.totalActiveUsers, 1000, 'the event\'s limits apply from its start');
  assert.equal(prequeue.nextEvent, null);

  const running = at('2026-11-27T09:00:00Z');
  assert.equal(running.event?.phase, 'running');
  assert.equal(running.totalActiveUsers, 400);
  assert.equal(running.newUsersPerMinute, 200);
  assert.equal(running.sessionDurationSeconds, 300, 'not overridden: the room\'s');

  const after = at('2026-11-27T13:00:00Z');
  assert.equal(after.event, null);
  assert.equal(after.totalActiveUsers, 1000);

  const suspended = settingsOf(applyWaitingRoomPatch(settings, { events: [{ ...sale, suspended: true }] }));
  assert.equal(effectiveSettings(suspended, Date.parse('2026-11-27T09:30:00Z')).event, null, 'a suspended event is ignored');
});
