// The fault-injection admin API's contract, on its routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { faultRoutes } from './fault-routes.ts';
import { changesBetween } from '../changes/index.ts';

let t: RouteTest;
before(async () => { t = await routeTest((app, { db, adminTokenSha256 }) => faultRoutes(app, { pool: db.pool, adminTokenSha256, source: 'operator via test' })); });
after(async () => { await t?.close(); });

test('401 UNAUTHORIZED without the admin token', async () => {
  const res = await t.call('GET', '/api/admin/faults');
  assert.equal(res.status, 401);
  assert.equal(res.json.error.code, 'UNAUTHORIZED');
});

test('list 200; one fault 200 with its schema; 404 FAULT_UNKNOWN', async () => {
  const list = await t.call('GET', '/api/admin/faults', { admin: true });
  assert.equal(list.status, 200);
  assert.ok(list.json.items.some((f: { name: string }) => f.name === 'psp.latency'));
  const one = await t.call('GET', '/api/admin/faults/psp.latency', { admin: true });
  assert.equal(one.status, 200);
  assert.equal(one.json.active, false);
  assert.ok(one.json.paramsSchema);
  const unknown = await t.call('GET', '/api/admin/faults/psp.lightning', { admin: true });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.error.code, 'FAULT_UNKNOWN');
});

test('PUT 200 switches a fault on (with a time to live); 400 FAULT_PARAMS_INVALID; DELETE 204 switches it off', async () => {
  const on = await t.call('PUT', '/api/admin/faults/psp.latency?ttlSeconds=60', { admin: true, body: { latencyMs: 250 } });
  assert.equal(on.status, 200, on.body);
  assert.deepEqual([on.json.active, on.json.params], [true, { latencyMs: 250 }]);
  assert.ok(on.json.expiresAt);
  const bad = await t.call('PUT', '/api/admin/faults/psp.latency', { admin: true, body: { latencyMs: -1 } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'FAULT_PARAMS_INVALID');
  assert.equal((await t.call('PUT', '/api/admin/faults/psp.lightning', { admin: true, body: {} })).json.error.code, 'FAULT_UNKNOWN');
  assert.equal((await t.call('DELETE', '/api/admin/faults/psp.latency', { admin: true })).status, 204);
  assert.equal((await t.call('GET', '/api/admin/faults/psp.latency', { admin: true })).json.active, false);
  // Each switch is a change event an incident's timeline can show; the rejected PUTs left none.
  const changes = await changesBetween(t.db.pool, { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 1000) });
  assert.deepEqual(changes.map((c) => [c.kind, c.subject, c.source]), [
    ['fault.set', 'psp.latency', 'operator via test'], ['fault.cleared', 'psp.latency', 'operator via test'],
  ]);
  assert.match(changes[0]!.summary, /fault psp\.latency set \(latencyMs 250\), until /);
  assert.equal((await t.call('DELETE', '/api/admin/faults/psp.latency', { admin: true })).status, 204, 'clearing an inactive fault');
  assert.equal((await changesBetween(t.db.pool, { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 1000) })).length, 2, 'clearing an inactive fault records nothing');
});
