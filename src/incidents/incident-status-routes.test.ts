// The operators' hands on an incident and the status page, on the routes alone (inject, no socket), against
// PostgreSQL: status page updates (shown on /status and /api/status, newest first; `resolved` resolves),
// owner and severity (timeline, detail, and which channels are told), and components set by hand (wins over
// the automatic state, expires, cleared, change events, survives a new server on the same database).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { changesBetween } from '../changes/index.ts';
import { IncidentResponder, type AlertSignal } from './incident-responder.ts';
import { incidentRoutes } from './incident-routes.ts';
import { statusRoutes } from './status-routes.ts';
import { statusOpsRoutes } from './status-ops-routes.ts';
import { StatusPageService } from './status-page-service.ts';
import { defaultEscalationPolicy } from './escalation.ts';
import { acceptsOf } from './outbox.ts';
import { createSlackChannel } from './channels/slack-channel.ts';
import { createPagerDutyChannel } from './channels/pagerduty-channel.ts';

let t: RouteTest;
let responder: IncidentResponder;
let clock = Date.parse('2026-12-02T10:00:00Z');
// Slack and PagerDuty configured (their notifications are written to the outbox; nothing delivers them here)
const channels = [
  createSlackChannel({ webhookUrl: 'http://127.0.0.1:9/slack', timeoutMs: 1000 }),
  createPagerDutyChannel({ eventsUrl: 'http://127.0.0.1:9/v2/enqueue', routingKey: 'r'.repeat(32), timeoutMs: 1000 }),
];
before(async () => {
  t = await routeTest((app, { db, adminTokenSha256 }) => {
    responder = new IncidentResponder({ pool: db.pool, policy: defaultEscalationPolicy(['slack', 'pagerduty']), accepts: acceptsOf(channels), clock: () => clock });
    incidentRoutes(app, responder, adminTokenSha256);
    statusOpsRoutes(app, { pool: db.pool, adminTokenSha256, source: 'operator via test', clock: () => clock });
    statusRoutes(app, new StatusPageService({ pool: db.pool, maxAgeMs: 0, clock: () => clock }));
  });
});
after(async () => {
  await t?.close();
  await Promise.all(channels.map((c) => c.close?.()));
});

