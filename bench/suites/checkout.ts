// Suite "checkout" (issue 3, acceptance 5): orders accepted per second end to end (POST /api/checkout
// over HTTP, each one a full checkout transaction: idempotency record, cart lock, stock reservation,
// order with price snapshot, payment job) and orders paid per second (payment workers settling through
// the provider simulator at 0 ms latency), as a ratio to pgbench's TPC-B-like transaction rate against
// the same PostgreSQL server in the same run. Target: checkouts accepted at 0.5 or more of pgbench's tps.
//
// Roles run as separate processes, as in production: `--target storefront` accepts the checkouts (the
// payment jobs queue up), then `--target psp,payments` on the same database drains the queue, so each
// rate is the rate of its own role rather than of one process doing everything.
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { startHoldfast, type HoldfastInstance } from '../lib/holdfast.ts';
import { sleep } from '../lib/processes.ts';
import { freePort } from '../../src/platform/process/free-port.ts';
import { check, fmt, median, type Suite, type SuiteContext, type SuiteOutcome } from '../lib/suite.ts';
import { dropPgbenchDatabase, initPgbench, runPgbench } from '../pgbench.ts';

export const RATIO_TARGET = 0.5;
const CONCURRENCY = 32;
const PGBENCH_CLIENTS = 10;
const PRODUCTS = 200;

export interface Http { pool: Pool; adminToken?: string }

