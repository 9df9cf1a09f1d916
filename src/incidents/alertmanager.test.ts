// Alertmanager webhook payloads (version 4) as Alertmanager sends them: Go's nanosecond RFC 3339 times,
// the zero time as a firing alert's endsAt, label sets as string maps, and fields added within version 4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAlertmanagerPayload, severityOfLabel, type AlertmanagerPayload } from './alertmanager.ts';

/** A group of two alerts of one rule, the way Alertmanager v0.34 posts it (notify/webhook/webhook.go). */
function firingPayload(): AlertmanagerPayload & Record<string, unknown> {
  return {
    receiver: 'holdfast',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'PaymentProviderLatencyHigh', instance: 'payments-0:3000', job: 'holdfast-payments', service: 'payments', severity: 'page' },
        annotations: { summary: 'Provider calls p95 above 1 s for 5 minutes', description: 'p95 is 2.04 s on payments-0', runbook_url: 'https://runbooks.example.com/psp-latency' },
        startsAt: '2026-11-27T14:02:07.412736981Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=histogram_quantile%280.95%2C+...%29+%3E+1&g0.tab=1',
        fingerprint: '6d1b0a6f9c3e2a41',
      },
      {
        status: 'firing',
        labels: { alertname: 'PaymentProviderLatencyHigh', instance: 'payments-1:3000', job: 'holdfast-payments', service: 'payments', severity: 'page' },
        annotations: { summary: 'Provider calls p95 above 1 s for 5 minutes' },
        startsAt: '2026-11-27T14:02:09.001Z',
        endsAt: '2026-11-27T14:06:09.001Z',
        generatorURL: '',
        fingerprint: 'a3f09c11be7d5520',
      },
    ],
    groupLabels: { alertname: 'PaymentProviderLatencyHigh' },
    commonLabels: { alertname: 'PaymentProviderLatencyHigh', job: 'holdfast-payments', service: 'payments', severity: 'page' },
    commonAnnotations: { summary: 'Provider calls p95 above 1 s for 5 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}:{alertname="PaymentProviderLatencyHigh"}',
    truncatedAlerts: 0,
    notification_reason: 'first_notification',
    routeLabels: {},
  };
}

test('a firing group becomes one event per alert, keyed by fingerprint, with severity, component and summary', () => {
  const result = parseAlertmanagerPayload(JSON.parse(JSON.stringify(firingPayload())));
  assert.ok(result.ok, JSON.stringify(result));
  const { notification } = result;
  assert.deepEqual({ ...notification, events: notification.events.length }, {
    receiver: 'holdfast', groupKey: '{}:{alertname="PaymentProviderLatencyHigh"}', status: 'firing', externalURL: 'http://alertmanager:9093',
    truncatedAlerts: 0, notificationReason: 'first_notification', events: 2,
  });
  const [first, second] = notification.events;
  assert.deepEqual(first, {
    source: 'alertmanager', status: 'firing', dedupKey: 'alertmanager:6d1b0a6f9c3e2a41', name: 'PaymentProviderLatencyHigh',
    severity: 'critical', component: 'payments', summary: 'Provider calls p95 above 1 s for 5 minutes', description: 'p95 is 2.04 s on payments-0',
    labels: firingPayload().alerts[0]!.labels, annotations: firingPayload().alerts[0]!.annotations,
    startsAt: '2026-11-27T14:02:07.412Z', endsAt: null, at: '2026-11-27T14:02:07.412Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=histogram_quantile%280.95%2C+...%29+%3E+1&g0.tab=1',
  });
  // A firing alert's endsAt is Alertmanager's resolve-timeout guess, not an end.
  assert.equal(second!.endsAt, null);
  assert.equal(second!.generatorURL, null);
});

test('a resolved alert carries its end, and the same fingerprint as when it fired', () => {
  const payload = firingPayload();
  payload.status = 'resolved';
  payload.alerts = [{ ...payload.alerts[0]!, status: 'resolved', endsAt: '2026-11-27T14:09:37.5+01:00' }];
  const result = parseAlertmanagerPayload(payload);
  assert.ok(result.ok);
  const [event] = result.notification.events;
  assert.equal(event!.dedupKey, 'alertmanager:6d1b0a6f9c3e2a41');
  assert.equal(event!.status, 'resolved');
  assert.equal(event!.endsAt, '2026-11-27T13:09:37.500Z');
  assert.equal(event!.at, event!.endsAt);
});

test('an older Alertmanager (no notification_reason, no truncatedAlerts) and truncated groups are read', () => {
  const payload: Record<string, unknown> = firingPayload();
  delete payload.notification_reason;
  delete payload.truncatedAlerts;
  delete payload.routeLabels;
  const old = parseAlertmanagerPayload(payload);
  assert.ok(old.ok);
  assert.equal(old.notification.notificationReason, null);
  assert.equal(old.notification.truncatedAlerts, 0);
  const truncated = parseAlertmanagerPayload({ ...firingPayload(), truncatedAlerts: 38 });
  assert.ok(truncated.ok);
  assert.equal(truncated.notification.truncatedAlerts, 38);
});

test('a body that is not a version 4 payload is refused with every problem at its place', () => {
  assert.deepEqual(parseAlertmanagerPayload({ ...firingPayload(), version: '3' }), {
    ok: false, problems: ['version: "3" is not supported; Holdfast reads Alertmanager webhook payload version "4"'],
  });
  const broken = firingPayload() as unknown as { alerts: Record<string, unknown>[]; status: string };
  broken.status = 'pending';
  broken.alerts[0]!.startsAt = 'yesterday';
  broken.alerts[1]!.labels = { severity: 2 };
  delete broken.alerts[1]!.fingerprint;
  const result = parseAlertmanagerPayload(broken);
  assert.equal(result.ok, false);
  const problems = (result as { problems: string[] }).problems.join('\n');
  for (const place of ['status', 'alerts[0].startsAt', 'alerts[1].labels.severity', 'alerts[1]']) assert.ok(problems.includes(place), `${place} missing from:\n${problems}`);
  assert.match(problems, /fingerprint/);
  assert.equal(parseAlertmanagerPayload('not json at all').ok, false);
  assert.equal(parseAlertmanagerPayload(null).ok, false);
});

test('severity labels map onto the incident scale; unknown ones are warnings', () => {
  assert.deepEqual(['critical', 'page', 'error', 'high', 'warning', 'ticket', 'info', 'none', undefined, 'Critical'].map(severityOfLabel),
    ['critical', 'critical', 'error', 'error', 'warning', 'warning', 'info', 'info', 'warning', 'critical']);
});
