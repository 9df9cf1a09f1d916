// Who enters and who waits, decided from the settings, the shared state and the shopper's pass. A small
// stand-in for the shared state (what PostgreSQL holds for the replicas) follows each decision the way
// the background synchronisation would, so whole scenarios read as they happen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  comebackMaxSeconds, decideAdmission, frontierAdvance, FrontierPace, isExemptFromWaitingRoom, keyedPermutation, MIN_ADMISSION_BURST, orderedTicket,
  pacedNewUsersPerMinute, queueStatus, roomLimits, roomState, type AdmissionDecision, type AutoAdmission, type SharedRoomState,
} from './admission.ts';
import { waitingRoomJson, wantsWaitingRoomJson } from './waiting-room-routes.ts';
import { waitingRoomCookieCodec, type PassCheck, type WaitingRoomPass } from './waiting-room-cookie.ts';
import { applyWaitingRoomPatch, defaultWaitingRoomSettings, effectiveSettings, type WaitingRoomSettings } from './waiting-room-settings.ts';

const codec = waitingRoomCookieCodec('a-secret-kept-in-the-database-0123456789');
const T0 = Date.parse('2026-11-27T10:00:00Z');

function settingsWith(patch: Record<string, unknown>): WaitingRoomSettings {
  const r = applyWaitingRoomPatch(defaultWaitingRoomSettings(), patch);
  assert.ok(r.ok, JSON.stringify(r));
  return r.settings;
}

/** A shopper: a browser that keeps whatever pass it is sent. */
interface Shopper { cookie: string | undefined }

class Room {
  state: SharedRoomState = { activeUsers: 0, admittedLastMinute: 0, queuedUsers: 0, nextTicketToAdmit: 1, shuffle: null };
  nextTicket = 1;
  visitors = 0;
  draws: number[] = [];
  auto: AutoAdmission | null = null;
  settings: WaitingRoomSettings;
  constructor(settings: WaitingRoomSettings) { this.settings = settings; }

  visit(shopper: Shopper, now: number): AdmissionDecision {
    const pass: PassCheck = codec.verify(shopper.cookie, Math.floor(now / 1000));
    const d = decideAdmission({
      settings: effectiveSettings(this.settings, now), state: this.state, auto: this.auto, pass, now,
      random: () => this.draws.shift() ?? 0.99,
      issueTicket: () => this.nextTicket++,
      newVisitorId: () => `visitor-${String(++this.visitors).padStart(8, '0')}`,
    });
    if ((d.kind === 'admit' || d.kind === 'queue') && d.setCookie && d.pass) shopper.cookie = codec.encode(d.pass);
    if (d.kind === 'admit' && d.admission === 'new') { this.state.activeUsers++; this.state.admittedLastMinute++; }
    if (d.kind === 'admit' && d.admission === 'from_queue' && this.methodIsRandom(now)) {
      this.state.activeUsers++; this.state.admittedLastMinute++; this.state.queuedUsers--;
    }
    if (d.kind === 'queue' && d.newArrival && d.pass) this.state.queuedUsers++;
    return d;
  }

  methodIsRandom(now: number): boolean { return effectiveSettings(this.settings, now).queueingMethod === 'random'; }

  /** The background synchronisation: let the queue in as far as places are open (FIFO). */
  sync(now: number): number {
    const n = frontierAdvance(roomLimits(effectiveSettings(this.settings, now), this.auto), this.state);
    this.state.nextTicketToAdmit += n;
    this.state.queuedUsers -= n;
    this.state.activeUsers += n; // held for them until they come back
    this.state.admittedLastMinute += n;
    return n;
  }
}

const position = (d: AdmissionDecision) => (d.kind === 'queue' ? d.status.position : d.kind);

