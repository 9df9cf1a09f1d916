// `mode: auto` on a real storefront process: shoppers browse; the storefront's latency is pushed past the
// objective (the storefront.latency fault, 900 ms on every shopper request); the room engages by itself
// within 10 s and queues new shoppers; once the latency is back the queue drains and the room disengages.
// (How the admitted shoppers' p99 fares under a real overload is measured by the overload bench, not here:
// a fixed added latency does not fall with fewer shoppers inside.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { REPO_ROOT, type HoldfastProcess } from '../helpers/child-processes.ts';
import { startRole, stopRole, type RoleProcess } from '../helpers/role-processes.ts';

const ADMIN_TOKEN = `auto-admin-${randomBytes(12).toString('hex')}`;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

let db: TestDatabase;
let shop: RoleProcess;
const started: HoldfastProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  shop = await startRole('storefront', {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: ADMIN_TOKEN, HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `room-auto-${db.name}`), HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    HOLDFAST_WAITING_ROOM: JSON.stringify({
      mode: 'auto', totalActiveUsers: 1000, newUsersPerMinute: 1000, refreshIntervalSeconds: 1,
      auto: { latencyObjectiveMs: 500, minNewUsersPerMinute: 1, disengageAfterSeconds: 3 },
    }),
    HOLDFAST_WAITING_ROOM_SYNC_MS: '250',
  }, started);
});

after(async () => {
  if (shop) await stopRole(shop);
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await db?.drop();
});

async function get(url: string, pass?: string) {
  const res = await fetch(url, { headers: pass ? { cookie: `hf_waitingroom=${pass}` } : {} });
  let next = pass;
  for (const c of res.headers.getSetCookie()) { const m = /^hf_waitingroom=([^;]*)/.exec(c); if (m) next = m[1]; }
  const text = await res.text();
  return { status: res.status, pass: next, json: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

const ops = async () => (await (await fetch(`${shop.url}/api/ops/waiting-room`, { headers: admin })).json()) as {
  state: string; queuedUsers: number; auto: { engaged: boolean; newUsersPerMinute: number; reason: string } | null;
};

test('auto engages within 10 s of the latency passing the objective, queues new shoppers, and disengages once it is back', { timeout: 120_000 }, async () => {
  // Four shoppers browse, each with their pass, a request at a time.
  let browsing = true;
  const passes: (string | undefined)[] = [undefined, undefined, undefined, undefined];
  const loops = passes.map(async (_, i) => {
    while (browsing) {
      const r = await get(`${shop.url}/api/products?limit=2`, passes[i]);
      passes[i] = r.pass;
      await sleep(100);
    }
  });
  try {
  await sleep(2000);
  const calm = await ops();
  assert.equal(calm.auto?.engaged, false, `not queueing while the shop is fast: ${calm.auto?.reason}`);
  assert.equal((await get(`${shop.url}/api/products?limit=2`)).status, 200, 'a new shopper walks straight in');

  const put = await fetch(`${shop.url}/api/admin/faults/storefront.latency`, {
    method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs: 900 }),
  });
  assert.equal(put.status, 200);
  const slowFrom = Date.now();
  let engagedAfterMs: number | undefined;
  while (Date.now() - slowFrom < 30_000) {
    const s = await ops();
    if (s.auto?.engaged) { engagedAfterMs = Date.now() - slowFrom; break; }
    await sleep(250);
  }
  assert.ok(engagedAfterMs !== undefined, 'the room engaged by itself');
  assert.ok(engagedAfterMs <= 10_000, `engaged ${engagedAfterMs} ms after the latency passed the objective`);

  const newcomer = await get(`${shop.url}/api/products?limit=2`);
  assert.equal(newcomer.status, 429, 'a new shopper now waits');
  assert.equal(newcomer.json.error.code, 'WAITING_ROOM');
  let waiting = newcomer.pass;

  const cleared = await fetch(`${shop.url}/api/admin/faults/storefront.latency`, { method: 'DELETE', headers: admin });
  assert.equal(cleared.status, 204);
  const fastFrom = Date.now();
  let letIn = false;
  let disengaged = false;
  while (Date.now() - fastFrom < 60_000 && !(letIn && disengaged)) {
    if (!letIn) {
      const r = await get(`${shop.url}/api/products?limit=2`, waiting);
      waiting = r.pass;
      letIn = r.status === 200;
    }
    const s = await ops();
    disengaged = s.auto?.engaged === false;
    if (disengaged) assert.ok(letIn || s.queuedUsers === 0, 'disengaged only with the queue empty');
    await sleep(500);
  }
  assert.ok(letIn, 'the waiting shopper was let in once the shop was fast again');
  assert.ok(disengaged, 'the room disengaged after the load ended');
  } finally {
    browsing = false;
    await Promise.allSettled(loops);
  }
});
