// The control role's ops API and OTLP receiver: their contract on the routes alone (inject, no socket).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { ControlPlane } from './control-plane.ts';
import { controlSettings } from './control-config.ts';
import { controlRoutes } from './control-routes.ts';

let t: RouteTest;
let plane: ControlPlane;
before(async () => {
  plane = new ControlPlane(controlSettings({ controlScrapeTargets: [] }, { scrapeSelf: false }));
  t = await routeTest((app, { adminTokenSha256 }) => controlRoutes(app, plane, adminTokenSha256));
});
after(async () => {
  await plane.stop();
  await t?.close();
});

test('the ops API: 401 UNAUTHORIZED without the admin token; alerts, traces and findings 200 with it', async () => {
  for (const url of ['/api/ops/alerts', '/api/ops/traces', '/api/ops/rca']) {
    const denied = await t.call('GET', url);
    assert.equal(denied.status, 401, url);
    assert.equal(denied.json.error.code, 'UNAUTHORIZED');
    const res = await t.call('GET', url, { admin: true });
    assert.equal(res.status, 200, url);
    assert.equal(res.headers['cache-control'], 'no-store');
  }
  assert.deepEqual((await t.call('GET', '/api/ops/alerts?state=firing', { admin: true })).json, { items: [] });
  assert.equal((await t.call('GET', '/api/ops/alerts?state=lost', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  assert.equal((await t.call('GET', '/api/ops/traces?seconds=0', { admin: true })).json.error.code, 'VALIDATION_FAILED');
});

test('POST /v1/traces: 200 for OTLP/HTTP JSON (no token: exporters send none); spans without valid times are a partial success; 400 for a bad body', async () => {
  const span = (spanId: string, start: string, end: string) => ({ traceId: 'a'.repeat(32), spanId, name: 'GET /api/products', kind: 2, startTimeUnixNano: start, endTimeUnixNano: end });
  const ok = await t.call('POST', '/v1/traces', { body: { resourceSpans: [{ scopeSpans: [{ spans: [span('b'.repeat(16), '1700000000000000000', '1700000000050000000')] }] }] } });
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(ok.json, {});
  const partial = await t.call('POST', '/v1/traces', { body: { resourceSpans: [{ scopeSpans: [{ spans: [span('c'.repeat(16), '5', '1')] }] }] } });
  assert.equal(partial.status, 200);
  assert.equal(partial.json.partialSuccess.rejectedSpans, 1);
  const bad = await t.call('POST', '/v1/traces', { body: { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'x' }] }] }] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'VALIDATION_FAILED');
});