test('FIFO with room for three: eight arrive, three enter, five wait in order; a lapsed session lets the first in', () => {
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 3, newUsersPerMinute: 3, sessionDurationSeconds: 60 }));
  const shoppers: Shopper[] = Array.from({ length: 8 }, () => ({ cookie: undefined }));
  const first = shoppers.map((s) => room.visit(s, T0));
  assert.deepEqual(first.map((d) => d.kind), ['admit', 'admit', 'admit', 'queue', 'queue', 'queue', 'queue', 'queue']);
  assert.deepEqual(first.slice(3).map(position), [1, 2, 3, 4, 5]);
  assert.equal(roomState(effectiveSettings(room.settings, T0), roomLimits(effectiveSettings(room.settings, T0), null), room.state), 'queueing');

  // An admitted shopper browses: in, without a new cookie while the pass is fresh.
  const browsing = room.visit(shoppers[0]!, T0 + 2000);
  assert.ok(browsing.kind === 'admit' && browsing.admission === null && !browsing.setCookie);

  // The third shopper's session lapses; the shared state counts two active; the frontier moves by one.
  room.state.activeUsers = 2;
  room.state.admittedLastMinute = 0;
  assert.equal(room.sync(T0 + 61_000), 1);
  const next = room.visit(shoppers[3]!, T0 + 61_000);
  assert.ok(next.kind === 'admit' && next.admission === 'from_queue' && next.waitedSeconds === 61, JSON.stringify(next));
  assert.deepEqual(shoppers.slice(4).map((s) => position(room.visit(s, T0 + 62_000))), [1, 2, 3, 4]);

  // The lapsed shopper comes back after their session: a new arrival, at the back.
  assert.equal(position(room.visit(shoppers[2]!, T0 + 121_000)), 5);
});

test('a tampered, forged or expired pass goes to the back of the queue', () => {
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 1, newUsersPerMinute: 1 }));
  room.visit({ cookie: undefined }, T0);
  const queued = Array.from({ length: 3 }, () => ({ cookie: undefined as string | undefined }));
  queued.forEach((s) => room.visit(s, T0));
  const third = queued[2]!;
  // Moving oneself to ticket 1 (of the admitted shopper) breaks the signature.
  third.cookie = third.cookie!.replace(/\.q[0-9a-z]+\./, '.q1.');
  const d = room.visit(third, T0 + 1000);
  assert.ok(d.kind === 'queue' && d.newArrival && d.status.position === 4, JSON.stringify(d));
  const expired: Shopper = { cookie: queued[0]!.cookie };
  assert.equal(position(room.visit(expired, T0 + 400_000)), 5, 'a queued pass not refreshed for five minutes is worth nothing');
});

test('estimated wait, FIFO, every place taken: shoppers ahead ÷ the rate let in over the last minute, plus half a refresh interval', () => {
  const settings = effectiveSettings(settingsWith({ mode: 'on', totalActiveUsers: 100, newUsersPerMinute: 100 }), T0);
  const limits = roomLimits(settings, null);
  const state: SharedRoomState = { activeUsers: 100, admittedLastMinute: 30, queuedUsers: 90, nextTicketToAdmit: 1000, shuffle: null };
  const s = queueStatus(settings, limits, state, 1060, T0);
  assert.deepEqual([s.position, s.waitTimeKnown, s.waitTimeSeconds], [61, true, 130], '60 ahead at 30 a minute, and 10 s to the next refresh');
  const front = queueStatus(settings, limits, state, 1000, T0);
  assert.equal(front.refreshIntervalSeconds, 20, 'at the front of a full room: asked back after the refresh interval (sessions end when they end)');
  const none = queueStatus(settings, limits, { ...state, admittedLastMinute: 0 }, 1060, T0);
  assert.deepEqual([none.waitTimeKnown, none.waitTimeSeconds], [false, 0], 'nobody let in for a minute: not known');
  const capped = queueStatus(settings, limits, { ...state, admittedLastMinute: 400 }, 1060, T0);
  assert.equal(capped.waitTimeSeconds, 46, 'a burst straight in does not count above the configured rate (100/min)');
});

