// The incidents' ops API on the routes alone (inject, no socket), against PostgreSQL: alerts open and join
// incidents, timelines carry alerts, findings, notes and change events, acknowledging and resolving move
// the state once, and Alertmanager's webhook opens and resolves incidents.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { routeTest, type RouteTest } from '../../test/helpers/route-test.ts';
import { recordChange } from '../changes/index.ts';
import { IncidentResponder, type AlertSignal } from './incident-responder.ts';
import { incidentRoutes } from './incident-routes.ts';
import { defaultEscalationPolicy } from './escalation.ts';
import { SeriesWindow } from '../control/index.ts';

let t: RouteTest;
let responder: IncidentResponder;
/** the control role's metrics window, as the postmortem reads it */
const metrics = new SeriesWindow(3600);
before(async () => {
  t = await routeTest((app, { db, adminTokenSha256 }) => {
    // Slack is "configured" (its pages are written to the outbox); nothing delivers them here
    responder = new IncidentResponder({ pool: db.pool, policy: defaultEscalationPolicy(['slack']), accepts: (channel) => channel === 'slack' });
    incidentRoutes(app, responder, adminTokenSha256, metrics);
  });
});
after(async () => { await t?.close(); });

let seq = 0;
const alert = (over: Partial<AlertSignal> = {}): AlertSignal => ({
  key: `alert-test-${++seq}`, name: 'LatencyDegradation', state: 'firing', component: 'payments -> provider', severity: 'critical',
  summary: 'provider p50 2.0 s, 40x its baseline 50 ms', rootCause: 'payments -> provider calls: p50 2.0 s', cause: 'payment-provider',
  source: 'holdfast control', at: Date.now(), ...over,
});

