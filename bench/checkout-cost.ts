// The cost of one checkout, not the rate: CPU time per checkout on each side, which a busy shared machine
// moves far less than it moves checkouts per second (the checkout suite's ratio). Starts Holdfast
// (--target storefront) with its embedded PostgreSQL, then in each round:
//
// 1. PostgreSQL: N calls of holdfast_place_order, one after the other on one connection (a prepared
//    statement, as the storefront runs it), on N prepared one-line carts; reports the backend's CPU time
//    per call (/proc/<pid>/schedstat, nanoseconds) and the wall time per call. Once, after the rounds,
//    the statements inside the function (pg_stat_statements, track = all) with their mean time per call.
// 2. Node: N `POST /api/checkout` over HTTP, 32 at a time, on N more carts; reports the CPU time of the
//    Holdfast Node process (all its threads) and of every PostgreSQL process per request.
//
// Candidate versions of the function (same signature, other names, created by a SQL file) can be measured
// against holdfast_place_order: their calls alternate call by call with its calls, so background load
// hits every side alike (`--compare a,b --setup candidates.sql --no-http`).
//
//   npm run bench:checkout-cost -- [--n 2000] [--rounds 5] [--concurrency 32] [--compare a,b --setup f.sql] [--no-http]
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { SCRATCH_ROOT, startHoldfast } from './lib/holdfast.ts';
import { cleanupAll, installSignalHandlers, isNodeProcess, isPostgresProcess, type ProcInfo } from './lib/processes.ts';
import { fmt, median } from './lib/suite.ts';
import { SHIPPING, call, inParallel, type Http } from './suites/checkout.ts';

const { values: args } = parseArgs({ options: {
  n: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' },
  concurrency: { type: 'string', default: '32' }, compare: { type: 'string', default: '' }, setup: { type: 'string' }, 'no-http': { type: 'boolean', default: false },
} });
const N = Number(args.n);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** CPU time of every thread of a process so far, in nanoseconds (schedstat: the first field). */
function cpuNanos(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try { total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread ended */ }
  }
  return total;
}