test('estimated wait, FIFO: once the frontier\'s pace is known, shoppers ahead ÷ that pace', () => {
  const settings = effectiveSettings(settingsWith({ mode: 'on', totalActiveUsers: 2000, newUsersPerMinute: 1800 }), T0);
  const limits = roomLimits(settings, null);
  // Ten seconds into queueing at 30 a second: the last minute holds 300 admissions, the pace is 1800 a minute.
  const state: SharedRoomState = { activeUsers: 300, admittedLastMinute: 300, queuedUsers: 600, nextTicketToAdmit: 1000, shuffle: null, frontierPerMinute: 1800 };
  assert.equal(queueStatus(settings, limits, state, 1600, T0).waitTimeSeconds, 21, '600 ahead at 30 a second, and a second for the synchronisation');
  assert.equal(queueStatus(settings, limits, { ...state, frontierPerMinute: null }, 1600, T0).waitTimeSeconds, 21, 'until it is known: the configured rate, while places are open');
  assert.equal(queueStatus(settings, limits, { ...state, activeUsers: 2000, frontierPerMinute: null }, 1600, T0).waitTimeSeconds, 130, 'and with every place taken, the last minute\'s (a sixth of the rate here) and half the refresh interval');
  // Near the front: asked back when the frontier reaches them, not a whole refresh interval later (the
  // shoppers it passed between two of their refreshes would come in together, at the pace they arrived).
  const soon = queueStatus(settings, limits, state, 1150, T0);
  assert.deepEqual([soon.position, soon.refreshIntervalSeconds, soon.waitTimeSeconds], [151, 5, 6], '150 ahead at 30 a second: back in 5 s');
  const next = queueStatus(settings, limits, state, 1000, T0);
  assert.deepEqual([next.position, next.refreshIntervalSeconds, next.waitTimeSeconds], [1, 1, 1], 'at the front: back in a second');
  // Further back in a long queue: asked back at their turn, not every interval (a long queue's refreshes
  // would be most of the shop's work).
  const long = { ...state, queuedUsers: 20_000 };
  const later = queueStatus(settings, limits, long, 2500, T0);
  assert.deepEqual([later.position, later.refreshIntervalSeconds, later.waitTimeSeconds], [1501, 50, 51], '1,500 ahead at 30 a second: back in 50 s, not every 20 s');
  const far = queueStatus(settings, limits, long, 10000, T0);
  assert.deepEqual([far.refreshIntervalSeconds, far.waitTimeSeconds], [120, 301], '9,000 ahead: back in two minutes at most (six intervals)');
  assert.deepEqual([comebackMaxSeconds(2, 20_000), comebackMaxSeconds(5, 20_000), comebackMaxSeconds(20, 20_000), comebackMaxSeconds(300, 20_000)], [12, 30, 120, 300],
    'six intervals, at most two minutes (well inside a queued pass\'s five), never less than the interval');
  // A short queue asks within the interval as before: its refreshes are nothing beside the shop's traffic.
  const small = queueStatus(settings, limits, { ...state, queuedUsers: 5, frontierPerMinute: 6 }, 1004, T0);
  assert.deepEqual([small.position, small.refreshIntervalSeconds, small.waitTimeSeconds], [5, 20, 41], 'five waiting, 4 ahead at 6 a minute: back in 20 s, the interval');
  assert.equal(comebackMaxSeconds(2, 999), 2, 'under a thousand waiting: the interval');
  const still = queueStatus(settings, limits, { ...state, frontierPerMinute: 0 }, 1600, T0);
  assert.deepEqual([still.waitTimeKnown, still.waitTimeSeconds], [false, 0], 'a frontier that stood still: not known');
});

test('the frontier\'s pace: tickets a minute over the last 30 s, known after 5 s, started again when nobody waits', () => {
  const pace = new FrontierPace();
  pace.add(T0, 100, 50);
  pace.add(T0 + 4000, 200, 50);
  assert.equal(pace.perMinute(), null, 'under 5 s seen');
  pace.add(T0 + 6000, 250, 50);
  assert.equal(pace.perMinute(), 1500, '150 tickets in 6 s');
  for (let s = 7; s <= 60; s++) pace.add(T0 + s * 1000, 250 + (s - 6) * 10, 50);
  assert.equal(pace.perMinute(), 600, 'only the last 30 s count: 10 a second');
  pace.add(T0 + 61_000, 800, 0);
  pace.add(T0 + 62_000, 800, 0);
  assert.equal(pace.perMinute(), null, 'the queue emptied: no pace');
});

