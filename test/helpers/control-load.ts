// Steady shopper load (browse + cart + checkout) and a fault-injection harness for the control role's
// detection tests: inject a fault, wait for an alert with a root-cause finding, record what it said.
import { randomUUID } from 'node:crypto';
import { api, SHIPPING } from './test-app.ts';
import { admin, clearFault, setFault } from './shop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running shop: in one test process (startTestApp) or one process per role (startRoleDeployment). */
export interface Shop {
  /** the storefront (shopper API, admin API) */
  url: string;
  /** the control role's ops API, when not on the storefront's port */
  opsUrl?: string;
  adminToken: string;
}

const opsUrl = (shop: Shop) => shop.opsUrl ?? shop.url;

export interface ShopperLoad {
  /** concurrent shopper loops (change to surge) */
  setShoppers(n: number): void;
  /** requests answered so far (any status): the traffic the shop saw, counted by the shoppers */
  readonly answered: number;
  errors: string[];
  stop(): Promise<void>;
}

export async function startShopperLoad(app: Shop, shoppers = 2, pauseMs = 150): Promise<ShopperLoad> {
  const page = await api(app.url, 'GET', '/api/products?limit=100');
  const products: { id: string; slug: string }[] = page.json.items.map((p: { id: string; slug: string }) => ({ id: p.id, slug: p.slug }));
  const errors: string[] = [];
  let answered = 0;
  const call: typeof api = async (...args) => { const res = await api(...args); answered++; return res; };
  let wanted = shoppers;
  let stopped = false;
  const loops: Promise<void>[] = [];
  const loop = async (index: number) => {
    let i = index * 37;
    while (!stopped && index < wanted) {
      const p = products[i++ % products.length]!;
      try {
        await call(app.url, 'GET', '/api/products?limit=20');
        await call(app.url, 'GET', `/api/products/${p.slug}`);
        const cart = await call(app.url, 'POST', '/api/carts', {});
        await call(app.url, 'POST', `/api/carts/${cart.json.id}/items`, { productId: p.id, quantity: 1 });
        const res = await call(app.url, 'POST', '/api/checkout', {
          cartId: cart.json.id, email: 'load@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa',
        }, { 'idempotency-key': randomUUID() });
        if (res.status !== 202) errors.push(`checkout ${res.status} ${res.json?.error?.code ?? ""}`.trim());
      } catch (err) {
        errors.push((err as Error).message);
      }
      await sleep(pauseMs);
    }
  };
  const grow = () => { for (let i = loops.length; i < wanted; i++) loops.push(loop(i)); };
  grow();
  return {
    setShoppers(n) {
      // loops at index n and above end after their current iteration; new ones start now
      wanted = n;
      if (n > loops.length) grow();
    },
    get answered() { return answered; },
    errors,
    async stop() { stopped = true; await Promise.all(loops); },
  };
}

export interface FiringAlert { name: string; service: string; summary: string; rootCause: string | null; rcaId: string | null; since: string }

export async function firingAlerts(app: Shop): Promise<FiringAlert[]> {
  const res = await admin(opsUrl(app), app.adminToken, 'GET', '/api/ops/alerts?state=firing');
  if (res.status !== 200) throw new Error(res.text);
  return res.json.items;
}

export interface FaultRun {
  fault: string;
  secondsToAlert: number | null;
  alert: FiringAlert | undefined;
  topCause: string | null;
  networkInvolved: boolean | null;
  finding: any;
}

