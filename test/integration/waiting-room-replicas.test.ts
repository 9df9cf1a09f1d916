// Two storefront processes (`holdfast start --target storefront`) on one database admit together: with
// room for three shoppers, eight new shoppers arrive across both over real sockets; exactly three get in,
// the other five wait at positions 1..5; a shopper who tampers with their pass goes to the back; a shopper
// who got in checks out while the others wait; and when an admitted shopper's session lapses, the shopper
// at position 1 is the one let in next, whichever process they ask.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { REPO_ROOT, type HoldfastProcess } from '../helpers/child-processes.ts';
import { startRole, stopRole, type RoleProcess } from '../helpers/role-processes.ts';
import { productWithStock, SHIPPING } from '../helpers/route-test.ts';

const ADMIN_TOKEN = `room-admin-${randomBytes(12).toString('hex')}`;
const SESSION_SECONDS = 6;

let db: TestDatabase;
const processes: RoleProcess[] = [];
const started: HoldfastProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  const env = {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: ADMIN_TOKEN, HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `room-${db.name}`), HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    HOLDFAST_WAITING_ROOM: JSON.stringify({ mode: 'on', totalActiveUsers: 3, newUsersPerMinute: 3, sessionDurationSeconds: SESSION_SECONDS, refreshIntervalSeconds: 1 }),
    HOLDFAST_WAITING_ROOM_SYNC_MS: '200',
  };
  processes.push(await startRole('storefront', env, started));
  processes.push(await startRole('storefront', env, started));
});

after(async () => {
  await Promise.all(processes.map((p) => stopRole(p)));
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await db?.drop();
});

/** A shopper with their own cookie jar (only the room's pass matters here). */
class Shopper {
  readonly name: string;
  pass: string | undefined;
  constructor(name: string) { this.name = name; }

  async request(base: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${urlPath}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.pass ? { cookie: `hf_waitingroom=${this.pass}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    for (const c of res.headers.getSetCookie()) {
      const m = /^hf_waitingroom=([^;]*)/.exec(c);
      if (m) this.pass = m[1];
    }
    const text = await res.text();
    let json: any;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text, headers: res.headers };
  }
}

const ops = async () => {
  const res = await fetch(`${processes[0]!.url}/api/ops/waiting-room`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(res.status, 200);
  return res.json() as Promise<{ state: string; activeUsers: number; queuedUsers: number; replicas: number }>;
};

test('two storefront processes admit three of eight shoppers together, queue the rest in order, and let position 1 in next', { timeout: 150_000 }, async () => {
  const [a, b] = processes.map((p) => p.url) as [string, string];
  const shoppers = Array.from({ length: 8 }, (_, i) => new Shopper(`shopper ${i + 1}`));
  const first = [];
  for (const [i, s] of shoppers.entries()) first.push({ s, res: await s.request(i % 2 ? b : a, 'GET', '/api/products?limit=2') });

  const admitted = first.filter((f) => f.res.status === 200).map((f) => f.s);
  const waiting = first.filter((f) => f.res.status !== 200);
  assert.equal(admitted.length, 3, `exactly three admitted across both processes: ${first.map((f) => f.res.status)}`);
  for (const w of waiting) {
    assert.equal(w.res.status, 429);
    assert.equal(w.res.json.error.code, 'WAITING_ROOM');
    assert.ok(Number(w.res.headers.get('retry-after')) >= 1);
  }
  assert.deepEqual(waiting.map((w) => w.res.json.waitingRoom.position), [1, 2, 3, 4, 5]);
  const queued = waiting.map((w) => w.s);

  // Pages: the waiting page at the address asked for, with the place on it, from either process.
  const page = await queued[2]!.request(b, 'GET', '/', undefined, { accept: 'text/html' });
  assert.equal(page.status, 200);
  assert.match(page.text, /http-equiv="refresh"/);
  assert.match(page.text, /id="position">3</, 'position 3 shown on the page');

  const state = await ops();
  assert.equal(state.state, 'queueing');
  assert.equal(state.activeUsers, 3);
  assert.equal(state.queuedUsers, 5);
  assert.equal(state.replicas, 2);

  // A tampered pass (one character of the signed payload changed) is a new arrival: the back of the queue.
  const tamperer = queued[1]!;
  const [payload, sig] = [tamperer.pass!.slice(0, tamperer.pass!.lastIndexOf('.')), tamperer.pass!.slice(tamperer.pass!.lastIndexOf('.') + 1)];
  tamperer.pass = `${payload.replace(/\.q[0-9a-z]+\./, '.q1.')}.${sig}`;
  assert.notEqual(tamperer.pass, `${payload}.${sig}`, 'the pass changed');
  const back = await tamperer.request(a, 'GET', '/api/products?limit=2');
  assert.equal(back.status, 429);
  assert.equal(back.json.waitingRoom.position, 6, 'behind everyone, its old place still counted until it lapses');

  // An admitted shopper checks out while the others wait.
  const payer = admitted[0]!;
  const product = await productWithStock(db.pool, 2);
  const cart = await payer.request(b, 'POST', '/api/carts', {});
  assert.equal(cart.status, 201, cart.text);
  assert.equal((await payer.request(a, 'POST', `/api/carts/${cart.json.id}/items`, { productId: product.id, quantity: 1 })).status, 200);
  const order = await payer.request(b, 'POST', '/api/checkout',
    { cartId: cart.json.id, email: 'ada@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() });
  assert.equal(order.status, 202, order.text);
  assert.equal(order.json.status, 'pending_payment');
  for (const q of [queued[0]!, queued[2]!]) assert.equal((await q.request(a, 'GET', '/api/products?limit=2')).status, 429, 'the others still wait');

  // The payer leaves; the other two admitted shoppers keep browsing; the queue refreshes. Once the payer's
  // session has lapsed (and the per-minute limit allows), the shopper at position 1 is let in next.
  const stayers = admitted.slice(1);
  const deadline = Date.now() + 120_000;
  let letIn: Shopper | undefined;
  let round = 0;
  while (!letIn && Date.now() < deadline) {
    round++;
    for (const s of stayers) assert.equal((await s.request(round % 2 ? a : b, 'GET', '/api/products?limit=2')).status, 200, `${s.name} stays in while active`);
    for (const q of [queued[0]!, queued[2]!, queued[3]!, queued[4]!, tamperer]) {
      const res = await q.request(round % 2 ? b : a, 'GET', '/api/products?limit=2');
      if (res.status === 200) {
        assert.equal(letIn, undefined, `only one place opened, but ${q.name} got in too`);
        letIn = q;
      }
    }
    await sleep(1000);
  }
  assert.equal(letIn, queued[0], `the shopper at position 1 is let in next (${letIn?.name ?? 'nobody'} was)`);
  const positions = [];
  for (const q of [queued[2]!, queued[3]!, queued[4]!, tamperer]) {
    const res = await q.request(a, 'GET', '/api/products?limit=2');
    assert.equal(res.status, 429);
    positions.push(res.json.waitingRoom.position);
  }
  // Tickets 3, 4, 5 and the tamperer's 6 behind the frontier, now at ticket 2: the tamperer's old place
  // is still counted ahead of them until it lapses (a closed tab keeps its place for 5 minutes).
  assert.deepEqual(positions, [2, 3, 4, 5]);
  assert.equal((await letIn!.request(b, 'GET', '/api/products?limit=2')).status, 200, 'in, on the other process too');
});
