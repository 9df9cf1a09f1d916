// The load tester's shoppers: each iteration is a new shopper with its own cookie jar, and a shopper sent
// to a waiting room (429 WAITING_ROOM, the JSON form) asks again every refreshIntervalSeconds with the
// room's cookie until let in, then carries on with its journey. The time queued is reported on its own,
// not in the request latencies. Against a local server that plays a waiting room over real sockets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runLoadTest } from '../../src/loadtest/index.ts';

const ADMIT_AFTER_MS = 1500;

/**
 * A waiting room: a new shopper waits ADMIT_AFTER_MS; /cart needs the cookie the shop set once admitted.
 * `failEvenShoppers`: every second shopper's first refresh gets a 503 (the room failed them).
 */
async function roomServer(opts: { failEvenShoppers?: boolean } = {}) {
  const arrivals = new Map<string, number>();
  const seen = { newShoppers: 0, polls: 0, admitted: 0, failed: 0, cartWithoutCookie: 0, carts: 0 };
  let next = 0;
  const server = http.createServer((req, res) => {
    const cookies = Object.fromEntries((req.headers.cookie ?? '').split(/;\s*/).filter(Boolean).map((c) => c.split('=') as [string, string]));
    const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/cart') {
      seen.carts++;
      if (cookies.shop_session !== 'yes') { seen.cartWithoutCookie++; json(400, { error: { code: 'NO_SESSION' } }); return; }
      json(200, { ok: true });
      return;
    }
    const id = cookies.hf_waitingroom;
    const arrived = id === undefined ? undefined : arrivals.get(id);
    if (arrived === undefined) {
      seen.newShoppers++;
      const fresh = `v${next++}`;
      arrivals.set(fresh, performance.now());
      json(429, waiting(), { 'set-cookie': `hf_waitingroom=${fresh}; Path=/; HttpOnly; SameSite=Lax`, 'retry-after': '1' });
      return;
    }
    if (opts.failEvenShoppers && Number(id!.slice(1)) % 2 === 0) { seen.failed++; json(503, { error: { code: 'SERVICE_UNAVAILABLE' } }, { 'retry-after': '1' }); return; }
    if (performance.now() - arrived < ADMIT_AFTER_MS) { seen.polls++; json(429, waiting(), { 'retry-after': '1' }); return; }
    seen.admitted++;
    json(200, { page: 'home' }, { 'set-cookie': ['shop_session=yes; Path=/', `hf_waitingroom=${id}; Path=/; Max-Age=300`] });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`, seen,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const waiting = () => ({
  error: { code: 'WAITING_ROOM', message: 'The shop is full right now; you are in the queue.' },
  waitingRoom: { inWaitingRoom: true, position: 1, waitTimeKnown: true, waitTimeSeconds: 2, refreshIntervalSeconds: 1, queueIsFull: false, queueAll: false },
});

const closers: (() => Promise<void>)[] = [];
after(async () => { for (const c of closers) await c(); });

test('each iteration is a new shopper who waits in the room with its cookie, then carries on; queued time is reported apart', { timeout: 60_000 }, async () => {
  const shop = await roomServer();
  closers.push(shop.close);
  const result = await runLoadTest({
    source: {
      kind: 'inline', spec: {
        name: 'room', load: { executor: 'constant-arrival-rate', rate: 4, duration: 3 },
        shopper: { cookies: true, waitingRoom: true },
        journeys: [{ name: 'shop', steps: [
          { name: 'home', url: '/', checks: [{ name: 'let in', status: 200 }] },
          { name: 'cart', url: '/cart', checks: [{ name: 'session kept', status: 200 }] },
        ] }],
      },
    },
    targetUrl: shop.url, workers: 1, gracefulStopSec: 10,
  });
  const it = result.totals.iterations;
  assert.ok(it.started >= 10, `${it.started} iterations started`);
  assert.equal(it.completed, it.started, `every shopper got through: ${JSON.stringify(it)}`);
  assert.equal(shop.seen.newShoppers, it.started, 'each iteration arrived as a new shopper (no cookie)');
  assert.equal(shop.seen.cartWithoutCookie, 0, 'the cookies the shop set were sent back');
  assert.equal(shop.seen.carts, it.started);
  assert.equal(result.totals.errors.status, 0, 'a "still waiting" answer is not an error');
  const room = result.waitingRoom;
  assert.equal(room.shoppersLetIn, it.started);
  assert.equal(room.failedWhileQueued, 0);
  assert.equal(room.stillQueuedAtEnd, 0);
  assert.equal(room.polls, shop.seen.newShoppers + shop.seen.polls, 'every 429 WAITING_ROOM counted as a poll');
  // Let in on the second poll: about two refresh intervals in the queue.
  assert.ok(room.queued.p50Ms >= ADMIT_AFTER_MS, `queued p50 ${room.queued.p50Ms} ms`);
  // The requests themselves are quick: the queueing is not in their latency (which a busy machine may stretch).
  assert.ok(result.totals.latency.p50Ms < ADMIT_AFTER_MS / 2, `request latency p50 ${result.totals.latency.p50Ms} ms`);
  const home = result.steps.find((s) => s.name === 'home')!;
  assert.equal(home.requests, it.started, 'polls are not requests of the step');
});

test('without shopper settings a 429 is an error, and no cookie is kept', { timeout: 60_000 }, async () => {
  const shop = await roomServer();
  closers.push(shop.close);
  const result = await runLoadTest({
    source: { kind: 'inline', spec: { name: 'plain', load: { executor: 'constant-arrival-rate', rate: 4, duration: 1 }, journeys: [{ name: 'shop', steps: [{ name: 'home', url: '/' }] }] } },
    targetUrl: shop.url, workers: 1, gracefulStopSec: 5,
  });
  assert.equal(result.totals.errors.status, result.totals.requests);
  assert.equal(result.waitingRoom.shoppersLetIn, 0);
  assert.equal(shop.seen.polls, 0);
});

test('a queued shopper whose refresh gets a 5xx failed while waiting: not counted as let in', { timeout: 60_000 }, async () => {
  const shop = await roomServer({ failEvenShoppers: true });
  closers.push(shop.close);
  const result = await runLoadTest({
    source: {
      kind: 'inline', spec: {
        name: 'room-fails', load: { executor: 'constant-arrival-rate', rate: 4, duration: 3 },
        shopper: { cookies: true, waitingRoom: true },
        journeys: [{ name: 'shop', steps: [{ name: 'home', url: '/', checks: [{ name: 'let in', status: 200 }] }] }],
      },
    },
    targetUrl: shop.url, workers: 1, gracefulStopSec: 10,
  });
  const room = result.waitingRoom;
  assert.ok(shop.seen.failed >= 5, `${shop.seen.failed} shoppers failed by the room`);
  assert.equal(room.failedWhileQueued, shop.seen.failed, 'each shopper the room failed is counted once, as failed while waiting');
  assert.equal(room.shoppersLetIn, shop.seen.admitted, 'only the shoppers the room admitted are let in');
  assert.equal(room.shoppersLetIn + room.failedWhileQueued + room.stillQueuedAtEnd, shop.seen.newShoppers);
});

test('the setup is a shopper too: it waits in the room with its cookie, and the run goes on once it is let in', { timeout: 60_000 }, async () => {
  const shop = await roomServer();
  closers.push(shop.close);
  const result = await runLoadTest({
    source: {
      kind: 'inline', spec: {
        name: 'room-setup', load: { executor: 'constant-arrival-rate', rate: 2, duration: 1 },
        shopper: { cookies: true, waitingRoom: true },
        setup: [{ name: 'catalog', url: '/', checks: [{ name: 'let in', status: 200 }] }],
        journeys: [{ name: 'shop', steps: [{ name: 'home', url: '/', checks: [{ name: 'let in', status: 200 }] }] }],
      },
    },
    targetUrl: shop.url, workers: 1, gracefulStopSec: 10,
  });
  const it = result.totals.iterations;
  assert.ok(it.started >= 1, 'the run went on past its setup');
  assert.equal(it.completed, it.started, JSON.stringify(it));
  // The setup arrived, waited, and was let in, as each shopper of the run was.
  assert.equal(shop.seen.newShoppers, it.started + 1);
  assert.equal(shop.seen.admitted, it.started + 1);
});
