// Fault matrix, part b (each part runs its own app so a file stays near 90 s): under steady shopper
// load, each fault in turn; prints time to alert and whether the top-ranked cause is the injected one.
// Asserts the detection targets (an alert within 15 s each); top-1 correctness is printed, and asserted
// where the single-process test can tell roles apart (see docs/observability.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { DEFAULT_DETECTOR } from '../../src/control/index.ts';
import { firingAlerts, runMatrix, startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';

const FAULTS = ['payments.cpu', 'storefront.cpu', 'storefront.latency'];

let app: TestApp;
let load: ShopperLoad;
before(async () => {
  app = await startTestApp({
    targets: ['storefront', 'psp', 'payments', 'control'], config: { pspPort: 0, logLevel: 'warn' },
    context: { networkFaultProxy: true, controlSettings: { detector: { ...DEFAULT_DETECTOR, resolveAfterSeconds: 3 } } },
  });
  load = await startShopperLoad(app);
});
after(async () => { await load?.stop(); await app?.stop(); });

test(`fault matrix: ${FAULTS.join(', ')}`, { timeout: 150_000 }, async () => {
  await new Promise((r) => setTimeout(r, 22_000));
  // not asserted here (control-surge.test.ts is the false-positive test): other test files share the CPU
  const early = await firingAlerts(app);
  if (early.length) process.stdout.write(`[control] alerts before any fault: ${early.map((a) => `${a.name} (${a.service}): ${a.summary}`).join('; ')}\n`);
  const rows = await runMatrix(app, FAULTS);
  for (const r of rows) {
    assert.ok(r.run.secondsToAlert !== null && r.run.secondsToAlert <= 15, `${r.fault}: alert after ${r.run.secondsToAlert} s`);
  }
});
