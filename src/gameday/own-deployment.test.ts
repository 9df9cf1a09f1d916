// The deployment a game day starts, with a stand-in for `holdfast start` (a small server that answers
// /readyz and shows the environment it was given): a Ctrl-C during start-up stops it at once; the ledger is
// read with the simulator keys the deployment was given, not the caller's; the deployment's output is kept
// where asked; and however the game day ends (its stop, a second Ctrl-C's process.exit, SIGKILL) no process
// of the shop and no data dir is left behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeploymentStartAborted, startOwnDeployment } from './own-deployment.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-own-deployment-test-'));
after(() => rm(dir, { recursive: true, force: true }));

/** Stands in for `holdfast start`: /readyz answers after FAKE_READY_AFTER_MS (never when unset), /env shows the PSP keys. */
const fakeCli = path.join(dir, 'fake-holdfast.ts');
await writeFile(fakeCli, `
import http from 'node:http';
const readyAt = process.env.FAKE_READY_AFTER_MS ? Date.now() + Number(process.env.FAKE_READY_AFTER_MS) : Infinity;
http.createServer((req, res) => {
  if (req.url === '/readyz') { res.statusCode = Date.now() >= readyAt ? 200 : 503; res.end(); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ primary: process.env.HOLDFAST_PSP_PRIMARY_SECRET_KEY, secondary: process.env.HOLDFAST_PSP_SECONDARY_SECRET_KEY }));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('fake shop listening on ' + process.env.PORT));
process.on('SIGTERM', () => { console.log('fake shop stopping'); process.exit(0); });
`);

/** A game day in a process of its own: starts the deployment, prints its shop's pid and data dir, then exits (process.exit) or waits. */
const driver = path.join(dir, 'driver.ts');
await writeFile(driver, `
import { startOwnDeployment } from ${JSON.stringify(path.join(import.meta.dirname, 'own-deployment.ts'))};
const d = await startOwnDeployment({ cliPath: ${JSON.stringify(fakeCli)}, autoscale: false, env: { FAKE_READY_AFTER_MS: '0' }, log: () => {}, signal: new AbortController().signal });
console.log(JSON.stringify({ shopPid: d.pids()[0], dataDir: d.dataDir }));
if (process.argv[2] === 'exit') process.exit(130);
setInterval(() => {}, 1000);
`);

const gone = (pid: number) => { try { process.kill(-pid, 0); return false; } catch { return true; } };
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`not within ${ms / 1000} s: ${what}`);
    await sleep(200);
  }
}
const exists = (p: string) => stat(p).then(() => true, () => false);

/** Runs the driver; resolves with its child and what it printed once the deployment is ready. */
async function drive(mode: 'exit' | 'wait') {
  const child = spawn(process.execPath, [driver, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually('the driver printed its deployment', () => out.includes('\n') || child.exitCode !== null, 30_000);
  return { child, exited, started: JSON.parse(out.split('\n')[0]!) as { shopPid: number; dataDir: string } };
}

test('a Ctrl-C during start-up stops it at once: what was started is stopped, its data dir removed and its output kept', { timeout: 60_000 }, async () => {
  const cancel = new AbortController();
  const lines: string[] = [];
  const log = path.join(dir, 'interrupted.deployment.log');
  const starting = startOwnDeployment({
    cliPath: fakeCli, autoscale: false, env: {}, signal: cancel.signal, keepLogAtOnFailure: log,
    log: (line) => { lines.push(line); },
  });
  // Ctrl-C once the shop answers (not ready: 503), so that it has printed something to keep.
  void eventually('the shop answers', async () => {
    const port = /port (\d+)\)/.exec(lines.join('\n'))?.[1];
    const answered = port !== undefined && await fetch(`http://127.0.0.1:${port}/readyz`).then(() => true, () => false);
    if (answered) cancel.abort();
    return answered;
  });
  const t0 = Date.now();
  await assert.rejects(starting, DeploymentStartAborted);
  const group = Number(/process group: (\d+)/.exec(lines.join('\n'))?.[1]);
  const dataDir = /data dir (\S+),/.exec(lines.join('\n'))?.[1];
  assert.ok(Date.now() - t0 < 15_000, `stopped within 15 s of the Ctrl-C, not after the 180 s start-up limit (${Date.now() - t0} ms)`);
  assert.ok(group > 0 && gone(group), 'no process of the shop is left');
  assert.equal(await exists(dataDir!), false, 'its data dir is removed');
  assert.match(await readFile(log, 'utf8'), /fake shop listening/, "the shop's output is kept");
});

test("the deployment's simulator keys are its own, not the caller's, and are the keys its ledger is read with; its output is kept where asked", { timeout: 60_000 }, async () => {
  const saved = process.env.HOLDFAST_PSP_PRIMARY_SECRET_KEY;
  process.env.HOLDFAST_PSP_PRIMARY_SECRET_KEY = 'sk_test_a_developers_own_key';
  try {
    const d = await startOwnDeployment({ cliPath: fakeCli, autoscale: false, env: { FAKE_READY_AFTER_MS: '0' }, log: () => {}, signal: new AbortController().signal });
    const given = await (await fetch(`${d.urls.storefront}/env`)).json() as { primary: string; secondary: string };
    assert.match(given.primary, /^sk_test_/, 'the shop was given its primary key');
    assert.match(given.secondary, /^sk_test_/, 'the shop was given its secondary key');
    assert.deepEqual(d.pspKeys, [given.primary, given.secondary]);
    assert.notEqual(d.pspKeys[0], 'sk_test_a_developers_own_key');
    const log = path.join(dir, 'run.deployment.log');
    await d.stop({ keepLogAt: log });
    assert.match(await readFile(log, 'utf8'), /fake shop listening[\s\S]*fake shop stopping/);
    assert.ok(gone(d.pids()[0]!), 'no process of the shop is left');
    assert.equal(await exists(d.dataDir), false, 'its data dir is removed');
  } finally {
    if (saved === undefined) delete process.env.HOLDFAST_PSP_PRIMARY_SECRET_KEY;
    else process.env.HOLDFAST_PSP_PRIMARY_SECRET_KEY = saved;
  }
});

test('a game day that exits at once (a second Ctrl-C) leaves no process of its shop and no data dir', { timeout: 60_000 }, async () => {
  const { exited, started } = await drive('exit');
  assert.equal(await exited, 130);
  await eventually('the shop is gone', () => gone(started.shopPid), 5_000);
  assert.equal(await exists(started.dataDir), false, 'its data dir is removed on the way out');
});

test('a game day killed outright (SIGKILL) leaves no process of its shop and no data dir', { timeout: 60_000 }, async () => {
  const { child, exited, started } = await drive('wait');
  assert.ok(!gone(started.shopPid), 'the shop runs');
  child.kill('SIGKILL');
  await exited;
  await eventually('the shop is stopped', () => gone(started.shopPid));
  await eventually('its data dir is removed', async () => !(await exists(started.dataDir)));
});
