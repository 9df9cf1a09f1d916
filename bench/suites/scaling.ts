// Suite "scaling": checkouts at a fixed rate while the provider simulator answers in 2 s (1.5 s + up to
// 1 s of uniform jitter), against two arms run one after the other: `holdfast start` (every role in one
// process, one payments process) and `holdfast start --autoscale` (the supervisor, the control role's
// autoscaler with the built-in policy). Per arm: time from checkout to paid (p50, p99; server-side
// timestamps: the order's creation and its `paid` event), the payments processes and the provider calls in
// flight over time. Target: p99 time-to-paid at least 5x lower with autoscaling, and under 15 s.
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import { startHoldfast, type HoldfastInstance } from '../lib/holdfast.ts';
import { sleep } from '../lib/processes.ts';
import { call, inParallel, SHIPPING, type Http } from './checkout.ts';
import { freePort, freePortRange } from '../../src/platform/process/free-port.ts';
import { check, fmt, type Suite, type SuiteContext, type SuiteOutcome, type Table } from '../lib/suite.ts';
import { parsePrometheusText } from '../../src/platform/observability/prometheus-text.ts';
import { METRICS } from '../../src/telemetry/index.ts';

export const P99_RATIO_TARGET = 5;
export const P99_TARGET_SECONDS = 15;
const PRODUCTS = 100;

const quantile = (sorted: number[], q: number) => sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

interface Sample { t: number; paymentsProcesses: number; callsInFlight: number; unpaid: number }
interface ArmResult { arm: string; orders: number; p50: number; p99: number; max: number; samples: Sample[]; drainSeconds: number }

async function scrapeInFlight(urls: string[]): Promise<number> {
  let sum = 0;
  await Promise.all(urls.map(async (u) => {
    try {
      const text = await (await fetch(`${u}/metrics`, { signal: AbortSignal.timeout(1500) })).text();
      for (const s of parsePrometheusText(text)) if (s.name === METRICS.bulkheadInUse.name) sum += s.value;
    } catch { /* a replica starting or stopping */ }
  }));
  return sum;
}

