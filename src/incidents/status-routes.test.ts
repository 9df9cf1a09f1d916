// The public status page on the routes alone (inject), against PostgreSQL: no token, cacheable, components
// from open incidents and the SLO burns the control role writes, back to operational once resolved; the
// storefront's banner follows the same computation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { StatusPageService } from './status-page-service.ts';
import { statusRoutes } from './status-routes.ts';
import { saveSloBurns } from './status-page-store.ts';
import { openIncident, resolveIncident } from './incident-store.ts';
import { defaultEscalationPolicy } from './escalation.ts';
import { STATUS_CACHE_CONTROL } from './status-page.ts';

let t: RouteTest;
let status: StatusPageService;
before(async () => {
  t = await routeTest((app, { db }) => {
    status = new StatusPageService({ pool: db.pool, maxAgeMs: 0 });
    statusRoutes(app, status);
  });
});
after(async () => { await t?.close(); });

const stateOf = async () => Object.fromEntries((await t.call('GET', '/api/status')).json.components.map((c: { name: string; status: string }) => [c.name, c.status]));
const none = () => false;

test('GET /api/status and /status: public and cacheable; every component operational on a quiet shop', async () => {
  const res = await t.call('GET', '/api/status');
  assert.equal(res.status, 200, res.body);
  assert.equal(res.headers['cache-control'], STATUS_CACHE_CONTROL);
  assert.deepEqual(res.json.components, [
    { name: 'storefront', status: 'operational', source: 'automatic' }, { name: 'search', status: 'operational', source: 'automatic' },
    { name: 'checkout', status: 'operational', source: 'automatic' }, { name: 'payments', status: 'operational', source: 'automatic' },
  ]);
  assert.deepEqual(res.json.incidents, []);
  const page = await t.call('GET', '/status');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.equal(page.headers['cache-control'], STATUS_CACHE_CONTROL);
  assert.match(page.body, /All systems operational/i);
  assert.doesNotMatch(page.body, /<script/i);
  await status.page();
  assert.equal(status.bannerHtml(), '');
});

test('an open provider incident degrades payments; a firing payment SLO makes it worse; resolved and quiet, operational again', async () => {
  const now = Date.now();
  const { incident } = await openIncident(t.db.pool, {
    title: 'payments -> provider: provider p50 2.0 s', severity: 'critical', component: 'payments -> provider', source: 'holdfast control',
    policy: defaultEscalationPolicy([]), at: now,
  }, none);
  assert.equal((await stateOf()).payments, 'degraded_performance');
  await status.page();
  assert.match(status.bannerHtml(), /Payments are slow right now; your order is safe and will be confirmed\./);
  const body = (await t.call('GET', '/api/status')).json;
  assert.equal(body.incidents.length, 1);

  // the availability objective burning fast: a partial outage (under half the payments failing)
  await saveSloBurns(t.db.pool, [{ journey: 'payment', objective: 'availability', target: 0.99, shortBurn: 20, firing: true }], Date.now());
  assert.equal((await stateOf()).payments, 'partial_outage');
  assert.match((await t.call('GET', '/status')).body, /Partial outage/i);

  await resolveIncident(t.db.pool, incident.id, Date.now(), none);
  await saveSloBurns(t.db.pool, [{ journey: 'payment', objective: 'availability', target: 0.99, shortBurn: 0, firing: false }], Date.now());
  assert.equal((await stateOf()).payments, 'operational');
  await status.page();
  assert.equal(status.bannerHtml(), '');
  // the resolved incident stays listed, resolved
  assert.equal((await t.call('GET', '/api/status')).json.incidents[0].status, 'resolved');
});

test('a burn the control role stopped rewriting is stale and says nothing', async () => {
  await saveSloBurns(t.db.pool, [{ journey: 'checkout', objective: 'latency', target: 0.95, shortBurn: 30, firing: true }], Date.now() - 120_000);
  assert.equal((await stateOf()).checkout, 'operational');
});
