// A fault-free surge to 5x the shopper traffic (ramped over 12 s) must not page: the detector normalises latency for
// traffic growth and judges error ratios (already normalised), so only a degradation beyond what the
// load explains fires. Prints the traffic growth reached and the alerts seen (none expected).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { firingAlerts, startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';

let app: TestApp;
let load: ShopperLoad;
before(async () => {
  app = await startTestApp({ targets: ['storefront', 'psp', 'payments', 'control'], config: { pspPort: 0, logLevel: 'warn' } });
  load = await startShopperLoad(app, 1, 250);
});
after(async () => { await load?.stop(); await app?.stop(); });

// Known not to hold yet (so marked todo: it runs and prints, and its failure does not fail the suite).
// In one process serving every role on 2 cores, a 5x surge drives the process near saturation, where
// queueing makes latency grow faster than the traffic the detector divides by: in 3 of 5 recent CI runs
// a storefront or payments latency alert fired (p99 3.9-6.6x its baseline at 1.8-3.3x traffic).
test('a fault-free surge to 5x traffic raises no detector alert', {
  timeout: 85_000,
  todo: 'false latency alerts near saturation: the detector\'s traffic normalisation is linear (docs/observability.md)',
}, async () => {
  await new Promise((r) => setTimeout(r, 22_000));
  const w = app.ctx.control!.collector.window;
  const rate = () => w.last('storefront|rate', 5).filter(Number.isFinite).reduce((a, b) => a + b, 0) / 5;
  const before = rate();
  const seen = new Map<string, string>();
  let peak = 0;
  const started = Date.now();
  const until = started + 30_000;
  while (Date.now() < until) {
    // a surge ramps (1 -> 5 shoppers over 12 s, as the holiday-surge profile ramps to 5x): five shopper
    // loops switched on in the same instant would start five checkouts in lockstep, a burst no crowd makes
    load.setShoppers(Math.min(5, 1 + Math.floor((Date.now() - started) / 3000)));
    await new Promise((r) => setTimeout(r, 500));
    peak = Math.max(peak, rate());
    for (const a of await firingAlerts(app)) seen.set(`${a.name} (${a.service})`, a.summary);
  }
  const detector = [...seen].filter(([k]) => !k.startsWith('SLOBurnRate'));
  process.stdout.write(`\n[control] surge: storefront ${before.toFixed(1)} -> ${peak.toFixed(1)} req/s (${(peak / before).toFixed(1)}x); alerts: ${seen.size ? [...seen].map(([k, v]) => `${k}: ${v}`).join('; ') : 'none'}\n`);
  assert.ok(peak / before >= 3, `the surge reached ${(peak / before).toFixed(1)}x`);
  assert.deepEqual(detector, [], 'no degradation alert during a pure surge');
  assert.deepEqual([...seen.keys()], [], 'no SLO alert either');
});
