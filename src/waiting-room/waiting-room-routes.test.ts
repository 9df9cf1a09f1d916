// The waiting room's routes and hook, on the HTTP server alone (inject, no socket), against PostgreSQL:
// PUT /api/admin/waiting-room and GET /api/ops/waiting-room, and what a shopper gets when the room is off,
// full, closed to new shoppers or rejecting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { WaitingRoom } from './waiting-room-service.ts';
import { installWaitingRoom, waitingRoomRoutes } from './waiting-room-routes.ts';

let t: RouteTest;
let room: WaitingRoom;
const recorded: { kind: string; summary: string }[] = [];

before(async () => {
  t = await routeTest(async (app, { db, adminTokenSha256 }) => {
    room = new WaitingRoom({
      pool: db.pool, configured: {}, syncMs: 60_000, logger: createLogger({ level: 'silent', service: 'test' }),
      changes: { record: async (c) => { recorded.push(c); } },
    });
    await room.init();
    installWaitingRoom(app, room, adminTokenSha256);
    waitingRoomRoutes(app, { room, adminTokenSha256 });
    app.get('/api/things', async () => ({ ok: true }));
    app.get('/api/catalog-things', async (_req, reply) => reply.header('cache-control', 'public, max-age=5').send({ ok: true }));
    app.get('/things', async (_req, reply) => reply.type('text/html').send('<p>REAL-THINGS-PAGE</p>'));
    app.post('/api/checkout', async (_req, reply) => reply.code(202).send({ status: 'pending_payment' }));
  });
});
after(async () => { await room?.stop(); await t?.close(); });

const cookieOf = (headers: Record<string, unknown>): string | undefined => {
  const raw = [headers['set-cookie'] ?? []].flat().map(String).find((c) => c.startsWith('hf_waitingroom='));
  return raw?.split(';')[0];
};

test('401 UNAUTHORIZED without the admin token, on both routes', async () => {
  assert.equal((await t.call('GET', '/api/ops/waiting-room')).json.error.code, 'UNAUTHORIZED');
  const put = await t.call('PUT', '/api/admin/waiting-room', { body: { mode: 'on' } });
  assert.equal(put.status, 401);
});

test('off by default: no cookie, no queue, the state says not_queueing', async () => {
  const res = await t.call('GET', '/api/things');
  assert.equal(res.status, 200);
  assert.equal(cookieOf(res.headers), undefined);
  const ops = await t.call('GET', '/api/ops/waiting-room', { admin: true });
  assert.equal(ops.status, 200);
  assert.equal(ops.json.mode, 'off');
  assert.equal(ops.json.state, 'not_queueing');
  assert.equal(ops.headers['cache-control'], 'no-store');
});

test('400 WAITING_ROOM_SETTINGS_INVALID names every problem; nothing changes', async () => {
  const bad = await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { mode: 'sometimes', totalActiveUsers: 2, newUsersPerMinute: 5 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'WAITING_ROOM_SETTINGS_INVALID');
  const places = bad.json.error.details.problems.map((p: { at: string }) => p.at).sort();
  assert.deepEqual(places, ['mode', 'newUsersPerMinute']);
  const notObject = await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: [1] });
  assert.equal(notObject.status, 400);
  assert.equal((await t.call('GET', '/api/ops/waiting-room', { admin: true })).json.mode, 'off');
});

test('on and full: the next shopper gets 429 WAITING_ROOM with Retry-After on the API, the waiting page on a page', async () => {
  const put = await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { mode: 'on', totalActiveUsers: 1, newUsersPerMinute: 1, refreshIntervalSeconds: 7 } });
  assert.equal(put.status, 200, put.body);
  assert.equal(put.json.totalActiveUsers, 1);
  assert.ok(recorded.some((c) => c.kind === 'config.changed'));

  const first = await t.call('GET', '/api/things');
  assert.equal(first.status, 200, first.body);
  const admitted = cookieOf(first.headers);
  assert.ok(admitted, 'an admitted shopper gets a pass');
  const cookieAttributes = String([first.headers['set-cookie']].flat().find((c) => String(c).startsWith('hf_waitingroom=')));
  assert.match(cookieAttributes, /HttpOnly/i);
  assert.match(cookieAttributes, /SameSite=Lax/i);

  const second = await t.call('GET', '/api/things');
  assert.equal(second.status, 429);
  assert.equal(second.headers['retry-after'], '7');
  assert.equal(second.json.error.code, 'WAITING_ROOM');
  assert.deepEqual(
    { ...second.json.waitingRoom, waitTimeKnown: undefined, waitTimeSeconds: undefined },
    { inWaitingRoom: true, position: 1, waitTimeKnown: undefined, waitTimeSeconds: undefined, refreshIntervalSeconds: 7, queueIsFull: false, queueAll: false },
  );
  const queuedCookie = cookieOf(second.headers);
  assert.ok(queuedCookie);

  assert.match(String(second.headers['holdfast-waiting-room']), /^queued; position=1; (wait=\d+; )?refresh=7$/);
  const page = await t.call('GET', '/things', { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.match(String(page.headers['holdfast-waiting-room']), /^queued; position=\d+; (wait=\d+; )?refresh=7$/, 'the page says it is one without its body being read');
  assert.equal(first.headers['holdfast-waiting-room'], undefined, 'an admitted shopper\'s answer does not');
  assert.match(page.body, /position|place/i);
  assert.doesNotMatch(page.body, /REAL-THINGS-PAGE/);
  const json = await t.call('GET', '/things', { headers: { accept: 'application/json' } });
  assert.equal(json.status, 429);

  // The admitted shopper goes on from the pass alone; the queued one keeps their place.
  assert.equal((await t.call('GET', '/api/things', { headers: { cookie: admitted! } })).status, 200);
  const again = await t.call('GET', '/api/things', { headers: { cookie: queuedCookie! } });
  assert.equal(again.status, 429);
  assert.equal(again.json.waitingRoom.position, 1);

  // Operations are never queued.
  const ops = await t.call('GET', '/api/ops/waiting-room', { admin: true });
  assert.equal(ops.status, 200);
  assert.equal(ops.json.state, 'queueing');
  assert.equal(ops.json.activeUsers, 1);
  assert.equal(ops.json.queuedUsers, 3);
  assert.equal(ops.json.limits.totalActiveUsers, 1);
  assert.ok(recorded.some((c) => c.kind === 'waiting_room.state_changed' && /queueing/.test(c.summary)));
});