/** Injects a fault, waits (up to waitMs) for a firing alert with a root cause, and clears the fault. */
export async function runFault(app: Shop, fault: string, params: Record<string, unknown>, waitMs = 20_000): Promise<FaultRun> {
  const injectedAt = Date.now();
  await setFault(app.url, app.adminToken, fault, params);
  let alert: FiringAlert | undefined;
  while (Date.now() - injectedAt < waitMs) {
    alert = (await firingAlerts(app)).find((a) => a.rootCause && Date.parse(a.since) >= injectedAt - 1000);
    if (alert) break;
    await sleep(250);
  }
  const secondsToAlert = alert ? (Date.now() - injectedAt) / 1000 : null;
  let finding: any;
  if (alert) {
    // let the finding refine once (it is re-run 5 s after the alert with more fault readings)
    await sleep(5_500);
    const fresh = (await firingAlerts(app)).find((a) => a.name === alert!.name && a.service === alert!.service) ?? alert;
    alert = fresh;
    const rca = await admin(opsUrl(app), app.adminToken, 'GET', '/api/ops/rca');
    finding = rca.json.items.find((f: { id: string }) => f.id === fresh.rcaId);
  }
  await clearFault(app.url, app.adminToken, fault);
  return { fault, secondsToAlert, alert, topCause: finding?.causes?.[0]?.candidate ?? null, networkInvolved: finding?.network?.involved ?? null, finding };
}

/**
 * Waits until no detector alert is firing (the fault is gone and the detector has calmed down). SLO
 * burn-rate alerts are not waited for: their long windows keep burning for minutes by design.
 */
export async function waitForQuiet(app: Shop, timeoutMs = 30_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await firingAlerts(app)).filter((a) => !a.name.startsWith('SLOBurnRate')).length === 0) return true;
    await sleep(500);
  }
  return false;
}

export function faultTable(rows: { fault: string; expected: string; run: FaultRun }[]): string {
  const lines = ['| fault | time to alert | alert | top cause | expected | correct | network |', '|---|---:|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.fault} | ${r.run.secondsToAlert === null ? 'none' : `${r.run.secondsToAlert.toFixed(1)} s`} | ${r.run.alert ? `${r.run.alert.name} (${r.run.alert.service})` : '-'} | ${r.run.topCause ?? '-'} | ${r.expected} | ${r.run.topCause === r.expected ? 'yes' : 'NO'} | ${r.run.networkInvolved === null ? 'n/a' : r.run.networkInvolved ? 'involved' : 'not involved'} |`);
  }
  return lines.join('\n');
}

export const FAULT_CASES: Record<string, { params: Record<string, unknown>; expected: string }> = {
  'psp.latency': { params: { latencyMs: 2000 }, expected: 'payment-provider' },
  'psp.errors': { params: { rate: 1 }, expected: 'payment-provider' },
  'payments.cpu': { params: { msPerJob: 250 }, expected: 'payments' },
  'db.slow': { params: { context: 'cart', delayMs: 300 }, expected: 'database' },
  'storefront.cpu': { params: { msPerRequest: 60 }, expected: 'storefront' },
  'storefront.latency': { params: { latencyMs: 500 }, expected: 'storefront' },
  'network.latency': { params: { between: 'payments-provider', delayMs: 300 }, expected: 'network' },
};

export interface MatrixRow { fault: string; expected: string; run: FaultRun }

/** Each fault in turn under the running load; prints a line per fault and returns the rows. */
export async function runMatrix(app: Shop, faults: string[]): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const fault of faults) {
    const c = FAULT_CASES[fault]!;
    const run = await runFault(app, fault, c.params);
    rows.push({ fault, expected: c.expected, run });
    process.stdout.write(`[control] ${fault}: ${run.secondsToAlert === null ? 'no alert' : `alert after ${run.secondsToAlert.toFixed(1)} s`}; ${run.alert?.rootCause ?? ''}\n`);
    process.stdout.write(`[control]   ranking: ${(run.finding?.causes ?? []).slice(0, 5).map((x: { candidate: string; score: number }) => `${x.candidate} ${x.score}`).join(', ')}\n`);
    if (run.finding?.traces) process.stdout.write(`[control]   ${run.finding.traces.text}\n`);
    for (const cause of (run.finding?.causes ?? []).slice(0, 2) as { candidate: string; evidence: { metric: string; score: number; baseline: number; peak: number }[] }[]) {
      process.stdout.write(`[control]     ${cause.candidate}: ${cause.evidence.slice(0, 3).map((e) => `${e.metric} ${e.score} (${+e.baseline.toPrecision(3)} -> ${+e.peak.toPrecision(3)})`).join('; ')}\n`);
    }
    await waitForQuiet(app);
    await sleep(2000);
  }
  process.stdout.write(`\n${faultTable(rows)}\n\n`);
  return rows;
}