let seq = 0;
const openIncident = async (over: Partial<AlertSignal> = {}) => (await responder.apply({
  key: `status-test-${++seq}`, name: 'LatencyDegradation', state: 'firing', component: 'payments -> provider', severity: 'warning',
  summary: 'provider p50 2.0 s', rootCause: null, cause: `cause-${seq}`, source: 'holdfast control', at: clock, ...over,
}))!;
const publicIncident = async (id: string) => (await t.call('GET', '/api/status')).json.incidents.find((i: { id: string }) => i.id === id);
const detail = async (id: string) => (await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json;
const components = async () => Object.fromEntries((await t.call('GET', '/api/status')).json.components.map((c: { name: string }) => [c.name, c]));

test('every new route needs the admin token; bad bodies are 400 VALIDATION_FAILED, unknown ids 404', async () => {
  const id = randomUUID();
  for (const [method, url, body] of [
    ['POST', `/api/ops/incidents/${id}/status-updates`, { status: 'identified', message: 'x' }], ['POST', `/api/ops/incidents/${id}/assign`, { owner: 'ana' }],
    ['POST', `/api/ops/incidents/${id}/severity`, { severity: 'critical' }], ['GET', '/api/ops/status/components', undefined],
    ['PUT', '/api/ops/status/components/search', { status: 'under_maintenance', reason: 'x' }], ['DELETE', '/api/ops/status/components/search', undefined],
  ] as const) {
    const res = await t.call(method, url, body ? { body } : {});
    assert.equal(res.status, 401, `${method} ${url}`);
    assert.equal(res.json.error.code, 'UNAUTHORIZED');
  }
  const bad = async (url: string, body: unknown) => {
    const res = await t.call('POST', url, { admin: true, body });
    assert.equal(res.status, 400, `${url} ${JSON.stringify(body)}: ${res.body}`);
    assert.equal(res.json.error.code, 'VALIDATION_FAILED');
  };
  await bad(`/api/ops/incidents/${id}/status-updates`, { status: 'postmortem', message: 'x' });
  await bad(`/api/ops/incidents/${id}/status-updates`, { status: 'identified', message: '   ' });
  await bad(`/api/ops/incidents/${id}/status-updates`, { status: 'identified' });
  await bad(`/api/ops/incidents/${id}/status-updates`, { status: 'identified', message: 'x'.repeat(2001) });
  await bad(`/api/ops/incidents/${id}/assign`, { owner: '' });
  await bad(`/api/ops/incidents/${id}/severity`, { severity: 'sev1' });
  await bad(`/api/ops/incidents/not-a-uuid/severity`, { severity: 'info' });
  for (const [url, body] of [[`${id}/status-updates`, { status: 'identified', message: 'x' }], [`${id}/assign`, { owner: 'ana' }], [`${id}/severity`, { severity: 'info' }]] as const) {
    const res = await t.call('POST', `/api/ops/incidents/${url}`, { admin: true, body });
    assert.equal(res.status, 404, url);
    assert.equal(res.json.error.code, 'INCIDENT_NOT_FOUND');
  }
});

test('operators\' status page updates: on /api/status and /status newest first with their time, in the timeline; resolved resolves; only resolved after that', async () => {
  const id = await openIncident();
  // before any update: the drafted one
  assert.deepEqual((await publicIncident(id)).updates.map((u: { status: string; drafted: boolean }) => [u.status, u.drafted]), [['investigating', true]]);

  clock += 60_000;
  const first = await t.call('POST', `/api/ops/incidents/${id}/status-updates`, { admin: true, body: { status: 'investigating', message: 'Payments are slow to be confirmed; orders are safe.', by: 'ana' } });
  assert.equal(first.status, 201, first.body);
  assert.deepEqual(first.json.update, { status: 'investigating', message: 'Payments are slow to be confirmed; orders are safe.', by: 'ana', at: new Date(clock).toISOString() });
  assert.equal(first.json.incident.state, 'triggered');
  clock += 120_000;
  await t.call('POST', `/api/ops/incidents/${id}/status-updates`, { admin: true, body: { status: 'identified', message: '  Our payment provider is slow; a fix is under way.  ' } });

  const shown = await publicIncident(id);
  assert.equal(shown.status, 'identified', "the incident's public status is its latest update's");
  assert.deepEqual(shown.updates, [
    { status: 'identified', body: 'Our payment provider is slow; a fix is under way.', at: new Date(clock).toISOString(), drafted: false },
    { status: 'investigating', body: 'Payments are slow to be confirmed; orders are safe.', at: new Date(clock - 120_000).toISOString(), drafted: false },
  ]);
  const html = (await t.call('GET', '/status')).body;
  const newer = html.indexOf('Our payment provider is slow; a fix is under way.');
  assert.ok(newer > 0 && newer < html.indexOf('Payments are slow to be confirmed; orders are safe.'), 'newest first on /status');
  assert.match(html, /<strong>Identified<\/strong> \(<time datetime="2026-12-02T10:03:00.000Z">2 Dec 2026, 10:03 UTC<\/time>\): Our payment provider is slow/);

  let d = await detail(id);
  assert.deepEqual(d.timeline.filter((e: { kind: string }) => e.kind === 'status_update').map((e: { summary: string; data: { by: string } }) => [e.summary, e.data.by]), [
    ['Status page update (investigating) by ana: Payments are slow to be confirmed; orders are safe.', 'ana'],
    ['Status page update (identified) by operator: Our payment provider is slow; a fix is under way.', 'operator'],
  ]);

  clock += 60_000;
  const resolved = await t.call('POST', `/api/ops/incidents/${id}/status-updates`, { admin: true, body: { status: 'resolved', message: 'Payments are confirmed at the usual speed again.', by: 'ana' } });
  assert.equal(resolved.status, 201, resolved.body);
  assert.equal(resolved.json.incident.state, 'resolved');
  d = await detail(id);
  assert.equal(d.resolvedAt, new Date(clock).toISOString());
  assert.deepEqual(d.notifications.map((n: { channel: string; kind: string }) => `${n.channel} ${n.kind}`).sort(), ['pagerduty page', 'pagerduty resolve', 'slack page', 'slack resolve']);
  assert.equal((await publicIncident(id)).status, 'resolved');
  assert.equal((await components()).payments.status, 'operational');

  const after = await t.call('POST', `/api/ops/incidents/${id}/status-updates`, { admin: true, body: { status: 'monitoring', message: 'still watching' } });
  assert.equal(after.status, 409);
  assert.equal(after.json.error.code, 'STATUS_UPDATE_AFTER_RESOLUTION');
  const closing = await t.call('POST', `/api/ops/incidents/${id}/status-updates`, { admin: true, body: { status: 'resolved', message: 'The provider has explained the cause; a postmortem follows.' } });
  assert.equal(closing.status, 201, 'a closing word after the resolution');
  assert.equal((await publicIncident(id)).updates[0].body, 'The provider has explained the cause; a postmortem follows.');
});

test('owner and severity: in the detail and the timeline; severity told to Slack, not PagerDuty; resolved incidents keep their severity', async () => {
  const id = await openIncident({ severity: 'warning' });
  const assigned = await t.call('POST', `/api/ops/incidents/${id}/assign`, { admin: true, body: { owner: 'ana', by: 'bob' } });
  assert.equal(assigned.status, 200, assigned.body);
  assert.equal(assigned.json.owner, 'ana');
  await t.call('POST', `/api/ops/incidents/${id}/assign`, { admin: true, body: { owner: 'ana' } });
  await t.call('POST', `/api/ops/incidents/${id}/assign`, { admin: true, body: { owner: 'carl', by: 'ana' } });

  const raised = await t.call('POST', `/api/ops/incidents/${id}/severity`, { admin: true, body: { severity: 'critical', by: 'carl' } });
  assert.equal(raised.status, 200, raised.body);
  assert.equal(raised.json.severity, 'critical');
  const same = await t.call('POST', `/api/ops/incidents/${id}/severity`, { admin: true, body: { severity: 'critical' } });
  assert.equal(same.status, 200);

  const d = await detail(id);
  assert.equal(d.owner, 'carl');
  assert.equal(d.severity, 'critical');
  assert.deepEqual(d.timeline.filter((e: { kind: string }) => e.kind === 'assigned' || e.kind === 'update').map((e: { summary: string }) => e.summary), [
    'Owner: ana (assigned by bob)', 'Owner: carl (assigned by ana; was ana)', 'Updated by carl: severity: critical',
  ], 'assigning the same owner again and the same severity again record nothing');
  // Slack takes updates; PagerDuty's Events API v2 cannot change an open alert's severity, so it is not told
  assert.deepEqual(d.notifications.map((n: { channel: string; kind: string }) => `${n.channel} ${n.kind}`).sort(), ['pagerduty page', 'slack page', 'slack update']);
  assert.equal((await publicIncident(id)).impact, 'major', 'the public impact follows the severity');
  assert.deepEqual((await t.call('GET', '/api/ops/incidents', { admin: true })).json.items.find((i: { id: string }) => i.id === id).owner, 'carl');

  await t.call('POST', `/api/ops/incidents/${id}/resolve`, { admin: true });
  const late = await t.call('POST', `/api/ops/incidents/${id}/severity`, { admin: true, body: { severity: 'info' } });
  assert.equal(late.status, 409);
  assert.equal(late.json.error.code, 'INCIDENT_ALREADY_RESOLVED');
  assert.equal((await t.call('POST', `/api/ops/incidents/${id}/assign`, { admin: true, body: { owner: 'dana' } })).json.owner, 'dana', 'the postmortem has an owner too');
});

test('a component set by hand wins over the automatic state until cleared or expired; change events; unknown names 404', async () => {
  const id = await openIncident({ component: 'checkout', cause: 'checkout-cause' });
  assert.deepEqual((await components()).checkout, { name: 'checkout', status: 'degraded_performance', source: 'automatic' });

  const set = await t.call('PUT', '/api/ops/status/components/checkout', { admin: true, body: { status: 'major_outage', reason: 'card form broken for every shopper', by: 'ana' } });
  assert.equal(set.status, 200, set.body);
  assert.deepEqual(set.json, {
    name: 'checkout', status: 'major_outage', source: 'manual', until: null, reasons: ['set by hand: card form broken for every shopper'],
    override: { status: 'major_outage', reason: 'card form broken for every shopper', setBy: 'ana', startsAt: new Date(clock).toISOString(), endsAt: null },
    automatic: { status: 'degraded_performance', reasons: [`open incident ${id}`] },
  });
  assert.deepEqual((await components()).checkout, { name: 'checkout', status: 'major_outage', source: 'manual' });
  assert.match((await t.call('GET', '/status')).body, /<li data-component="checkout">.*?Major outage.*?Set by our team\./s);

  // a second override replaces the first; this one expires by itself
  const maintenance = await t.call('PUT', '/api/ops/status/components/checkout', { admin: true, body: { status: 'under_maintenance', reason: 'card form fix', durationMinutes: 30 } });
  assert.equal(maintenance.json.until, new Date(clock + 30 * 60_000).toISOString());
  assert.deepEqual((await components()).checkout, { name: 'checkout', status: 'under_maintenance', source: 'manual', until: new Date(clock + 30 * 60_000).toISOString() });
  clock += 30 * 60_000;
  assert.deepEqual((await components()).checkout, { name: 'checkout', status: 'degraded_performance', source: 'automatic' }, 'expired: the open incident shows again');

  const again = await t.call('PUT', '/api/ops/status/components/checkout', { admin: true, body: { status: 'operational', reason: 'false alarm', expiresAt: new Date(clock + 3_600_000).toISOString() } });
  assert.equal(again.json.status, 'operational');
  assert.equal(again.json.source, 'manual');
  clock += 1000;
  const cleared = await t.call('DELETE', '/api/ops/status/components/checkout?by=ana', { admin: true });
  assert.equal(cleared.status, 200, cleared.body);
  assert.equal(cleared.json.cleared, true);
  assert.equal(cleared.json.status, 'degraded_performance');
  assert.equal(cleared.json.override, null);
  assert.equal((await t.call('DELETE', '/api/ops/status/components/checkout', { admin: true })).json.cleared, false, 'nothing to clear');

  const listed = await t.call('GET', '/api/ops/status/components', { admin: true });
  assert.deepEqual(listed.json.items.map((c: { name: string; source: string }) => `${c.name} ${c.source}`), ['storefront automatic', 'search automatic', 'checkout automatic', 'payments automatic']);
  assert.deepEqual(listed.json.items.find((c: { name: string }) => c.name === 'checkout').reasons, [`open incident ${id}`]);

  const changes = (await changesBetween(t.db.pool, { from: new Date(0), to: new Date(Date.now() + 60_000), limit: 100 })).filter((c) => c.subject === 'status-page:checkout');
  assert.deepEqual(changes.map((c) => [c.kind, c.source]), [
    ['status_page.override_set', 'operator via test'], ['status_page.override_set', 'operator via test'], ['status_page.override_set', 'operator via test'],
    ['status_page.override_cleared', 'operator via test'],
  ]);
  assert.equal(changes[0]!.summary, 'status page: checkout set to major_outage by hand (ana) until cleared: card form broken for every shopper');
  assert.deepEqual(changes[0]!.details, { component: 'checkout', status: 'major_outage', reason: 'card form broken for every shopper', setBy: 'ana', endsAt: null });

  for (const [method, body] of [['PUT', { status: 'under_maintenance', reason: 'x' }], ['DELETE', undefined]] as const) {
    const res = await t.call(method, '/api/ops/status/components/database', { admin: true, ...(body ? { body } : {}) });
    assert.equal(res.status, 404, method);
    assert.equal(res.json.error.code, 'STATUS_COMPONENT_NOT_FOUND');
  }
  const expiry = async (body: Record<string, unknown>) => {
    const res = await t.call('PUT', '/api/ops/status/components/search', { admin: true, body: { status: 'under_maintenance', reason: 'x', ...body } });
    assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.body}`);
    return res.json.error.code;
  };
  assert.equal(await expiry({ expiresAt: new Date(clock - 1000).toISOString() }), 'STATUS_OVERRIDE_EXPIRY_INVALID');
  assert.equal(await expiry({ expiresAt: new Date(clock + 60_000).toISOString(), durationMinutes: 5 }), 'STATUS_OVERRIDE_EXPIRY_INVALID');
  assert.equal(await expiry({ expiresAt: 'tomorrow' }), 'VALIDATION_FAILED');
  assert.equal(await expiry({ durationMinutes: 0 }), 'VALIDATION_FAILED');
  assert.equal((await t.call('PUT', '/api/ops/status/components/search', { admin: true, body: { status: 'closed', reason: 'x' } })).json.error.code, 'VALIDATION_FAILED');
});

test('an override is in the database: a new server on the same database shows it', async () => {
  await t.call('PUT', '/api/ops/status/components/search', { admin: true, body: { status: 'under_maintenance', reason: 'reindex', durationMinutes: 60 } });
  const fresh = new StatusPageService({ pool: t.db.pool, maxAgeMs: 0, clock: () => clock });
  const search = (await fresh.page()).components.find((c) => c.name === 'search')!;
  assert.deepEqual([search.status, search.source], ['under_maintenance', 'manual']);
});