export async function call(http: Http, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await http.pool.request({
    method, path,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

/** Runs fn(i) for i in [0, n) with at most `concurrency` in flight. */
export async function inParallel(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

// The checkout rounds and the pgbench rounds run minutes apart; on a shared machine the background load
// can differ between them and move the ratio either way, so each round reports the load it ran under.
const load = () => `load average ${fmt(os.loadavg()[0]!, 2)} on ${os.availableParallelism()} cores`;

export const SHIPPING = { name: 'Bench Shopper', line1: '1 Load Street', city: 'Testville', postalCode: '10001', country: 'US' };

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
  ctx.progress('checkout: starting Holdfast --target storefront with its embedded PostgreSQL');
  const hf: HoldfastInstance = await startHoldfast({
    name: 'checkout', targets: 'storefront', dataDir: path.join(ctx.scratchDir, 'holdfast'), log: ctx.progress,
    env: { HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000000' },
  });
  let payments: HoldfastInstance | undefined;
  const http: Http = { pool: new Pool(hf.url, { connections: CONCURRENCY }), adminToken };
  const db = new pg.Client({ ...hf.pg, database: 'holdfast' });
  await db.connect();
  const auth = { authorization: `Bearer ${adminToken}` };
  try {
    // Stock on many products, as in a real shop (one hot row would measure lock queueing instead).
    const productIds: string[] = [];
    let cursor: string | null = null;
    while (productIds.length < PRODUCTS) {
      const page = await call(http, 'GET', `/api/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      productIds.push(...page.json.items.map((p: { id: string }) => p.id));
      cursor = page.json.nextCursor;
      if (!cursor) break;
    }
    await inParallel(productIds.length, 8, async (i) => {
      const r = await call(http, 'PUT', `/api/admin/products/${productIds[i]}/stock`, { onHand: 1_000_000 }, auth);
      if (r.status !== 200) throw new Error(`setting stock failed: ${r.status}`);
    });

    const perRound = options.quick ? 600 : 2000;
    const accepted: number[] = [];
    const paid: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      // Carts are prepared first (not timed): the measured part is the checkout itself.
      const carts: string[] = new Array(perRound);
      await inParallel(perRound, CONCURRENCY, async (i) => {
        const cart = await call(http, 'POST', '/api/carts', {});
        const add = await call(http, 'POST', `/api/carts/${cart.json.id}/items`, { productId: productIds[i % productIds.length], quantity: 1 });
        if (add.status !== 200) throw new Error(`add to cart failed: ${add.status}`);
        carts[i] = cart.json.id;
      });
      const paidBefore = Number((await db.query(`SELECT count(*) AS n FROM orders WHERE status = 'paid'`)).rows[0].n);
      if (payments) { await payments.stop(); payments = undefined; }
      let failures = 0;
      const started = performance.now();
      await inParallel(perRound, CONCURRENCY, async (i) => {
        const res = await call(http, 'POST', '/api/checkout', { cartId: carts[i], email: `bench${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() });
        if (res.status !== 202) failures++;
      });
      const acceptSeconds = (performance.now() - started) / 1000;
      if (failures) throw new Error(`${failures} checkouts were not accepted`);
      // Paid: the payments role (with the simulator) starts on the queued jobs and drains them.
      ctx.progress(`checkout: starting Holdfast --target psp,payments on the same database to pay ${perRound} queued orders`);
      payments = await startHoldfast({
        name: 'checkout-payments', targets: 'psp,payments', dataDir: path.join(ctx.scratchDir, 'payments'), log: ctx.progress,
        env: {
          HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_RECONCILE_INTERVAL_SECONDS: '0',
          // The simulator's secondary account would take pspPort + 1, which nothing checked was free: on a
          // busy machine an outgoing connection can hold it (EADDRINUSE at start-up).
          HOLDFAST_PSP_SECONDARY_PORT: String(await freePort()),
          DATABASE_URL: `postgres://${hf.pg.user}:${hf.pg.password}@${hf.pg.host}:${hf.pg.port}/holdfast`,
        },
      });
      const payStarted = performance.now();
      const deadline = Date.now() + 300_000;
      let paidNow = paidBefore;
      while (paidNow < paidBefore + perRound && Date.now() < deadline) {
        await sleep(100);
        paidNow = Number((await db.query(`SELECT count(*) AS n FROM orders WHERE status = 'paid'`)).rows[0].n);
      }
      const paidSeconds = (performance.now() - payStarted) / 1000;
      if (paidNow < paidBefore + perRound) throw new Error(`only ${paidNow - paidBefore} of ${perRound} orders paid within 300 s`);
      accepted.push(perRound / acceptSeconds);
      paid.push(perRound / paidSeconds);
      ctx.progress(`checkout: round ${round}/${options.rounds}: ${perRound} checkouts accepted in ${fmt(acceptSeconds, 2)} s (${fmt(perRound / acceptSeconds)}/s), all paid ${fmt(paidSeconds, 2)} s after the payments role started (${fmt(perRound / paidSeconds)}/s); ${load()}`);
    }

    if (payments) { await payments.stop(); payments = undefined; }
    const scale = Math.max(10, PGBENCH_CLIENTS);
    ctx.progress(`checkout: pgbench TPC-B-like on the same PostgreSQL (scale ${scale}, ${PGBENCH_CLIENTS} clients)`);
    await initPgbench(hf.pg, { scale });
    const tps: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const r = await runPgbench(hf.pg, { clients: PGBENCH_CLIENTS, threads: 2, durationSec: options.durationSec });
      ctx.progress(`checkout: pgbench round ${round}/${options.rounds}: ${fmt(r.tps)} tps; ${load()}`);
      tps.push(r.tps);
    }
    await dropPgbenchDatabase(hf.pg);

    const acceptedRate = median(accepted);
    const paidRate = median(paid);
    const pgbenchTps = median(tps);
    return {
      tables: [{
        title: `Checkout throughput vs pgbench TPC-B-like on the same PostgreSQL (${CONCURRENCY} concurrent checkouts over HTTP; pgbench ${PGBENCH_CLIENTS} clients, scale ${scale}; median of ${options.rounds})`,
        headers: ['Measure', 'Per second', 'Ratio to pgbench tps', 'Target'],
        rows: [
          ['Orders accepted (POST /api/checkout, 202)', fmt(acceptedRate), fmt(acceptedRate / pgbenchTps, 2), `≥ ${RATIO_TARGET}`],
          ['Orders paid (simulator at 0 ms latency)', fmt(paidRate), fmt(paidRate / pgbenchTps, 2), ''],
          ['pgbench TPC-B-like transactions', fmt(pgbenchTps), '1.00', ''],
        ],
      }],
      checks: [check('Checkouts accepted per second as a ratio to pgbench TPC-B-like tps', acceptedRate / pgbenchTps, '>=', RATIO_TARGET, 'ratio')],
      charts: [{
        title: 'Checkout vs pgbench', unit: 'per second',
        bars: [
          { label: 'orders accepted/s', value: acceptedRate, series: 'holdfast' },
          { label: 'orders paid/s', value: paidRate, series: 'holdfast' },
          { label: 'pgbench tps', value: pgbenchTps, series: 'postgres' },
        ],
      }],
      notes: [
        'A checkout is one PostgreSQL transaction (the holdfast_place_order function: about a dozen statements in one round trip; pgbench TPC-B-like: five statements in seven round trips) plus the HTTP, validation and JSON work around it; both commit once per transaction with fsync on.',
        'Checkout rounds and pgbench rounds run one after the other, not at once: on a shared machine compare the load averages printed with each round before trusting the ratio.',
        'Orders paid per second: a psp,payments process (8 payment workers, simulator in process) started on the queued orders, from its readiness to the last order paid.',
      ],
      data: { accepted, paid, pgbenchTps: tps, perRound, concurrency: CONCURRENCY },
    };
  } finally {
    await db.end().catch(() => {});
    await http.pool.close().catch(() => {});
    await payments?.stop();
    ctx.progress('checkout: stopping Holdfast and its PostgreSQL');
    await hf.stop();
  }
}

export const checkoutSuite: Suite = {
  name: 'checkout',
  title: 'Checkout throughput (orders accepted and paid per second vs pgbench)',
  description: 'Orders accepted per second over HTTP and orders paid per second through the simulator, as a ratio to pgbench\'s TPC-B-like rate on the same PostgreSQL in the same run.',
  byDefault: true,
  run,
};