test('newUsersPerMinute is paced: a synchronisation interval lets in its share of the minute, not the whole minute at once', () => {
  // A surge meets a room at the shop's rate (1710 a minute, 28.5 a second) after a quiet minute.
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 1710, newUsersPerMinute: 1710 }));
  const limitsAt = () => ({ ...roomLimits(effectiveSettings(room.settings, T0), null) });
  let admittedAtLastSync = 0;
  let letIn = 0;
  for (let second = 0; second < 10; second++) {
    // 90 arrivals a second wait (the room queues); each synchronisation (1 s) moves the frontier.
    room.state.queuedUsers += 90;
    const paced = { ...limitsAt(), newUsersPerMinute: pacedNewUsersPerMinute(1710, admittedAtLastSync, 1) };
    const n = Math.min(paced.newUsersPerMinute - room.state.admittedLastMinute, room.state.queuedUsers);
    assert.equal(frontierAdvance(paced, room.state), n);
    room.state.nextTicketToAdmit += n; room.state.queuedUsers -= n; room.state.admittedLastMinute += n; room.state.activeUsers += n;
    admittedAtLastSync = room.state.admittedLastMinute;
    letIn += n;
    assert.ok(n <= 29, `second ${second}: ${n} let in`);
  }
  assert.equal(letIn, 290, 'ten seconds at the rate, not the minute\'s 1710 in the first');
  assert.equal(pacedNewUsersPerMinute(1710, 1700, 1), 1710, 'the per-minute limit still holds');
  assert.equal(pacedNewUsersPerMinute(3, 0, 1), 3, `a small room lets in up to ${MIN_ADMISSION_BURST} at once`);
  assert.equal(pacedNewUsersPerMinute(540, 0, 1), MIN_ADMISSION_BURST, 'an empty minute: that many at once');
  assert.equal(pacedNewUsersPerMinute(540, 10, 1), 19, 'then 9 a second, the rate');
  assert.equal(pacedNewUsersPerMinute(540, 100, 2.5), 123, 'over the time since the last count');
  assert.equal(pacedNewUsersPerMinute(540, 100, 0), 101, 'one at least, right after a count');
});

test('random: each refresh is an equal draw for the places open, once per refresh interval', () => {
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 2, newUsersPerMinute: 2, queueingMethod: 'random', refreshIntervalSeconds: 10 }));
  room.visit({ cookie: undefined }, T0);
  room.visit({ cookie: undefined }, T0);
  const waiting = Array.from({ length: 4 }, () => ({ cookie: undefined as string | undefined }));
  for (const s of waiting) assert.equal(room.visit(s, T0).kind, 'queue', 'no place open: every draw loses');
  assert.equal(room.state.queuedUsers, 4);
  room.state.activeUsers = 1; // one left: one place for four shoppers, p = 1/4
  room.state.admittedLastMinute = 0;
  room.draws = [0.3];
  assert.equal(room.visit(waiting[3]!, T0 + 10_000).kind, 'queue', 'drew 0.3: lost');
  room.draws = [0.1];
  assert.equal(room.visit(waiting[3]!, T0 + 15_000).kind, 'queue', 'too soon after the last draw: not drawn at all');
  assert.equal(room.draws.length, 1);
  const won = room.visit(waiting[3]!, T0 + 20_000);
  assert.ok(won.kind === 'admit' && won.admission === 'from_queue', 'drew 0.1 < 1/4: in, whatever the ticket');
  const s = room.visit(waiting[0]!, T0 + 20_000);
  assert.ok(s.kind === 'queue' && s.status.position === 3 && !s.status.positionIsOrder, 'the position is the size of the draw');
});

test('random wait is the median of a geometric draw', () => {
  const settings = effectiveSettings(settingsWith({ mode: 'on', totalActiveUsers: 100, newUsersPerMinute: 100, queueingMethod: 'random', refreshIntervalSeconds: 20 }), T0);
  // 30 let in a minute: 10 per 20 s refresh among 100 waiting, p = 0.1: median ceil(ln .5 / ln .9) = 7 refreshes.
  const s = queueStatus(settings, roomLimits(settings, null), { activeUsers: 100, admittedLastMinute: 30, queuedUsers: 100, nextTicketToAdmit: 1, shuffle: null }, 50, T0);
  assert.deepEqual([s.waitTimeKnown, s.waitTimeSeconds], [true, 140]);
});