test('without the admin token every route is 401; a malformed id is 400, an unknown one 404', async () => {
  const id = randomUUID();
  for (const [method, url] of [['GET', '/api/ops/incidents'], ['GET', `/api/ops/incidents/${id}`], ['POST', `/api/ops/incidents/${id}/acknowledge`],
    ['POST', `/api/ops/incidents/${id}/resolve`], ['POST', `/api/ops/incidents/${id}/notes`], ['POST', '/api/ops/alertmanager']] as const) {
    const res = await t.call(method, url, method === 'POST' ? { body: {} } : {});
    assert.equal(res.status, 401, url);
    assert.equal(res.json.error.code, 'UNAUTHORIZED');
  }
  assert.equal((await t.call('GET', '/api/ops/incidents/not-a-uuid', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  const missing = await t.call('GET', `/api/ops/incidents/${id}`, { admin: true });
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'INCIDENT_NOT_FOUND');
  const noBody = await t.call('POST', `/api/ops/incidents/${id}/acknowledge`, { admin: true });
  assert.equal(noBody.status, 404, noBody.body);
  assert.equal((await t.call('POST', `/api/ops/incidents/${id}/notes`, { admin: true, body: { text: 'x' } })).status, 404);
  assert.equal((await t.call('GET', '/api/ops/incidents?state=lost', { admin: true })).json.error.code, 'VALIDATION_FAILED');
  assert.equal((await t.call('POST', `/api/ops/incidents/${id}/notes`, { admin: true, body: { text: '' } })).json.error.code, 'VALIDATION_FAILED');
});

test('related alerts join one incident, an unrelated one opens another; the timeline has alerts, findings, notes and change events', async () => {
  const fault = await recordChange(t.db.pool, { kind: 'fault.set', subject: 'psp.latency', summary: 'psp.latency set (latencyMs 2000)', source: 'test' });
  const first = alert();
  const id = await responder.apply(first);
  assert.ok(id);
  // the payments' own latency (same component family) and the journey's SLO burn (same top cause) join it
  assert.equal(await responder.apply(alert({ component: 'payments', cause: null, rootCause: null })), id);
  assert.equal(await responder.apply(alert({ name: 'SLOBurnRate:payment:latency', component: 'storefront' })), id);
  // the same alert reported again (its finding refined) stays in it and updates the root cause once
  assert.equal(await responder.apply({ ...first, rootCause: 'payments -> provider calls: p50 2.1 s; network: not involved' }), id);
  // a joined alert's own finding is in the timeline but does not replace the root cause (it is a consequence)
  const joined = alert({ name: 'ErrorRatioDegradation', component: 'payments', cause: null, rootCause: null });
  assert.equal(await responder.apply(joined), id);
  await responder.apply({ ...joined, rootCause: 'database queries: payments.unpaid_past_deadline p50 13 ms', cause: 'database' });
  const other = await responder.apply(alert({ component: 'database', cause: 'database', rootCause: 'database queries' }));
  assert.notEqual(other, id);

  const list = await t.call('GET', '/api/ops/incidents?state=triggered', { admin: true });
  assert.equal(list.status, 200);
  assert.equal(list.headers['cache-control'], 'no-store');
  assert.deepEqual(new Set(list.json.items.map((i: { id: string }) => i.id)), new Set([id, other]));

  const note = await t.call('POST', `/api/ops/incidents/${id}/notes`, { admin: true, body: { text: 'looking at the provider dashboard', by: 'ana' } });
  assert.equal(note.status, 201, note.body);
  const res = await t.call('GET', `/api/ops/incidents/${id}`, { admin: true });
  assert.equal(res.status, 200, res.body);
  const detail = res.json;
  assert.equal(detail.state, 'triggered');
  assert.equal(detail.component, 'payments -> provider');
  assert.equal(detail.rootCause, 'payments -> provider calls: p50 2.1 s; network: not involved');
  assert.equal(detail.alerts.length, 4);
  const kinds = detail.timeline.map((e: { kind: string }) => e.kind);
  for (const kind of ['change', 'triggered', 'alert.firing', 'rca', 'update', 'note']) assert.ok(kinds.includes(kind), `${kind} in ${kinds.join(', ')}`);
  assert.equal(kinds.filter((k: string) => k === 'alert.firing').length, 4);
  assert.ok(detail.timeline.some((e: { kind: string; summary: string }) => e.kind === 'rca' && e.summary.includes('payments.unpaid_past_deadline')));
  const change = detail.timeline.find((e: { kind: string }) => e.kind === 'change');
  assert.equal(change.summary, 'psp.latency set (latencyMs 2000)');
  assert.equal(change.data.changeId, fault.id);
  assert.ok(kinds.indexOf('change') < kinds.indexOf('triggered'), 'the fault was set before the incident triggered');
  assert.deepEqual(detail.notifications.map((n: { channel: string; kind: string }) => `${n.channel} ${n.kind}`), ['slack page', 'slack update']);
});

test('acknowledge once (then 409), resolve once (then 409); each is in the timeline and the outbox', async () => {
  const id = (await responder.apply(alert({ component: 'search', cause: 'search-x' })))!;
  const ack = await t.call('POST', `/api/ops/incidents/${id}/acknowledge`, { admin: true, body: { by: 'ana' } });
  assert.equal(ack.status, 200, ack.body);
  assert.equal(ack.json.state, 'acknowledged');
  assert.equal(ack.json.acknowledgedBy, 'ana');
  const again = await t.call('POST', `/api/ops/incidents/${id}/acknowledge`, { admin: true });
  assert.equal(again.status, 409);
  assert.equal(again.json.error.code, 'INCIDENT_NOT_TRIGGERED');
  const resolved = await t.call('POST', `/api/ops/incidents/${id}/resolve`, { admin: true, body: { reason: 'provider recovered' } });
  assert.equal(resolved.status, 200, resolved.body);
  assert.equal(resolved.json.state, 'resolved');
  const twice = await t.call('POST', `/api/ops/incidents/${id}/resolve`, { admin: true });
  assert.equal(twice.status, 409);
  assert.equal(twice.json.error.code, 'INCIDENT_ALREADY_RESOLVED');
  const detail = (await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json;
  assert.deepEqual(detail.notifications.map((n: { kind: string }) => n.kind), ['page', 'acknowledge', 'resolve']);
  assert.ok(detail.timeline.some((e: { kind: string; summary: string }) => e.kind === 'resolved' && e.summary === 'Resolved by operator: provider recovered'));
});

test('an incident resolves itself when its last alert resolves, not before', async () => {
  const a = alert({ component: 'checkout-x', cause: null });
  const b = alert({ component: 'checkout-x', cause: null });
  const id = (await responder.apply(a))!;
  assert.equal(await responder.apply(b), id);
  await responder.apply({ ...a, state: 'resolved', at: Date.now() });
  assert.equal((await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json.state, 'triggered');
  await responder.apply({ ...b, state: 'resolved', at: Date.now() });
  const detail = (await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json;
  assert.equal(detail.state, 'resolved');
  assert.equal(detail.timeline.filter((e: { kind: string }) => e.kind === 'alert.resolved').length, 2);
  // a later alert of the same component opens a new incident: the old one is over
  assert.notEqual(await responder.apply(alert({ component: 'checkout-x', cause: null })), id);
});

test('POST /api/ops/alertmanager: version 4 opens and resolves an incident; anything else is 400 with the problems', async () => {
  const payload = (status: 'firing' | 'resolved') => ({
    version: '4', groupKey: '{}:{alertname="QueueBacklog"}', truncatedAlerts: 0, status, receiver: 'holdfast',
    groupLabels: { alertname: 'QueueBacklog' }, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
    alerts: [{
      status, labels: { alertname: 'QueueBacklog', component: 'queue-x', severity: 'critical' }, annotations: { summary: 'payment queue backlog above 500' },
      startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
      generatorURL: '', fingerprint: 'f00dfeed12345678',
    }],
  });
  const bad = await t.call('POST', '/api/ops/alertmanager', { admin: true, body: { version: '3', alerts: [] } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.code, 'ALERTMANAGER_PAYLOAD_INVALID');
  assert.match(bad.json.error.message, /version/);
  const fired = await t.call('POST', '/api/ops/alertmanager', { admin: true, body: payload('firing') });
  assert.equal(fired.status, 200, fired.body);
  assert.deepEqual(fired.json, { accepted: 1, truncatedAlerts: 0 });
  // Alertmanager resends a firing group every repeat_interval: still one incident
  await t.call('POST', '/api/ops/alertmanager', { admin: true, body: payload('firing') });
  const open = (await t.call('GET', '/api/ops/incidents?state=triggered', { admin: true })).json.items.filter((i: { component: string }) => i.component === 'queue-x');
  assert.equal(open.length, 1);
  assert.equal(open[0].source, 'alertmanager');
  assert.equal(open[0].severity, 'critical');
  await t.call('POST', '/api/ops/alertmanager', { admin: true, body: payload('resolved') });
  assert.equal((await t.call('GET', `/api/ops/incidents/${open[0].id}`, { admin: true })).json.state, 'resolved');
});

test('GET .../postmortem: start and end from the fault\'s change events, impact from the recorded journey counts, charts; md, html and json', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 200;
  // 1 s readings from t0 - 60 to t0 + 150: 2 payments a second; during the fault (the readings after t0 up to
  // t0 + 60, each counting the second before it) 9 in 10 slow and 1 in 10 failed
  for (let s = t0 - 60; s <= t0 + 150; s++) {
    const faulty = s > t0 && s <= t0 + 60;
    metrics.push(s, new Map([
      ['slo:payment|n', 2], ['slo:payment|nslow', faulty ? 1.8 : 0], ['slo:payment|nerr', faulty ? 0.2 : 0],
      ['slo:checkout|n', 1], ['slo:checkout|nslow', 0], ['slo:checkout|nerr', 0],
      ['provider|p50', faulty ? 2.0 : 0.02], ['payments|p50', faulty ? 2.1 : 0.05], ['storefront|p50', 0.01], ['storefront|p99', 0.05],
    ]));
  }
  const set = await recordChange(t.db.pool, { kind: 'fault.set', subject: 'psp.latency-pm', summary: 'psp.latency set (latencyMs 2000)', source: 'test' });
  await t.db.pool.query('UPDATE change_events SET at = $2 WHERE id = $1', [set.id, new Date(t0 * 1000)]);
  const id = (await responder.apply(alert({ component: 'payments-pm', cause: 'pm', at: (t0 + 4) * 1000 })))!;
  const cleared = await recordChange(t.db.pool, { kind: 'fault.cleared', subject: 'psp.latency-pm', summary: 'psp.latency cleared', source: 'test' });
  await t.db.pool.query('UPDATE change_events SET at = $2 WHERE id = $1', [cleared.id, new Date((t0 + 60) * 1000)]);
  await t.call('POST', `/api/ops/incidents/${id}/resolve`, { admin: true });

  const md = await t.call('GET', `/api/ops/incidents/${id}/postmortem?format=md`, { admin: true });
  assert.equal(md.status, 200, md.body);
  assert.match(String(md.headers['content-type']), /^text\/markdown/);
  assert.match(md.body, /^# Postmortem: /);
  for (const section of ['## Issue Summary', '## Impact', '## Root Cause', '## Timeline', '## Root Cause and Resolution', '## Corrective and Preventative Measures']) {
    assert.ok(md.body.includes(section), section);
  }
  assert.match(md.body, /\*\*Duration:\*\* 1 min( 0 s)? \(source/);
  assert.match(md.body, new RegExp(`\\*\\*Start:\\*\\* .*source: change event ${set.id}: psp.latency set`));
  // 60 s of 2 payments, all slow or failed; the checkout journey untouched
  assert.match(md.body, /\*\*Orders affected:\*\* 100\.0% \(120 of 120 payments; source: the payment SLO journey/);
  assert.match(md.body, /\*\*Shoppers affected:\*\* 0\.0% \(0 of 60 checkout requests; source: the checkout SLO journey/);
  assert.match(md.body, /\| \d\d:\d\d:\d\d \| \+0:00 \| change: fault\.set \| psp\.latency set \(latencyMs 2000\) \|/);
  assert.match(md.body, /psp\.latency set \(latencyMs 2000\) at .*, 4 s before the incident triggered/);
  assert.match(md.body, /!\[Payment provider calls and payments, median latency\]\(postmortem-.*-1\.svg\)/);

  const html = await t.call('GET', `/api/ops/incidents/${id}/postmortem?format=html`, { admin: true });
  assert.equal(html.status, 200);
  assert.match(String(html.headers['content-type']), /^text\/html/);
  assert.match(html.body, /<svg/);
  const json = await t.call('GET', `/api/ops/incidents/${id}/postmortem?format=json`, { admin: true });
  assert.equal(json.json.charts.length, 2);
  assert.match(json.json.charts[0].svg, /^<svg/);
  assert.equal((await t.call('GET', `/api/ops/incidents/${id}/postmortem?format=pdf`, { admin: true })).status, 400);
  assert.equal((await t.call('GET', `/api/ops/incidents/${randomUUID()}/postmortem`, { admin: true })).status, 404);
});

test('a control role that restarts closes its earlier alerts; their incident stays open for new ones, and is resolved once quiet', async () => {
  const before = alert({ component: 'restart-x', cause: null });
  const other = alert({ component: 'restart-x', cause: null, source: 'alertmanager', key: 'alertmanager:restart-x' });
  const id = (await responder.apply(before))!;
  assert.equal(await responder.apply(other), id);
  const restartedAt = Date.now() + 1;
  // (the earlier tests' control alerts still firing are closed too)
  assert.ok(await responder.detectorRestarted('holdfast control', restartedAt) >= 1);
  let detail = (await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json;
  assert.equal(detail.state, 'triggered');
  assert.deepEqual(detail.alerts.map((a: { key: string; state: string }) => `${a.key} ${a.state}`).sort(), [`${before.key} resolved`, `${other.key} firing`].sort());
  assert.ok(detail.timeline.some((e: { kind: string; summary: string }) => e.kind === 'alert.resolved' && /holdfast control restarted/.test(e.summary)));
  // the same fault after the restart: a new alert joins the open incident
  assert.equal(await responder.apply(alert({ component: 'restart-x', cause: null })), id);
  // nothing left firing for longer than the quiet time: resolved by the sweep, not before
  await responder.detectorRestarted('holdfast control', Date.now() + 2);
  await responder.apply({ ...other, state: 'resolved', at: Date.now() });
  detail = (await t.call('GET', `/api/ops/incidents/${id}`, { admin: true })).json;
  assert.equal(detail.state, 'resolved', 'the last firing alert resolving resolves it at once');
  // an incident left with no firing alert (only closed ones) waits for the sweep
  const lone = (await responder.apply(alert({ component: 'restart-y', cause: null, at: Date.now() - 10_000 })))!;
  await responder.detectorRestarted('holdfast control', Date.now());
  assert.equal((await t.call('GET', `/api/ops/incidents/${lone}`, { admin: true })).json.state, 'triggered');
  assert.equal(await responder.sweepQuietIncidents(60_000), 0, 'not yet quiet for a minute');
  assert.ok(await responder.sweepQuietIncidents(0, Date.now() + 1000) >= 1);
  const swept = (await t.call('GET', `/api/ops/incidents/${lone}`, { admin: true })).json;
  assert.equal(swept.state, 'resolved');
  assert.ok(swept.timeline.some((e: { kind: string; summary: string }) => e.kind === 'resolved' && /no alert of the incident has fired/.test(e.summary)));
});
