// A fault-free surge to 5x the shopper traffic (ramped over 12 s, as the holiday-surge profile ramps) must
// not page: the detector normalises latency for traffic growth and judges error ratios (already
// normalised), so only a degradation beyond what the load explains fires. The shop is deployed as the
// fault matrix deploys it (test/detection/fault-matrix.test.ts): one process per role, the control role
// scraping the others and receiving their spans, the shoppers in this process. Prints the traffic growth
// reached and every alert seen (none expected).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { firingAlerts, startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';

let shop: RoleDeployment;
let load: ShopperLoad;
before(async () => {
  shop = await startRoleDeployment({}, { tracing: true });
  load = await startShopperLoad(shop, 1, 250);
});
after(async () => { await load?.stop(); await shop?.stop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a fault-free surge to 5x traffic raises no alert', { timeout: 120_000 }, async () => {
  // requests/s the shoppers got answered over the last 5 s, sampled every 500 ms
  const answered: { t: number; n: number }[] = [];
  const rate = () => {
    const last = answered.at(-1)!;
    const first = answered.find((a) => a.t >= last.t - 5000) ?? answered[0]!;
    return last.t > first.t ? ((last.n - first.n) * 1000) / (last.t - first.t) : 0;
  };
  const sample = () => answered.push({ t: performance.now(), n: load.answered });

  // the control role's baseline needs a steady minute's start; the shoppers' own rate settles meanwhile
  const settleUntil = Date.now() + 25_000;
  while (Date.now() < settleUntil) { sample(); await sleep(500); }
  const before = rate();
  const seen = new Map<string, string>();
  let peak = 0;
  const started = Date.now();
  while (Date.now() < started + 35_000) {
    // 1 -> 5 shoppers over 12 s: five shopper loops switched on in the same instant would start five
    // checkouts in lockstep, a burst no crowd makes
    load.setShoppers(Math.min(5, 1 + Math.floor((Date.now() - started) / 3000)));
    await sleep(500);
    sample();
    if (Date.now() - started > 17_000) peak = Math.max(peak, rate());
    for (const a of await firingAlerts(shop)) seen.set(`${a.name} (${a.service})`, a.summary);
  }
  process.stdout.write(`\n[control] surge: ${before.toFixed(1)} -> ${peak.toFixed(1)} requests/s (${(peak / before).toFixed(1)}x); `
    + `alerts: ${seen.size ? [...seen].map(([k, v]) => `${k}: ${v}`).join('; ') : 'none'}\n`);
  // a product sold out is the shop answering correctly, not a failure
  assert.deepEqual(load.errors.filter((e) => e !== 'checkout 409 OUT_OF_STOCK'), [], 'every other shopper request succeeded');
  assert.ok(peak / before >= 3.5, `the surge reached ${(peak / before).toFixed(1)}x`);
  assert.deepEqual([...seen.keys()], [], 'no alert during a pure surge');
});
