// A recorded fault run at demo traffic, with Holdfast deployed as in production (one process per role, no
// tracing) and the load from `holdfast loadtest mixed --rate 5`: a baseline load test, then psp.latency
// (2000 ms) set for one load test's length and cleared; the incident's postmortem
// (GET /api/ops/incidents/:id/postmortem?format=json) gives a duration within 5 s of the fault's, and its
// impact counts (checkout requests, payments) match the load test's own JSON report within 10 %.
// detection: light
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { admin, clearFault, setFault } from '../helpers/shop.ts';
import { demoLoadtest, describeFinding, finished, firstFinding } from '../helpers/low-traffic.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let shop: RoleDeployment;
let dir: string;
before(async () => {
  shop = await startRoleDeployment();
  dir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-recorded-run-'));
});
after(async () => {
  await shop?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ops = (method: string, url: string) => admin(shop.opsUrl, shop.adminToken, method, url);

test('postmortem of a recorded psp.latency run: duration within 5 s of the fault, impact within 10 % of the load test\'s counts', { timeout: 300_000 }, async () => {
  // a baseline for the detector, then the fault for exactly one load test
  await finished(demoLoadtest(shop, 40));
  const report = path.join(dir, 'during-fault.json');
  const setAt = Date.now();
  await setFault(shop.url, shop.adminToken, 'psp.latency', { latencyMs: 2000 });
  const during = demoLoadtest(shop, 45, report);
  const named = firstFinding(shop, setAt, 40_000);
  await finished(during);
  // the last checkouts' payment jobs (2 s provider calls) finish before the fault is cleared
  await sleep(5000);
  await clearFault(shop.url, shop.adminToken, 'psp.latency');
  const faultSeconds = (Date.now() - setAt) / 1000;
  const first = await named;
  process.stdout.write(`[recorded-run] recorded run: ${describeFinding(first)}\n`);
  assert.ok(first, 'an alert with a finding during the recorded fault run');

  const incidents = (await ops('GET', '/api/ops/incidents?limit=50')).json.items as { id: string; triggeredAt: string }[];
  const incident = incidents.find((i) => Date.parse(i.triggeredAt) >= setAt - 1000);
  assert.ok(incident, 'an incident for the fault');
  const pm = await ops('GET', `/api/ops/incidents/${incident.id}/postmortem?format=json`);
  assert.equal(pm.status, 200, pm.text);
  const markdown = pm.json.markdown as string;
  process.stdout.write(`[recorded-run] postmortem:\n${markdown.split('\n').filter((l) => /Duration|Start|End|affected/i.test(l)).join('\n')}\n`);

  const lt = JSON.parse(await readFile(report, 'utf8')) as { steps: { name: string; requests: number; interrupted: number; statuses: Record<string, number> }[] };
  const placeOrder = lt.steps.filter((s) => s.name === 'place-order');
  const checkoutRequests = placeOrder.reduce((n, s) => n + s.requests - s.interrupted, 0);
  const ordersAccepted = placeOrder.reduce((n, s) => n + (s.statuses['202'] ?? 0), 0);

  const duration = /\*\*Duration:\*\*[^\n]*?\((\d+(?:\.\d+)?) s\)|\*\*Duration:\*\* ([^\n]+)/.exec(markdown);
  const seconds = durationSeconds(markdown);
  process.stdout.write(`[recorded-run] fault ${faultSeconds.toFixed(1)} s, postmortem duration ${seconds} s (${duration?.[0] ?? 'no duration line'}); load test: ${checkoutRequests} checkout requests, ${ordersAccepted} accepted\n`);
  assert.ok(Math.abs(seconds - faultSeconds) <= 5, `postmortem duration ${seconds} s against the fault's ${faultSeconds.toFixed(1)} s`);

  const shoppers = /Shoppers affected:\*\* [\d.]+% \((\d[\d,]*) of (\d[\d,]*) checkout requests/.exec(markdown);
  const orders = /Orders affected:\*\* [\d.]+% \((\d[\d,]*) of (\d[\d,]*) payments/.exec(markdown);
  assert.ok(shoppers && orders, `impact figures in the postmortem:\n${markdown}`);
  const num = (s: string) => Number(s.replace(/,/g, ''));
  const within10 = (measured: number, expected: number, what: string) =>
    assert.ok(expected > 0 && Math.abs(measured - expected) <= 0.1 * expected, `${what}: postmortem ${measured}, load test ${expected}`);
  within10(num(shoppers[2]!), checkoutRequests, 'checkout requests during the fault');
  // every payment during a 2 s provider delay is over the payment journey's 1 s objective
  within10(num(orders[1]!), ordersAccepted, 'payments affected (slow) during the fault');
  within10(num(orders[2]!), ordersAccepted, 'payments during the fault');
});

/** The postmortem's duration line ("**Duration:** 1 min 2 s") in seconds. */
function durationSeconds(markdown: string): number {
  const line = /\*\*Duration:\*\*([^\n]+)/.exec(markdown)?.[1] ?? '';
  const h = Number(/(\d+) h/.exec(line)?.[1] ?? 0);
  const m = Number(/(\d+) min/.exec(line)?.[1] ?? 0);
  const s = Number(/(\d+(?:\.\d+)?) s\b/.exec(line)?.[1] ?? NaN);
  return h * 3600 + m * 60 + (Number.isFinite(s) ? s : 0);
}