test('passthrough lets everyone in, counted from their second request; reject lets nobody in; off does nothing at all', () => {
  const through = new Room(settingsWith({ mode: 'on', queueingMethod: 'passthrough', totalActiveUsers: 1, newUsersPerMinute: 1 }));
  const shoppers = Array.from({ length: 3 }, () => ({ cookie: undefined as string | undefined }));
  const admissions = (now: number) => shoppers.map((s) => { const d = through.visit(s, now); return d.kind === 'admit' ? d.admission : d.kind; });
  assert.deepEqual(admissions(T0), [null, null, null], 'not counted yet: a client that keeps no cookie never comes back with one');
  assert.ok(shoppers.every((s) => s.cookie), 'passes issued, so a later queue knows who is already in');
  assert.deepEqual(admissions(T0 + 1000), ['new', 'new', 'new'], 'back with the pass: counted');
  assert.deepEqual(admissions(T0 + 2000), [null, null, null], 'and only once');
  assert.equal(through.state.activeUsers, 3);

  const closed = new Room(settingsWith({ mode: 'on', queueingMethod: 'reject' }));
  const d = closed.visit({ cookie: undefined }, T0);
  assert.ok(d.kind === 'reject' && d.status.phase === 'closed');
  const json = waitingRoomJson(d.status, T0);
  assert.equal(json.statusCode, 503);
  assert.equal(json.body.error.code, 'WAITING_ROOM_CLOSED');
  assert.equal(json.headers['retry-after'], '300');

  const off = new Room(settingsWith({ mode: 'off' }));
  assert.deepEqual(off.visit({ cookie: undefined }, T0), { kind: 'pass_through' });
});

test('queueAll: nobody new enters even with places open; those already in stay; the wait is not known', () => {
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 100, newUsersPerMinute: 100 }));
  const inside: Shopper = { cookie: undefined };
  room.visit(inside, T0);
  room.settings = settingsWith({ mode: 'on', totalActiveUsers: 100, newUsersPerMinute: 100, queueAll: true });
  const d = room.visit({ cookie: undefined }, T0 + 1000);
  assert.ok(d.kind === 'queue' && d.status.queueAll && !d.status.waitTimeKnown, JSON.stringify(d));
  assert.equal(room.visit(inside, T0 + 1000).kind, 'admit');
  assert.equal(room.sync(T0 + 1000), 0, 'the frontier does not move');
  const eff = effectiveSettings(room.settings, T0);
  assert.equal(roomState(eff, roomLimits(eff, null), room.state), 'queue_all');
});

test('a sale with a shuffled prequeue: everyone new waits until the start, then the prequeue goes in a random order', () => {
  const sale = {
    name: 'sale', prequeueStartTime: '2026-11-27T09:30:00Z', eventStartTime: '2026-11-27T10:00:00Z', eventEndTime: '2026-11-27T12:00:00Z',
    shuffleAtEventStart: true, totalActiveUsers: 2, newUsersPerMinute: 2,
  };
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 1000, newUsersPerMinute: 1000, events: [sale] }));
  const early = Date.parse('2026-11-27T09:40:00Z');
  const shoppers = Array.from({ length: 6 }, () => ({ cookie: undefined as string | undefined }));
  for (const s of shoppers) {
    const d = room.visit(s, early);
    assert.ok(d.kind === 'queue' && d.status.phase === 'prequeue' && d.status.eventStartsAt === Date.parse(sale.eventStartTime), 'queued though the room has places');
    assert.equal(d.status.waitTimeKnown, false, 'the order is drawn at the start');
  }
  const eff = effectiveSettings(room.settings, early);
  assert.equal(roomState(eff, roomLimits(eff, null), room.state), 'event_prequeueing');
  // Their pages refresh while they wait (a queued pass lasts five minutes without one).
  for (let t = early + 60_000; t < Date.parse(sale.eventStartTime); t += 60_000) for (const s of shoppers) assert.equal(room.visit(s, t).kind, 'queue');
  room.state.shuffle = { firstTicket: 1, endTicket: 7, seed: 'event-secret' };
  // At the start, the frontier lets two in: the two whose shuffled tickets come first, not tickets 1 and 2.
  assert.equal(room.sync(Date.parse(sale.eventStartTime)), 2);
  const atStart = shoppers.map((s) => room.visit(s, Date.parse(sale.eventStartTime) + 20_000));
  const admitted = atStart.flatMap((d, i) => (d.kind === 'admit' ? [i + 1] : []));
  assert.equal(admitted.length, 2);
  const order = [1, 2, 3, 4, 5, 6].map((t) => orderedTicket(t, effectiveSettings(room.settings, Date.parse(sale.eventStartTime)), room.state));
  assert.deepEqual([...order].sort(), [1, 2, 3, 4, 5, 6], 'the prequeue tickets are permuted among themselves');
  assert.deepEqual(admitted, order.flatMap((o, i) => (o <= 2 ? [i + 1] : [])));
  assert.notDeepEqual(admitted, [1, 2], 'not simply the first two to arrive');
  assert.deepEqual(atStart.filter((d) => d.kind === 'queue').map(position).sort(), [1, 2, 3, 4]);
});