test('queueingStatusCode 429 makes the waiting page a 429 with Retry-After', async () => {
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { queueingStatusCode: 429 } });
  const page = await t.call('GET', '/things', { headers: { accept: 'text/html' } });
  assert.equal(page.status, 429);
  assert.ok(page.headers['retry-after']);
});

test('a forged pass is a new arrival at the back of the queue', async () => {
  const forged = 'hf_waitingroom=1.AAAAAAAAAAAAAAAA.a0.1.1.zzzzzz.' + 'A'.repeat(43);
  const res = await t.call('GET', '/api/things', { headers: { cookie: forged } });
  assert.equal(res.status, 429);
  assert.ok(res.json.waitingRoom.position > 1);
});

test('queueAll: shoppers already in stay in, nobody new enters', async () => {
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { totalActiveUsers: 100, newUsersPerMinute: 100, queueAll: true } });
  const res = await t.call('GET', '/api/things');
  assert.equal(res.status, 429);
  assert.equal(res.json.waitingRoom.queueAll, true);
  assert.equal((await t.call('GET', '/api/ops/waiting-room', { admin: true })).json.state, 'queue_all');
});

test('reject: 503 WAITING_ROOM_CLOSED with Retry-After; passthrough lets everyone in', async () => {
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { queueAll: false, queueingMethod: 'reject' } });
  const closed = await t.call('GET', '/api/things');
  assert.equal(closed.status, 503);
  assert.equal(closed.json.error.code, 'WAITING_ROOM_CLOSED');
  assert.ok(Number(closed.headers['retry-after']) >= 1);
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { queueingMethod: 'passthrough', totalActiveUsers: 1, newUsersPerMinute: 1 } });
  assert.equal((await t.call('GET', '/api/things')).status, 200);
  assert.equal((await t.call('GET', '/api/things')).status, 200);
});

test('a scheduled event prequeueing holds every new shopper and says when the sale starts', async () => {
  const now = Date.now();
  const iso = (ms: number) => new Date(ms).toISOString();
  const put = await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: {
    mode: 'on', queueingMethod: 'fifo', totalActiveUsers: 100, newUsersPerMinute: 100,
    events: [{ name: 'sale', prequeueStartTime: iso(now - 60_000), eventStartTime: iso(now + 5 * 60_000), eventEndTime: iso(now + 60 * 60_000) }],
  } });
  assert.equal(put.status, 200, put.body);
  const res = await t.call('GET', '/api/things');
  assert.equal(res.status, 429);
  assert.equal(res.json.error.code, 'WAITING_ROOM');
  assert.match(res.json.error.message, /sale has not started/);
  const page = await t.call('GET', '/things', { headers: { accept: 'text/html' } });
  assert.match(page.body, /The sale starts soon/);
  const ops = await t.call('GET', '/api/ops/waiting-room', { admin: true });
  assert.equal(ops.json.state, 'event_prequeueing');
  assert.deepEqual(ops.json.event, { name: 'sale', phase: 'prequeueing' });
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { events: [], mode: 'off' } });
  assert.equal((await t.call('GET', '/api/things')).status, 200, 'off again: everyone walks in');
});

