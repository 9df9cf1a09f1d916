// The CLI's client commands find a shop the way `holdfast start` serves it: a shop started with only a
// non-default PORT (as `PORT=... npm start` does) is reached by `holdfast faults` and `holdfast loadtest`
// with only PORT set, the admin token read from the data dir the shop wrote it to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { freePort } from '../helpers/free-port.ts';
import { spawnHoldfast, type HoldfastProcess } from '../helpers/child-processes.ts';

let db: TestDatabase;
let dir: string;
let port: number;
let shop: HoldfastProcess;

before(async () => {
  db = await createTestDatabase();
  // The shop's working directory: its data dir is the default .holdfast in here.
  dir = await mkdtemp(path.join(tmpdir(), 'holdfast-cli-'));
  port = await freePort();
  shop = spawnHoldfast(['start', '--target', 'storefront'], { PORT: String(port), DATABASE_URL: db.url, HOLDFAST_SEED_ON_START: 'false' }, { cwd: dir });
  const deadline = Date.now() + 60_000;
  while (!/Holdfast is running/.test(shop.stdout())) {
    assert.equal(shop.child.exitCode, null, `the shop exited:\n${shop.output()}`);
    assert.ok(Date.now() < deadline, `the shop did not start:\n${shop.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});
after(async () => {
  await shop?.stop();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** `holdfast <args>` in the shop's directory with PORT alone (plus PATH and HOME). */
async function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  const proc = spawnHoldfast(args, { PORT: String(port) }, { cwd: dir });
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

test('holdfast faults reaches a shop started with PORT=<non-default>, with only PORT set', async () => {
  assert.ok(existsSync(path.join(dir, '.holdfast', 'admin-token')), 'the shop wrote its generated admin token to its data dir');
  const set = await cli(['faults', 'set', 'psp.latency', '{"latencyMs":5}', '--ttl', '60']);
  assert.equal(set.code, 0, set.output);
  const list = await cli(['faults', 'list']);
  assert.equal(list.code, 0, list.output);
  assert.match(list.output, /psp\.latency\s+ON\s+\{"latencyMs":5/);
  assert.match(list.output, /psp\.down\s+off/);
  const cleared = await cli(['faults', 'clear', 'psp.latency']);
  assert.equal(cleared.code, 0, cleared.output);
});

test('holdfast loadtest targets the same shop by default', async () => {
  const run = await cli(['loadtest', 'browse', '--rate', '2', '--duration', '2s', '--quiet']);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, new RegExp(`localhost:${port}`), 'the summary names the shop it loaded');
});