test('a prequeue without shuffle keeps arrival order and estimates the wait from the start', () => {
  const sale = { name: 'sale', prequeueStartTime: '2026-11-27T09:30:00Z', eventStartTime: '2026-11-27T10:00:00Z', eventEndTime: '2026-11-27T12:00:00Z', totalActiveUsers: 600, newUsersPerMinute: 60 };
  const room = new Room(settingsWith({ mode: 'on', events: [sale] }));
  const at = Date.parse('2026-11-27T09:50:00Z');
  const ds = Array.from({ length: 3 }, () => room.visit({ cookie: undefined }, at));
  assert.deepEqual(ds.map((d) => d.kind === 'queue' && [d.status.position, d.status.waitTimeKnown, d.status.waitTimeSeconds]), [[1, true, 600], [2, true, 601], [3, true, 602]]);
});

test('the keyed permutation is a bijection, differs by seed, and stays put outside the shuffled range', () => {
  for (const n of [1, 2, 3, 7, 64, 1000]) {
    const seen = new Set(Array.from({ length: n }, (_, i) => keyedPermutation(i, n, 'seed')));
    assert.equal(seen.size, n);
    assert.ok([...seen].every((x) => x >= 0 && x < n));
  }
  const a = Array.from({ length: 50 }, (_, i) => keyedPermutation(i, 50, 'one'));
  const b = Array.from({ length: 50 }, (_, i) => keyedPermutation(i, 50, 'two'));
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
  assert.throws(() => keyedPermutation(5, 5, 's'), RangeError);
});

test('sessions: renewed by requests (a new cookie once a tenth of the session has passed), or not at all when renewal is off', () => {
  const room = new Room(settingsWith({ mode: 'on', sessionDurationSeconds: 100, totalActiveUsers: 10, newUsersPerMinute: 10 }));
  const s: Shopper = { cookie: undefined };
  room.visit(s, T0);
  const quiet = room.visit(s, T0 + 9_000);
  assert.ok(quiet.kind === 'admit' && !quiet.setCookie);
  const renewed = room.visit(s, T0 + 10_000);
  assert.ok(renewed.kind === 'admit' && renewed.setCookie && renewed.pass.expiresAt === Math.floor(T0 / 1000) + 110);
  assert.equal(room.visit(s, T0 + 109_000).kind, 'admit');
  assert.equal(codec.verify(s.cookie, Math.floor((T0 + 211_000) / 1000)).valid, false, 'a session with no request for its duration lapses');

  const fixed = new Room(settingsWith({ mode: 'on', sessionDurationSeconds: 100, disableSessionRenewal: true, totalActiveUsers: 10, newUsersPerMinute: 10 }));
  const f: Shopper = { cookie: undefined };
  fixed.visit(f, T0);
  const d = fixed.visit(f, T0 + 50_000);
  assert.ok(d.kind === 'admit' && d.pass.expiresAt === Math.floor(T0 / 1000) + 100, 'the visit still ends 100 s after admission');
});

test('a full queue turns new arrivals away without a ticket, and says so', () => {
  const room = new Room(settingsWith({ mode: 'on', totalActiveUsers: 1, newUsersPerMinute: 1, maxQueuedUsers: 2 }));
  room.visit({ cookie: undefined }, T0);
  room.visit({ cookie: undefined }, T0);
  room.visit({ cookie: undefined }, T0);
  const shopper: Shopper = { cookie: undefined };
  const d = room.visit(shopper, T0);
  assert.ok(d.kind === 'queue' && d.status.phase === 'queue_full' && d.status.queueIsFull && d.pass === null && !d.setCookie);
  assert.equal(room.nextTicket, 3, 'no ticket given');
  assert.equal(shopper.cookie, undefined);
  assert.equal(waitingRoomJson(d.status, T0).body.waitingRoom.queueIsFull, true);
});