installSignalHandlers(log);
const scratch = path.join(SCRATCH_ROOT, `cost-${process.pid}`);
await mkdir(scratch, { recursive: true });
const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
const hf = await startHoldfast({
  name: 'checkout-cost', targets: 'storefront', dataDir: path.join(scratch, 'holdfast'), log,
  env: { HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000000' },
});
const db = new pg.Client({ ...hf.pg, database: 'holdfast' });
const http: Http = { pool: new Pool(hf.url, { connections: CONCURRENCY }), adminToken };
try {
  await db.connect();
  const backendPid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  await db.query(`INSERT INTO stock_levels (product_id, on_hand) SELECT id, 100000000 FROM products WHERE active
    ON CONFLICT (product_id) DO UPDATE SET on_hand = 100000000, reserved = 0`);
  const products = (await db.query<{ id: string }>(`SELECT id FROM products WHERE active ORDER BY id`)).rows.map((r) => r.id);
  /** n open carts of one line each (one product per cart, spread over the catalog). */
  const carts = async (n: number): Promise<string[]> => (await db.query<{ id: string }>(`
    WITH c AS (INSERT INTO carts (currency) SELECT 'USD' FROM generate_series(1, $1) RETURNING id),
    n AS (SELECT id, row_number() OVER () AS i FROM c),
    l AS (INSERT INTO cart_lines (cart_id, product_id, quantity)
          SELECT n.id, ($2::uuid[])[1 + (n.i % array_length($2::uuid[], 1))], 1 FROM n)
    SELECT id FROM n`, [n, products])).rows.map((r) => r.id);
  if (args.setup) await db.query(readFileSync(args.setup, 'utf8'));
  const functions = ['holdfast_place_order', ...args.compare.split(',').filter(Boolean)];
  const placeOrder = (cartId: string, fn = 'holdfast_place_order') => {
    const orderId = randomUUID();
    const response = { orderId, status: 'pending_payment', accessToken: randomBytes(24).toString('base64url') };
    return db.query({
      name: `checkout.place_order.${fn}`,
      text: `SELECT replayed, response FROM ${fn}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      values: [randomUUID(), randomBytes(32).toString('hex'), JSON.stringify(response), orderId, randomBytes(32).toString('hex'),
        cartId, 'cost@example.com', JSON.stringify(SHIPPING), 'pm_card_visa', 900, JSON.stringify({ orderId })],
    });
  };
  /** CPU so far of each Node and each PostgreSQL process of the instance, by pid. */
  const cpuByPid = (which: (p: ProcInfo) => boolean) => new Map(hf.tree().filter(which).map((p) => {
    try { return [p.pid, cpuNanos(p.pid)] as const; } catch { return [p.pid, 0] as const; }
  }));
  /** CPU used since `before`: a process started since (a new pool connection's backend) counts whole. */
  const usedSince = (before: Map<number, number>, which: (p: ProcInfo) => boolean) =>
    [...cpuByPid(which)].reduce((t, [pid, now]) => t + now - (before.get(pid) ?? 0), 0);

  // Warm-up: plans cached in this session, the storefront's pool and JIT warm.
  for (const fn of functions) for (const cartId of await carts(200)) await placeOrder(cartId, fn);
  const warm = await carts(200);
  await inParallel(warm.length, CONCURRENCY, async (i) => {
    await call(http, 'POST', '/api/checkout', { cartId: warm[i], email: `w${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() });
  });

  const interleavedBase: number[] = [];
  const compared = new Map(functions.slice(1).map((fn) => [fn, [] as number[]]));
  const pgCpu: number[] = []; const pgWall: number[] = []; const nodeCpu: number[] = []; const pgHttpCpu: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const direct = await carts(N);
    const cpu0 = cpuNanos(backendPid); const t0 = performance.now();
    for (const cartId of direct) await placeOrder(cartId);
    const wall = performance.now() - t0; const cpu = cpuNanos(backendPid) - cpu0;
    pgCpu.push(cpu / N / 1000); pgWall.push(wall * 1000 / N);
    // Candidates interleaved call by call with holdfast_place_order, each call's CPU read on its own (the
    // backend is idle between calls, so its schedstat is current): background load hits every side alike.
    if (compared.size) {
      const cartIds = await carts(N * functions.length);
      const used = new Map(functions.map((fn) => [fn, 0]));
      for (let i = 0; i < cartIds.length; i++) {
        const fn = functions[i % functions.length]!;
        const c0 = cpuNanos(backendPid);
        await placeOrder(cartIds[i]!, fn);
        used.set(fn, used.get(fn)! + cpuNanos(backendPid) - c0);
      }
      const base = used.get('holdfast_place_order')! / N / 1000;
      for (const [fn, results] of compared) {
        results.push(used.get(fn)! / N / 1000);
        log(`round ${round}/${ROUNDS} interleaved: ${fn} ${fmt(results.at(-1)!)} µs backend CPU per call, holdfast_place_order ${fmt(base)}`);
      }
      interleavedBase.push(base);
    }
    if (args['no-http']) continue;
    const viaHttp = await carts(N);
    const n0 = cpuByPid(isNodeProcess); const p0 = cpuByPid(isPostgresProcess);
    let failures = 0;
    await inParallel(N, CONCURRENCY, async (i) => {
      const res = await call(http, 'POST', '/api/checkout', { cartId: viaHttp[i], email: `cost${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() });
      if (res.status !== 202) failures++;
    });
    if (failures) throw new Error(`${failures} checkouts over HTTP were not accepted`);
    nodeCpu.push(usedSince(n0, isNodeProcess) / N / 1000); pgHttpCpu.push(usedSince(p0, isPostgresProcess) / N / 1000);
    log(`round ${round}/${ROUNDS}: function ${fmt(pgCpu.at(-1)!)} µs backend CPU, ${fmt(pgWall.at(-1)!)} µs wall per call; `
      + `HTTP ${fmt(nodeCpu.at(-1)!)} µs Node CPU, ${fmt(pgHttpCpu.at(-1)!)} µs PostgreSQL CPU per checkout`);
  }

  if (args['no-http']) {
    for (const [fn, results] of compared) console.log(`${fn}: ${fmt(median(results))} µs backend CPU per call (rounds: ${results.map((v) => fmt(v)).join(', ')})`);
    console.log(`holdfast_place_order interleaved with them: ${fmt(median(interleavedBase))} µs (rounds: ${interleavedBase.map((v) => fmt(v)).join(', ')}); alone: ${fmt(median(pgCpu))} µs`);
  } else {
  // The statements inside the function, once: tracking nested statements costs time itself. Then the
  // statements the database runs per checkout over HTTP (the storefront's own, not nested).
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  await db.query(`SET pg_stat_statements.track = 'all'`);
  await db.query(`SET pg_stat_statements.track_planning = on`);
  const statements = async (title: string) => {
    const { rows } = await db.query<{ calls: string; mean_exec: number; mean_plan: number; plans: string; query: string }>(`
      SELECT calls, mean_exec_time AS mean_exec, mean_plan_time AS mean_plan, plans, query FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls >= $1
        AND query NOT LIKE '%pg_stat_statements%'
      ORDER BY total_exec_time DESC`, [N / 2]);
    console.log(`\n${title}`);
    for (const r of rows) {
      console.log(`${fmt(r.mean_exec * 1000).padStart(6)} µs exec ${fmt(r.mean_plan * 1000).padStart(4)} µs plan (${r.plans} plans/${r.calls} calls)  ${r.query.replace(/\s+/g, ' ').slice(0, 110)}`);
    }
  };
  const traced = await carts(N);
  await db.query('SELECT pg_stat_statements_reset()');
  for (const cartId of traced) await placeOrder(cartId);
  await statements(`Statements inside holdfast_place_order (pg_stat_statements, track = all, ${N} calls on one connection; exec includes nested statements):`);
  await db.query(`SET pg_stat_statements.track = 'top'`);
  const tracedHttp = await carts(N);
  await db.query('SELECT pg_stat_statements_reset()');
  await inParallel(N, CONCURRENCY, async (i) => {
    await call(http, 'POST', '/api/checkout', { cartId: tracedHttp[i], email: `t${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() });
  });
  await statements(`Statements run by ${N} POST /api/checkout (top level; those run at least ${N / 2} times):`);
  }
  console.log(`\nPer checkout, median of ${ROUNDS} rounds of ${N}:`);
  console.log(`  holdfast_place_order, one connection: ${fmt(median(pgCpu))} µs backend CPU (rounds: ${pgCpu.map((v) => fmt(v)).join(', ')}), ${fmt(median(pgWall))} µs wall`);
  for (const [fn, results] of compared) console.log(`  ${fn}, one connection: ${fmt(median(results))} µs backend CPU (rounds: ${results.map((v) => fmt(v)).join(', ')})`);
  console.log(`  POST /api/checkout (${CONCURRENCY} concurrent): ${fmt(median(nodeCpu))} µs Node CPU (rounds: ${nodeCpu.map((v) => fmt(v)).join(', ')}), ${fmt(median(pgHttpCpu))} µs PostgreSQL CPU (rounds: ${pgHttpCpu.map((v) => fmt(v)).join(', ')})`);
} finally {
  await db.end().catch(() => {});
  await http.pool.close().catch(() => {});
  await hf.stop();
  await rm(scratch, { recursive: true, force: true });
  await cleanupAll(log);
}
