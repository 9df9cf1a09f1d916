// `holdfast start --autoscale` as an operator runs it, on a real database: the supervisor forks every role;
// a payment backlog (a slow provider, one job at a time per process) scales payments out within 30 s of its
// oldest job passing the policy's target and back in only after the scale-down stabilisation window; a
// SIGKILLed process of every role is replaced, each exit and restart is a change event, and every order
// accepted meanwhile is paid.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { REPO_ROOT, spawnHoldfast, type HoldfastProcess } from '../helpers/child-processes.ts';
import { freePortRange } from '../helpers/free-port.ts';
import { freePortPair } from '../helpers/role-processes.ts';
import { productInStock, placeOrder, orderStatus, setFault, clearFault, type PlacedOrder } from '../helpers/shop.ts';

const ADMIN_TOKEN = `autoscale-admin-${randomBytes(12).toString('hex')}`;
const TARGET_AGE_SECONDS = 3;
const SCALE_DOWN_WINDOW_SECONDS = 12;

let db: TestDatabase | undefined;
let supervisor: HoldfastProcess | undefined;
let dir: string | undefined;
after(async () => {
  await supervisor?.stop(30_000);
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface RoleStatus {
  role: string; current: number; desired: number; max: number;
  limitedBy: { reason: string; message: string } | null;
  decisions: { at: string; current: number; desired: number; direction: string; applied: boolean; limitedBy: { reason: string } }[];
  replicas: { name: string; pid: number | null; ready: boolean }[];
}

async function scaling(opsUrl: string): Promise<RoleStatus[] | undefined> {
  try {
    const res = await fetch(`${opsUrl}/api/ops/scaling`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    return ((await res.json()) as { roles: RoleStatus[] }).roles;
  } catch {
    return undefined; // the control role is restarting
  }
}

const role = (roles: RoleStatus[] | undefined, name: string) => roles?.find((r) => r.role === name);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${supervisor?.output().slice(-4000)}`);
    await sleep(200);
  }
}

/** Places an order, retrying with the same key while the storefront is unreachable (its replica restarting). */
async function placeOrderRetrying(url: string, productId: string): Promise<PlacedOrder> {
  for (let i = 0; ; i++) {
    try {
      return await placeOrder(url, { productId });
    } catch (err) {
      if (i >= 50) throw err;
      await sleep(200);
    }
  }
}

test('under --autoscale a payment backlog scales payments out and back after the window; killed processes of every role are replaced; no accepted order is lost', { timeout: 240_000 }, async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'holdfast-autoscale-'));
  const policyFile = path.join(dir, 'scaling.json');
  await writeFile(policyFile, JSON.stringify({
    roles: {
      storefront: { minReplicas: 1, maxReplicas: 1 },
      payments: {
        minReplicas: 1, maxReplicas: 3,
        metrics: [{ type: 'queue-oldest-age', targetSeconds: TARGET_AGE_SECONDS }],
        behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_DOWN_WINDOW_SECONDS } },
      },
    },
  }));
  const port = await freePortRange(6);
  const pspPort = await freePortPair();
  supervisor = spawnHoldfast(['start', '--autoscale'], {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: String(port), HOLDFAST_ADMIN_TOKEN: ADMIN_TOKEN,
    HOLDFAST_SEED_PRODUCTS: '40', HOLDFAST_PSP_PORT: String(pspPort),
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `autoscale-${db.name}`), HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    HOLDFAST_SCALING_POLICY: policyFile, HOLDFAST_AUTOSCALER_INTERVAL_MS: '1000', HOLDFAST_AUTOSCALER_METRIC_WINDOW_SECONDS: '10',
    // One payment job at a time per process, so that a slow provider makes a backlog a second process clears faster.
    HOLDFAST_PAYMENT_WORKER_CONCURRENCY: '1', HOLDFAST_PAYMENT_JOB_HEARTBEAT_SECONDS: '10', HOLDFAST_SHUTDOWN_GRACE_MS: '5000',
  });
  const url = `http://127.0.0.1:${port}`;
  const opsUrl = `http://127.0.0.1:${port + 1}`;
  await until('every role running', 90_000, async () => {
    const roles = await scaling(opsUrl);
    return roles && ['storefront', 'payments', 'psp', 'control'].every((r) => role(roles, r)?.replicas.some((x) => x.ready)) && roles;
  });
  await until('the storefront serving', 30_000, async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200);

  // 1. A backlog: the provider answers in 1.5 s, each process works one job at a time.
  await setFault(url, ADMIN_TOKEN, 'psp.latency', { latencyMs: 1500 });
  const accepted: PlacedOrder[] = [];
  const product = await productInStock(url, 40);
  // The oldest job was created after this moment, so it passed its target no earlier than this + the target.
  const firstPlacedAt = Date.now();
  for (let i = 0; i < 16; i++) accepted.push(await placeOrder(url, { productId: product.id }));
  const agePassedAt = firstPlacedAt + TARGET_AGE_SECONDS * 1000;
  const scaledOut = await until('payments scaled out', 45_000, async () => {
    const p = role(await scaling(opsUrl), 'payments');
    return p && p.current >= 2 && p;
  });
  const scaledOutAfterAgeMs = Date.now() - agePassedAt;
  assert.ok(scaledOutAfterAgeMs <= 30_000, `payments scaled out ${scaledOutAfterAgeMs} ms after the oldest job passed its target`);
  const up = scaledOut.decisions.find((d) => d.direction === 'up');
  assert.ok(up?.applied, 'the scale-out decision was applied by the supervisor');
  await until('a second payments process ready', 30_000, async () => (role(await scaling(opsUrl), 'payments')?.replicas.filter((r) => r.ready).length ?? 0) >= 2);
  console.log(`scale-out ${scaledOutAfterAgeMs} ms after the oldest job passed ${TARGET_AGE_SECONDS} s: ${up!.current} -> ${up!.desired}`);

  // 2. The backlog clears; payments scale back only once the scale-down window has passed.
  await clearFault(url, ADMIN_TOKEN, 'psp.latency');
  await until('the backlog paid', 60_000, async () => (await Promise.all(accepted.map((o) => orderStatus(url, o)))).every((s) => s === 'paid'));
  const clearedAt = Date.now();
  const down = await until('payments scaled back in', 60_000, async () => role(await scaling(opsUrl), 'payments')?.decisions.find((d) => d.direction === 'down'));
  const downAfterClearMs = Date.parse(down.at) - clearedAt;
  console.log(`scale-in ${downAfterClearMs} ms after the backlog was paid (window ${SCALE_DOWN_WINDOW_SECONDS} s), ${down.current} -> ${down.desired}`);
  // The last high recommendation was made at most one run (1 s) plus a reading's window before the backlog was
  // seen paid here; the window holds the count for SCALE_DOWN_WINDOW_SECONDS after it.
  assert.ok(downAfterClearMs >= (SCALE_DOWN_WINDOW_SECONDS - 4) * 1000, `scaled in ${downAfterClearMs} ms after the backlog cleared, before the ${SCALE_DOWN_WINDOW_SECONDS} s window`);

  const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
  assert.match(metrics, /holdfast_autoscaler_decisions_total\{[^}]*role="payments",direction="up"[^}]*\} [1-9]/);
  assert.match(metrics, /holdfast_autoscaler_decisions_total\{[^}]*role="payments",direction="down"[^}]*\} [1-9]/);
  assert.match(metrics, /holdfast_autoscaler_replicas\{[^}]*role="payments"[^}]*\} \d/);

  // 3. A SIGKILLed process of each role is replaced; orders placed meanwhile are all paid.
  const product2 = await productInStock(url, 20, 1);
  for (const name of ['payments', 'psp', 'storefront', 'control']) {
    const before = role(await until('the scaling status', 30_000, () => scaling(opsUrl)), name)!;
    const victim = before.replicas.find((r) => r.ready && r.pid !== null)!;
    const killedAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    const order = placeOrderRetrying(url, product2.id).then((o) => { accepted.push(o); });
    const replaced = await until(`${name} replaced`, 60_000, async () => {
      const r = role(await scaling(opsUrl), name)?.replicas.find((x) => x.name === victim.name);
      return r && r.pid !== null && r.pid !== victim.pid && r;
    });
    // The control role answers again only once its replacement is ready: spawning is measured from the change log.
    const restarted: { rows: { at: string }[] } = await db!.pool.query<{ at: string }>(
      `SELECT details->>'at' AS at FROM change_events WHERE kind = 'process.restarted' AND subject = $1 AND details->>'replica' = $2 ORDER BY id DESC LIMIT 1`,
      [name, victim.name],
    );
    assert.ok(restarted.rows[0], `process.restarted recorded for ${victim.name}`);
    const replacedInMs = Date.parse(restarted.rows[0].at) - killedAt;
    console.log(`${name}: ${victim.name} (pid ${victim.pid}) SIGKILLed, replacement pid ${replaced.pid} started ${replacedInMs} ms later`);
    assert.ok(replacedInMs <= 5000, `${name} replaced ${replacedInMs} ms after SIGKILL`);
    await order;
    await until(`${name} ready again`, 60_000, async () => role(await scaling(opsUrl), name)?.replicas.find((x) => x.name === victim.name)?.ready);
    console.log(`${name}: ${victim.name} ready again ${Date.now() - killedAt} ms after SIGKILL (as seen on /api/ops/scaling, polled every 200 ms)`);
  }
  await until('every accepted order paid', 90_000, async () => (await Promise.all(accepted.map((o) => orderStatus(url, o).catch(() => 'unknown')))).every((s) => s === 'paid'));

  const changes = await db.pool.query<{ kind: string; subject: string }>(`SELECT kind, subject FROM change_events WHERE kind IN ('process.exited', 'process.restarted', 'scaling.decided')`);
  for (const name of ['payments', 'psp', 'storefront', 'control']) {
    assert.ok(changes.rows.some((c) => c.kind === 'process.exited' && c.subject === name), `process.exited recorded for ${name}`);
    assert.ok(changes.rows.some((c) => c.kind === 'process.restarted' && c.subject === name), `process.restarted recorded for ${name}`);
  }
  assert.ok(changes.rows.some((c) => c.kind === 'scaling.decided' && c.subject === 'payments'), 'scaling decisions recorded');
  // The control role restarted too: its counters start again, with its own exit told to it once it was back.
  const afterRestarts = await (await fetch(`${opsUrl}/metrics`)).text();
  assert.match(afterRestarts, /holdfast_supervisor_restarts_total\{[^}]*role="control"[^}]*\} 1/);

  // 4. SIGTERM drains every role and the supervisor exits 0.
  const proc = supervisor;
  supervisor = undefined;
  proc.child.kill('SIGTERM');
  const exit = await proc.exited;
  assert.equal(exit.code, 0, proc.output().slice(-3000));
});
