// Issue 3, acceptance 2: at least 500 checkouts while payment worker processes are killed with SIGKILL at
// random moments (and restarted), with a slow simulator that also loses some answers after charging.
// Afterwards every order is paid or payment_failed, the simulator ledger holds exactly one succeeded
// charge per paid order and none for the rest, and the amounts match.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp, api, SHIPPING, type TestApp } from '../helpers/test-app.ts';
import { setFault, admin } from '../helpers/shop.ts';
import { succeededChargesByOrder } from '../../src/psp/index.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CHECKOUTS = 500;
const WORKERS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let app: TestApp | undefined;
const workers = new Set<ChildProcess>();
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await app?.stop();
});

function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [path.join(ROOT, 'src/cli.ts'), 'start', '--target', 'payments'], {
    cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', () => {}); // drain; a killed worker's half-written log line is expected
  workers.add(child);
  child.on('exit', () => workers.delete(child));
  return child;
}

test(`${CHECKOUTS} checkouts while payment workers are SIGKILLed at random: exactly one charge per paid order`, { timeout: 600_000 }, async () => {
  // The storefront creates the payment queue: it must get the workers' job expiry, or jobs enqueued
  // before the first worker starts keep the default 60 s before a killed worker's job is redelivered.
  app = await startTestApp({ targets: ['storefront', 'psp'], config: { pspPort: 0, paymentJobExpireSeconds: 6, paymentJobRetryDelaySeconds: 1 } });
  const { url, adminToken } = app;
  // A slow simulator that also loses 10% of its answers after charging (the worst case for exactly-once).
  await setFault(url, adminToken, 'psp.latency', { latencyMs: 150, jitterMs: 250 });
  await setFault(url, adminToken, 'psp.errors', { rate: 0.1, phase: 'after', statuses: [503] });

  const products = (await api(url, 'GET', '/api/products?limit=10')).json.items.slice(0, 5) as { id: string }[];
  for (const p of products) {
    const res = await admin(url, adminToken, 'PUT', `/api/admin/products/${p.id}/stock`, { onHand: 10_000 });
    assert.equal(res.status, 200, res.text);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: app.db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn',
    HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_PAYMENT_PROVIDERS: JSON.stringify(app.ctx.pspAccounts),
    HOLDFAST_PAYMENT_JOB_EXPIRE_SECONDS: '6', HOLDFAST_PAYMENT_JOB_RETRY_DELAY_SECONDS: '1',
    HOLDFAST_PROVIDER_TIMEOUT_MS: '1500', HOLDFAST_RECONCILE_INTERVAL_SECONDS: '0',
  };
  for (let i = 0; i < WORKERS; i++) spawnWorker(env);

  let kills = 0;
  let killing = true;
  const killer = (async () => {
    while (killing) {
      await sleep(800 + Math.random() * 2200);
      const victims = [...workers];
      const victim = victims[Math.floor(Math.random() * victims.length)];
      if (!victim || !killing) continue;
      victim.kill('SIGKILL');
      kills++;
      await sleep(Math.random() * 500);
      spawnWorker(env);
    }
  })();

  // Checkouts, 20 at a time; one in ten uses a card that is declined.
  const orders: { orderId: string; total: number; declined: boolean }[] = [];
  const started = Date.now();
  for (let batch = 0; batch < CHECKOUTS / 20; batch++) {
    orders.push(...await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const n = batch * 20 + i;
      const declined = n % 10 === 9;
      const cart = await api(url, 'POST', '/api/carts', {});
      const added = await api(url, 'POST', `/api/carts/${cart.json.id}/items`, { productId: products[n % products.length]!.id, quantity: 1 + (n % 3) });
      const res = await api(url, 'POST', '/api/checkout', {
        cartId: cart.json.id, email: `crash-${n}@example.com`, shippingAddress: SHIPPING,
        paymentMethod: declined ? 'pm_card_chargeDeclined' : 'pm_card_visa',
      }, { 'idempotency-key': randomUUID() });
      assert.equal(res.status, 202, res.text);
      return { orderId: res.json.orderId as string, total: added.json.subtotal.amount as number, declined };
    })));
  }
  const accepted = Date.now();

  // Keep killing until most orders are settled, then let the survivors finish the rest.
  const deadline = Date.now() + 300_000;
  let pending = CHECKOUTS;
  while (Date.now() < deadline) {
    pending = (await app.db.pool.query(`SELECT count(*)::int AS n FROM orders WHERE status = 'pending_payment'`)).rows[0].n;
    if (pending < CHECKOUTS * 0.4) killing = false;
    if (pending === 0) break;
    await sleep(500);
  }
  killing = false;
  await killer;
  const settled = Date.now();

  const { rows } = await app.db.pool.query<{ id: string; status: string; total_amount: number }>(`SELECT id, status, total_amount FROM orders`);
  const byStatus = rows.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  const charges = await succeededChargesByOrder(app.db.pool);
  const attempts = (await app.db.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM payment_attempts GROUP BY status`)).rows;
  const resolvedInDoubt = (await app.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM payment_attempts WHERE status IN ('succeeded', 'declined') AND error_message IS NOT NULL`)).rows[0]!.n;
  let chargesOnPaid = 0; let duplicates = 0; let onUnpaid = 0; let amountMismatches = 0;
  for (const r of rows) {
    const c = charges.get(r.id);
    if (r.status === 'paid') {
      chargesOnPaid += c?.charges ?? 0;
      if ((c?.charges ?? 0) !== 1) duplicates++;
      if (c && c.amount !== r.total_amount) amountMismatches++;
    } else if (c) onUnpaid += c.charges;
  }
  const stray = [...charges.keys()].filter((id) => !rows.some((r) => r.id === id)).length;
  console.log([
    `crash test: ${CHECKOUTS} checkouts accepted in ${((accepted - started) / 1000).toFixed(1)} s, all settled ${((settled - accepted) / 1000).toFixed(1)} s later`,
    `  worker SIGKILLs: ${kills} (${WORKERS} workers, restarted after each kill)`,
    `  orders: ${JSON.stringify(byStatus)}`,
    `  attempts: ${JSON.stringify(Object.fromEntries(attempts.map((a) => [a.status, a.n])))}; answers lost or interrupted then resolved with the same key: ${resolvedInDoubt}`,
    `  ledger: ${chargesOnPaid} succeeded charges for ${byStatus.paid ?? 0} paid orders; paid orders without exactly one charge: ${duplicates}; charges on unpaid orders: ${onUnpaid}; charges without an order: ${stray}; amount mismatches: ${amountMismatches}`,
  ].join('\n'));

  assert.equal(pending, 0, 'every order settled');
  assert.equal((byStatus.paid ?? 0) + (byStatus.payment_failed ?? 0), CHECKOUTS, 'every order is paid or payment_failed');
  assert.equal(byStatus.payment_failed, CHECKOUTS / 10, 'exactly the declined cards failed');
  assert.ok(kills >= 5, `workers were killed during the run (${kills})`);
  assert.equal(duplicates, 0);
  assert.equal(onUnpaid, 0);
  assert.equal(stray, 0);
  assert.equal(amountMismatches, 0);
  assert.equal(chargesOnPaid, byStatus.paid);
  for (const o of orders) assert.equal(rows.find((r) => r.id === o.orderId)?.status, o.declined ? 'payment_failed' : 'paid');
});