async function runArm(ctx: SuiteContext, arm: 'fixed' | 'autoscale', rate: number, durationSec: number): Promise<ArmResult> {
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`;
  const port = arm === 'autoscale' ? await freePortRange(12) : await freePort();
  ctx.progress(`scaling: starting Holdfast (${arm === 'fixed' ? 'holdfast start: one process' : 'holdfast start --autoscale'}) with its embedded PostgreSQL`);
  const hf: HoldfastInstance = await startHoldfast({
    name: `scaling-${arm}`, targets: 'all', port, dataDir: path.join(ctx.scratchDir, `holdfast-${arm}`), log: ctx.progress,
    ...(arm === 'autoscale' ? { args: ['start', '--autoscale'] } : {}),
    env: {
      HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000000', HOLDFAST_RECONCILE_INTERVAL_SECONDS: '0',
      // Calls of 1.5-2.5 s must not time out at the default 2.5 s: slowness, not failure, is measured here.
      HOLDFAST_PROVIDER_TIMEOUT_MS: '5000',
      HOLDFAST_PSP_SECONDARY_PORT: String(await freePort()),
    },
  });
  const http: Http = { pool: new Pool(hf.url, { connections: 32 }) };
  const db = new pg.Client({ ...hf.pg, database: 'holdfast' });
  await db.connect();
  const auth = { authorization: `Bearer ${adminToken}` };
  try {
    const page = await call(http, 'GET', `/api/products?limit=${PRODUCTS}`);
    const productIds: string[] = page.json.items.map((p: { id: string }) => p.id);
    await inParallel(productIds.length, 8, async (i) => {
      const r = await call(http, 'PUT', `/api/admin/products/${productIds[i]}/stock`, { onHand: 1_000_000 }, auth);
      if (r.status !== 200) throw new Error(`setting stock failed: ${r.status}`);
    });
    const n = Math.round(rate * durationSec);
    const carts: string[] = new Array(n);
    await inParallel(n, 16, async (i) => {
      const cart = await call(http, 'POST', '/api/carts', {});
      const add = await call(http, 'POST', `/api/carts/${cart.json.id}/items`, { productId: productIds[i % productIds.length], quantity: 1 });
      if (add.status !== 200) throw new Error(`add to cart failed: ${add.status}`);
      carts[i] = cart.json.id;
    });
    const fault = await call(http, 'PUT', '/api/admin/faults/psp.latency', { latencyMs: 1500, jitterMs: 1000 }, auth);
    if (fault.status !== 200) throw new Error(`setting psp.latency failed: ${fault.status} ${JSON.stringify(fault.json)}`);

    const paymentUrls = async (): Promise<string[]> => {
      if (arm === 'fixed') return [hf.url];
      try {
        const res = await fetch(`http://127.0.0.1:${port + 1}/api/ops/scaling`, { headers: auth, signal: AbortSignal.timeout(1500) });
        const roles = ((await res.json()) as { roles: { role: string; replicas: { name: string; pid: number | null }[] }[] }).roles;
        const payments = roles.find((r) => r.role === 'payments')!.replicas.filter((r) => r.pid !== null);
        return payments.map((r) => `http://127.0.0.1:${port + 2 + Number(r.name.split('-').pop())}`);
      } catch {
        return [];
      }
    };
    const samples: Sample[] = [];
    const started = Date.now();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const urls = await paymentUrls();
        const unpaid = Number((await db.query(`SELECT count(*) AS n FROM orders WHERE status = 'pending_payment'`)).rows[0].n);
        samples.push({ t: Math.round((Date.now() - started) / 1000), paymentsProcesses: urls.length, callsInFlight: await scrapeInFlight(urls), unpaid });
        await sleep(5000);
      }
    })();

    // The arrivals: one checkout every 1/rate s on a fixed schedule (a slow answer does not delay the next).
    ctx.progress(`scaling (${arm}): ${n} checkouts at ${rate}/s with the provider at 2 s`);
    const orderIds: string[] = [];
    let failures = 0;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(call(http, 'POST', '/api/checkout', { cartId: carts[i], email: `bench${i}@example.com`, shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { 'idempotency-key': randomUUID() })
        .then((res) => { if (res.status === 202) orderIds.push(res.json.orderId); else failures++; }, () => { failures++; }));
    }
    await Promise.all(inFlight);
    if (failures) ctx.progress(`scaling (${arm}): ${failures} checkouts not accepted`);
    const deadline = Date.now() + 600_000;
    for (;;) {
      const unpaid = Number((await db.query(`SELECT count(*) AS n FROM orders WHERE id = ANY($1) AND status <> 'paid'`, [orderIds])).rows[0].n);
      if (unpaid === 0) break;
      if (Date.now() > deadline) throw new Error(`${unpaid} orders still unpaid 600 s after the last checkout`);
      await sleep(500);
    }
    const drainSeconds = (Date.now() - started) / 1000;
    sampling = false;
    await sampler;
    const { rows } = await db.query<{ seconds: number }>(`
      SELECT extract(epoch FROM e.created_at - o.created_at)::float8 AS seconds
      FROM orders o JOIN order_events e ON e.order_id = o.id AND e.to_status = 'paid' WHERE o.id = ANY($1)`, [orderIds]);
    const sorted = rows.map((r) => r.seconds).sort((a, b) => a - b);
    const result: ArmResult = { arm, orders: orderIds.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN, samples, drainSeconds };
    ctx.progress(`scaling (${arm}): ${result.orders} orders paid; time to paid p50 ${fmt(result.p50, 1)} s, p99 ${fmt(result.p99, 1)} s; all paid ${fmt(drainSeconds, 0)} s after the first checkout; load average ${fmt(os.loadavg()[0]!, 2)}`);
    return result;
  } finally {
    await db.end().catch(() => {});
    await http.pool.close().catch(() => {});
    ctx.progress(`scaling: stopping Holdfast (${arm})`);
    await hf.stop();
  }
}

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const rate = options.quick ? 12 : 24;
  const durationSec = options.quick ? 20 : Math.max(60, options.durationSec);
  const arms: ArmResult[] = [];
  // One run of each arm, one after the other (each on its own fresh instance and database).
  arms.push(await runArm(ctx, 'fixed', rate, durationSec));
  arms.push(await runArm(ctx, 'autoscale', rate, durationSec));
  const fixed = arms.filter((a) => a.arm === 'fixed');
  const auto = arms.filter((a) => a.arm === 'autoscale');
  const worst = (xs: ArmResult[], k: 'p50' | 'p99') => Math.max(...xs.map((x) => x[k]));
  const fixedP99 = worst(fixed, 'p99');
  const autoP99 = worst(auto, 'p99');
  const timeline = (a: ArmResult): Table => ({
    title: `${a.arm === 'fixed' ? 'holdfast start (one process)' : 'holdfast start --autoscale'}: every 5 s`,
    headers: ['s', 'payments processes', 'provider calls in flight', 'orders pending payment'],
    rows: a.samples.map((s) => [String(s.t), String(s.paymentsProcesses), String(s.callsInFlight), String(s.unpaid)]),
    detail: true,
  });
  return {
    tables: [{
      title: `Time from checkout to paid, ${rate} checkouts/s for ${durationSec} s, provider at 2 s (1.5 s + 0-1 s jitter)`,
      headers: ['Arm', 'Orders', 'p50 (s)', 'p99 (s)', 'max (s)', 'all paid after (s)', 'most payments processes', 'most calls in flight'],
      rows: arms.map((a) => [
        a.arm === 'fixed' ? 'holdfast start (one process)' : 'holdfast start --autoscale', String(a.orders), fmt(a.p50, 1), fmt(a.p99, 1), fmt(a.max, 1),
        fmt(a.drainSeconds, 0), String(Math.max(0, ...a.samples.map((s) => s.paymentsProcesses))), String(Math.max(0, ...a.samples.map((s) => s.callsInFlight))),
      ]),
    }, ...arms.map(timeline)],
    checks: [
      check('p99 time-to-paid, one process / --autoscale', fixedP99 / autoP99, '>=', P99_RATIO_TARGET, 'ratio'),
      check('p99 time-to-paid under --autoscale', autoP99, '<', P99_TARGET_SECONDS, 's'),
    ],
    charts: [{
      title: 'p99 time to paid', unit: 's',
      bars: arms.map((a) => ({ label: a.arm, value: a.p99, series: a.arm })),
      target: { value: P99_TARGET_SECONDS, label: `${P99_TARGET_SECONDS} s` },
    }],
    notes: [
      'Time to paid: the order\'s paid event minus its creation, both PostgreSQL timestamps.',
      'Both arms run with HOLDFAST_PROVIDER_TIMEOUT_MS=5000 (the default 2.5 s would time out the slowest simulated calls) and the built-in scaling policy; the autoscaler runs every 5 s (its default), the work in flight read from the larger of the 30 s and 5 s arrival rates.',
      'In both arms each payments process raises its concurrency with the provider latency (8 jobs at once up to 1 s, 16 at 2 s); --autoscale adds processes on top.',
      `Machine: ${os.availableParallelism()} cores; the storefront replicas under --autoscale stop at that many.`,
    ],
    data: arms,
  };
}

export const scalingSuite: Suite = {
  name: 'scaling',
  title: 'Autoscaling (time to paid with a 2 s provider, one process vs --autoscale)',
  description: 'Checkouts at a fixed rate with the provider at 2 s latency: holdfast start versus holdfast start --autoscale; time to paid p50/p99, payments processes and provider calls in flight over time.',
  byDefault: false,
  run,
};