test('auto: everyone enters until the controller engages, then the room queues at its rate', () => {
  const room = new Room(settingsWith({ mode: 'auto', totalActiveUsers: 1000, newUsersPerMinute: 600 }));
  room.auto = { engaged: false, newUsersPerMinute: 600 };
  const early: Shopper = { cookie: undefined };
  assert.equal(room.visit(early, T0).kind, 'admit');
  room.state.admittedLastMinute = 50;
  room.auto = { engaged: true, newUsersPerMinute: 50 };
  const d = room.visit({ cookie: undefined }, T0 + 1000);
  assert.ok(d.kind === 'queue', 'the controller\'s 50 a minute are used up');
  const back = room.visit(early, T0 + 1000);
  assert.ok(back.kind === 'admit' && back.admission === 'new', 'a shopper already in stays in, counted from their return');
  const limits = roomLimits(effectiveSettings(room.settings, T0), { engaged: true, newUsersPerMinute: 5000 });
  assert.equal(limits.newUsersPerMinute, 600, 'never above the configured rate');
});

test('the JSON form: 429, Retry-After, and exactly the documented fields', () => {
  const json = waitingRoomJson({
    phase: 'queued', position: 12, positionIsOrder: true, waitTimeKnown: true, waitTimeSeconds: 90, refreshIntervalSeconds: 20,
    queueIsFull: false, queueAll: false, eventStartsAt: null,
  }, T0);
  assert.equal(json.statusCode, 429);
  assert.deepEqual(json.headers, { 'retry-after': '20', 'cache-control': 'no-store' });
  assert.equal(JSON.stringify(json.body),
    '{"error":{"code":"WAITING_ROOM","message":"The shop is full right now; you are in the queue. Ask again after Retry-After seconds to keep your place."},'
    + '"waitingRoom":{"inWaitingRoom":true,"position":12,"waitTimeKnown":true,"waitTimeSeconds":90,"refreshIntervalSeconds":20,"queueIsFull":false,"queueAll":false}}');
  assert.equal(wantsWaitingRoomJson('/api/products', 'text/html'), true);
  assert.equal(wantsWaitingRoomJson('/products/x', 'application/json'), true);
  assert.equal(wantsWaitingRoomJson('/products/x', 'text/html,application/xhtml+xml,application/json;q=0.9'), false);
  assert.equal(wantsWaitingRoomJson('/products/x', undefined), false);
});

test('never queued: operations, assets, a shopper\'s own order, and the cart and checkout of a shopper already shopping', () => {
  const req = (path: string, extra: Partial<{ hasValidOrderToken: boolean; hasCart: boolean }> = {}) =>
    isExemptFromWaitingRoom({ method: 'GET', path, hasValidOrderToken: false, hasCart: false, ...extra });
  for (const p of ['/healthz', '/readyz', '/metrics', '/api/ops/waiting-room', '/api/admin/waiting-room', '/assets/storefront.1.css', '/images/products/a.svg', '/status', '/api/status']) assert.equal(req(p), true, p);
  assert.equal(req('/orders/abc'), false, 'an order page without its token queues like any page');
  assert.equal(req('/orders/abc', { hasValidOrderToken: true }), true);
  assert.equal(req('/api/orders/abc', { hasValidOrderToken: true }), true);
  assert.equal(req('/checkout'), false);
  assert.equal(req('/checkout', { hasCart: true }), true);
  assert.equal(req('/api/checkout', { hasCart: true }), true);
  assert.equal(req('/products/lantern', { hasCart: true }), false, 'browsing queues like anyone else\'s');
  assert.equal(req('/'), false);
});

test('a queued pass shape round-trips through the state a replica holds', () => {
  const pass: WaitingRoomPass = { visitorId: 'abcdefghijklmnop', state: 'queued', ticket: 42, issuedAt: 1, lastSeenAt: 2, expiresAt: 3 };
  assert.deepEqual(codec.verify(codec.encode(pass), 2), { valid: true, pass, resign: false });
});
