// The fault matrix (issue 4, acceptance 1 and 2), with Holdfast deployed as in production: one process
// per role (storefront, payments, psp, control), the control role scraping the others once a second.
// Under steady shopper load, each fault in turn is injected, alerted on, analysed and cleared. Asserts,
// for every fault an alert within 15 s; the injected cause ranked first for at least six of the seven
// (and always for psp.latency and network.latency); for psp.latency, a finding
// that names the provider dependency of payments and rules the network out with numbers; for
// network.latency, a finding that names the network. Every role exports all its spans to the control
// role, whose findings then also say whose own time per trace grew. Prints the table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { firingAlerts, runMatrix, startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';

const FAULTS = ['psp.latency', 'psp.errors', 'payments.cpu', 'db.slow', 'storefront.cpu', 'storefront.latency', 'network.latency'];

let shop: RoleDeployment;
let load: ShopperLoad;
before(async () => {
  shop = await startRoleDeployment({ HOLDFAST_NETWORK_FAULT_PROXY: 'true' }, { tracing: true });
  load = await startShopperLoad(shop);
});
after(async () => { await load?.stop(); await shop?.stop(); });

test(`fault matrix, one process per role: ${FAULTS.join(', ')}`, { timeout: 420_000 }, async () => {
  // the detector needs a baseline
  await new Promise((r) => setTimeout(r, 25_000));
  // printed, not asserted: control-surge.test.ts is the false-positive test, and an alert raised before a
  // fault is never taken for that fault's (runFault waits for one that starts after the injection)
  const early = await firingAlerts(shop);
  if (early.length) process.stdout.write(`[control] alerts before any fault: ${early.map((a) => `${a.name} (${a.service}): ${a.summary}`).join('; ')}\n`);
  const rows = await runMatrix(shop, FAULTS);
  const correct = rows.filter((r) => r.run.topCause === r.expected).length;
  process.stdout.write(`[control] top-1 correct: ${correct}/${rows.length}; alerts within 15 s: ${rows.filter((r) => r.run.secondsToAlert !== null && r.run.secondsToAlert <= 15).length}/${rows.length}; load errors: ${load.errors.length}\n`);
  for (const r of rows) {
    assert.ok(r.run.secondsToAlert !== null && r.run.secondsToAlert <= 15, `${r.fault}: alert after ${r.run.secondsToAlert} s`);
  }
  // The target is the top cause right in 95 % of runs; one run of seven faults cannot show that (each
  // run's table is printed, docs/observability.md keeps the tally). A run with two or more wrong fails.
  const wrong = rows.filter((r) => r.run.topCause !== r.expected);
  assert.ok(wrong.length <= 1, `top cause wrong for ${wrong.map((r) => `${r.fault} (${r.run.topCause}: ${r.run.alert?.rootCause})`).join('; ')}`);
  for (const fault of ['psp.latency', 'network.latency']) {
    const r = rows.find((x) => x.fault === fault)!;
    assert.equal(r.run.topCause, r.expected, `${fault}: top cause ${r.run.topCause}: ${r.run.alert?.rootCause}`);
  }
  const latency = rows.find((r) => r.fault === 'psp.latency')!.run;
  assert.equal(latency.networkInvolved, false, latency.finding?.network?.text);
  assert.match(latency.alert!.rootCause!, /payments -> provider calls: p(50|99) .*network: not involved \(provider calls .* measured by payments vs .* served by the provider/);
  // The traces agree: the provider's own time per trace grew most. Unless, at the alert, none of the
  // traces held up by the provider had ended yet (the evidence then says nothing grew: a CI run alerted
  // 5 s in, with 10 fast traces since); they must never name another component as the one that grew.
  const traceTop = latency.finding?.traces?.components?.[0];
  if (traceTop && traceTop.growthSeconds > 0) assert.equal(traceTop.component, 'payment-provider', latency.finding?.traces?.text);
  else assert.match(latency.finding?.traces?.text ?? 'no trace evidence', /none grew yet|no trace evidence/);
  const network = rows.find((r) => r.fault === 'network.latency')!.run;
  assert.equal(network.networkInvolved, true, network.finding?.network?.text);
  assert.match(network.alert!.rootCause!, /^network \(payments <-> provider\).*network: INVOLVED/);
});