test('revokeSessionAfterCheckout: a completed checkout frees the place and clears the pass; without it the session stays', async () => {
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { mode: 'on', totalActiveUsers: 50, newUsersPerMinute: 50, queueingMethod: 'fifo', revokeSessionAfterCheckout: false } });
  const activeNow = async () => (await t.call('GET', '/api/ops/waiting-room', { admin: true })).json.activeUsers as number;
  // Shoppers the earlier tests left waiting go first (FIFO), at the paced rate: each synchronisation (the
  // ops view runs one) lets at least one in.
  for (let i = 0; i < 50 && (await t.call('GET', '/api/ops/waiting-room', { admin: true })).json.queuedUsers > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const keeper = cookieOf((await t.call('GET', '/api/things')).headers)!;
  const before = await activeNow();
  const kept = await t.call('POST', '/api/checkout', { body: {}, headers: { cookie: keeper } });
  assert.equal(kept.status, 202);
  assert.equal(cookieOf(kept.headers), undefined, 'the pass is left as it is');
  assert.equal(await activeNow(), before, 'still in');

  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { revokeSessionAfterCheckout: true } });
  const payer = cookieOf((await t.call('GET', '/api/things')).headers)!;
  const withPayer = await activeNow();
  const paid = await t.call('POST', '/api/checkout', { body: {}, headers: { cookie: payer } });
  assert.equal(paid.status, 202);
  assert.equal(cookieOf(paid.headers), 'hf_waitingroom=', 'the pass is cleared');
  assert.match(String([paid.headers['set-cookie']].flat().find((c) => String(c).startsWith('hf_waitingroom='))), /Max-Age=0/i);
  assert.equal(await activeNow(), withPayer - 1, 'the place is free');
});

test('while the room does not queue, a client that keeps no cookie is never counted; one that brings its entry pass back is, once, with a pass of its own, kept from shared caches', async () => {
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { mode: 'auto', totalActiveUsers: 1000, newUsersPerMinute: 1000, queueingMethod: 'fifo', revokeSessionAfterCheckout: false } });
  const ops = async () => (await t.call('GET', '/api/ops/waiting-room', { admin: true })).json;
  const before = await ops();
  assert.equal(before.state, 'not_queueing');
  // A burst of newcomers that drop every cookie (a crawler, a monitor): all let in, on one shared entry pass.
  const passes = new Set<string>();
  for (let i = 0; i < 30; i++) {
    const res = await t.call('GET', '/api/things');
    assert.equal(res.status, 200);
    passes.add(cookieOf(res.headers)!);
  }
  assert.ok(passes.size <= 2, `one entry pass a second, not one per newcomer: ${passes.size}`);
  const entry = [...passes][0]!;
  assert.match(entry, /^hf_waitingroom=1\.[A-Za-z0-9_-]{16}\.n0\./, 'admitted, not counted yet');
  assert.equal((await ops()).activeUsers, before.activeUsers, 'none of them is an active shopper');

  // Two browsers that keep the same entry pass come back: each gets a pass of its own and counts.
  const back = await Promise.all([1, 2].map(() => t.call('GET', '/api/things', { headers: { cookie: entry } })));
  const own = back.map((r) => cookieOf(r.headers)!);
  assert.ok(back.every((r) => r.status === 200));
  assert.ok(own.every((c) => /^hf_waitingroom=1\.[A-Za-z0-9_-]{16}\.a0\./.test(c)), own.join(' '));
  assert.notEqual(own[0]!.split('.')[1], own[1]!.split('.')[1], 'visitor ids of their own');
  assert.equal((await ops()).activeUsers, before.activeUsers + 2);
  // Their next requests need no new cookie and count no more.
  const again = await t.call('GET', '/api/things', { headers: { cookie: own[0]! } });
  assert.equal(cookieOf(again.headers), undefined);
  assert.equal((await ops()).activeUsers, before.activeUsers + 2);
  assert.equal(back[0]!.headers['cache-control'], 'private', 'an answer with a pass of its own is for that browser alone');

  // A public catalog answer stays public with the shared entry pass, and turns private with a pass of one's own.
  const publicEntry = await t.call('GET', '/api/catalog-things');
  assert.match(cookieOf(publicEntry.headers)!, /\.n0\./);
  assert.equal(publicEntry.headers['cache-control'], 'public, max-age=5');
  const ownAnswer = await t.call('GET', '/api/catalog-things', { headers: { cookie: cookieOf(publicEntry.headers)! } });
  assert.match(cookieOf(ownAnswer.headers)!, /\.a0\./);
  assert.equal(ownAnswer.headers['cache-control'], 'private, max-age=5', 'no CDN keeps one shopper\'s pass for the next');
  const plain = await t.call('GET', '/api/catalog-things', { headers: { cookie: cookieOf(ownAnswer.headers)! } });
  assert.equal(cookieOf(plain.headers), undefined);
  assert.equal(plain.headers['cache-control'], 'public, max-age=5', 'no pass sent: as cacheable as the route made it');
  await t.call('PUT', '/api/admin/waiting-room', { admin: true, body: { mode: 'off' } });
});
