// The change log's route (inject, no socket): admin only, changes from `since` on oldest first, filtered by
// kind (one or several), and bad input answered 400.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { changesRoutes } from './changes-routes.ts';
import { recordChange } from './change-log.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db, adminTokenSha256 }) => changesRoutes(app, { pool: db.pool, adminTokenSha256 })); });
after(async () => { await t?.close(); });

test('401 without the admin token', async () => {
  const r = await t.call('GET', `/api/ops/changes?since=${new Date().toISOString()}`);
  assert.equal(r.status, 401);
  assert.equal(r.json.error.code, 'UNAUTHORIZED');
});

test('changes from `since` on, oldest first, of the kinds asked for', async () => {
  const before = await recordChange(t.db.pool, { kind: 'fault.set', subject: 'psp.latency', summary: 'fault psp.latency set', source: 'storefront' });
  await new Promise((r) => setTimeout(r, 20));
  const since = new Date().toISOString();
  const failover = await recordChange(t.db.pool, {
    kind: 'payments.failover', subject: 'payment-provider', summary: 'payments fail over from primary to secondary: primary circuit open',
    source: 'payments', details: { from: 'primary', to: 'secondary', reason: 'primary circuit open' },
  });
  const scaled = await recordChange(t.db.pool, { kind: 'scaling.decided', subject: 'payments', summary: 'payments 1 → 2', source: 'control' });
  const failback = await recordChange(t.db.pool, { kind: 'payments.failback', subject: 'payment-provider', summary: 'payments fail back', source: 'payments' });

  const all = await t.call('GET', `/api/ops/changes?since=${since}`, { admin: true });
  assert.equal(all.status, 200, all.body);
  assert.equal(all.headers['cache-control'], 'no-store');
  assert.deepEqual(all.json.items.map((c: { id: number }) => c.id), [failover.id, scaled.id, failback.id], 'nothing before `since`');
  assert.deepEqual(all.json.items[0].details, { from: 'primary', to: 'secondary', reason: 'primary circuit open' });

  const one = await t.call('GET', `/api/ops/changes?since=${since}&kind=payments.failover`, { admin: true });
  assert.deepEqual(one.json.items.map((c: { kind: string }) => c.kind), ['payments.failover']);
  const two = await t.call('GET', `/api/ops/changes?since=${since}&kind=payments.failover&kind=payments.failback`, { admin: true });
  assert.deepEqual(two.json.items.map((c: { kind: string }) => c.kind), ['payments.failover', 'payments.failback']);
  const limited = await t.call('GET', `/api/ops/changes?since=${new Date(Date.parse(before.at) - 1).toISOString()}&limit=2`, { admin: true });
  assert.deepEqual(limited.json.items.map((c: { id: number }) => c.id), [before.id, failover.id]);
});

test('bad input is a 400: no or malformed since, a kind outside the list, a limit out of range', async () => {
  for (const q of ['', '?since=yesterday', `?since=${new Date().toISOString()}&kind=payments.exploded`, `?since=${new Date().toISOString()}&limit=0`]) {
    const r = await t.call('GET', `/api/ops/changes${q}`, { admin: true });
    assert.equal(r.status, 400, `${q}: ${r.body}`);
    assert.equal(r.json.error.code, 'VALIDATION_FAILED', q);
  }
});
