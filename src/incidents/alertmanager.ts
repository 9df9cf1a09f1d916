// Alertmanager's webhook (payload version 4; prometheus/alertmanager docs/configuration.md,
// `<webhook_config>`, and notify/webhook/webhook.go) read into Holdfast alert events, so a team's own
// Prometheus alerts open and resolve incidents like Holdfast's own detection does. Each alert's
// fingerprint is its dedup key: Alertmanager sends the same alert again at every group_interval and
// repeat_interval, and once more when it resolves (send_resolved defaults to true).
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { schemaProblems } from '../platform/config/schema-problems.ts';
import type { IncidentSeverity } from './channels/notification.ts';

/** Label and annotation sets: string to string (Alertmanager's KV). */
const KV = Type.Record(Type.String(), Type.String());
const Rfc3339 = Type.String({ format: 'date-time' });

export const AlertmanagerAlertSchema = Type.Object({
  status: Type.Enum(['firing', 'resolved']),
  labels: KV,
  annotations: KV,
  startsAt: Rfc3339,
  endsAt: Rfc3339,
  generatorURL: Type.String(),
  fingerprint: Type.String({ minLength: 1, maxLength: 64 }),
});

// Unknown fields are accepted: Alertmanager adds fields within version 4 (notification_reason in v0.34,
// routeLabels), and a receiver that refused them would drop every alert after an upgrade.
export const AlertmanagerPayloadSchema = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String(),
  truncatedAlerts: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Type.Enum(['firing', 'resolved']),
  receiver: Type.String(),
  groupLabels: KV,
  commonLabels: KV,
  commonAnnotations: KV,
  externalURL: Type.String(),
  notification_reason: Type.Optional(Type.String()),
  alerts: Type.Array(AlertmanagerAlertSchema, { maxItems: 10_000 }),
});

export type AlertmanagerPayload = Static<typeof AlertmanagerPayloadSchema>;
export type AlertmanagerAlert = Static<typeof AlertmanagerAlertSchema>;

/** One alert as Holdfast's incidents take it, whatever detected it. */
export interface AlertEvent {
  source: 'alertmanager';
  status: 'firing' | 'resolved';
  /** `alertmanager:<fingerprint>`: the same alert on every resend, distinct from Holdfast's own alert ids */
  dedupKey: string;
  /** labels.alertname */
  name: string;
  severity: IncidentSeverity;
  /** labels.component, else service, else job: what the incident is about */
  component: string;
  /** annotations.summary, else description, else message, else the alert name */
  summary: string;
  description: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** when it resolved; null while firing (a firing alert's endsAt is only Alertmanager's timeout guess) */
  endsAt: string | null;
  /** when this state began: startsAt while firing, endsAt once resolved */
  at: string;
  generatorURL: string | null;
}

export interface AlertmanagerNotification {
  receiver: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  externalURL: string;
  /** alerts Alertmanager left out (max_alerts): they are not in `events` and must be said so */
  truncatedAlerts: number;
  notificationReason: string | null;
  events: AlertEvent[];
}

export type AlertmanagerParseResult =
  | { ok: true; notification: AlertmanagerNotification }
  | { ok: false; problems: string[] };

/**
 * Prometheus' conventional severity labels onto PagerDuty's scale (which Holdfast incidents use). A
 * missing or unknown severity is a warning: paged, but not at the top.
 */
export function severityOfLabel(value: string | undefined): IncidentSeverity {
  switch ((value ?? '').toLowerCase()) {
    case 'critical': case 'page': case 'p1': case 'emergency': return 'critical';
    case 'error': case 'high': case 'major': case 'p2': return 'error';
    case 'info': case 'informational': case 'low': case 'none': case 'p4': case 'p5': return 'info';
    default: return 'warning';
  }
}

/** Go's zero time (0001-01-01T00:00:00Z) means "not set". */
const isSet = (rfc3339: string) => Date.parse(rfc3339) > 0;

function eventOf(alert: AlertmanagerAlert): AlertEvent {
  const name = alert.labels.alertname ?? 'unnamed alert';
  const endsAt = alert.status === 'resolved' && isSet(alert.endsAt) ? new Date(alert.endsAt).toISOString() : null;
  const startsAt = new Date(alert.startsAt).toISOString();
  return {
    source: 'alertmanager',
    status: alert.status,
    dedupKey: `alertmanager:${alert.fingerprint}`,
    name,
    severity: severityOfLabel(alert.labels.severity),
    component: alert.labels.component ?? alert.labels.service ?? alert.labels.job ?? 'unknown',
    summary: alert.annotations.summary ?? alert.annotations.description ?? alert.annotations.message ?? name,
    description: alert.annotations.description ?? null,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt,
    endsAt,
    at: endsAt ?? startsAt,
    generatorURL: alert.generatorURL || null,
  };
}

/**
 * Checks a webhook body (already parsed JSON) against payload version 4 and reads its alerts. Every
 * problem is listed with its place (`alerts[2].startsAt`), for a 400 the sender's logs can act on.
 */
export function parseAlertmanagerPayload(body: unknown): AlertmanagerParseResult {
  if (body && typeof body === 'object' && 'version' in body && (body as { version: unknown }).version !== '4') {
    return { ok: false, problems: [`version: ${JSON.stringify((body as { version: unknown }).version)} is not supported; Holdfast reads Alertmanager webhook payload version "4"`] };
  }
  if (!Value.Check(AlertmanagerPayloadSchema, body)) {
    const problems = schemaProblems(AlertmanagerPayloadSchema, body).map((p) => `${p.at || '(body)'}: ${p.message}`);
    return { ok: false, problems: problems.length ? problems : ['(body): not an Alertmanager webhook payload'] };
  }
  const payload = body as AlertmanagerPayload;
  return {
    ok: true,
    notification: {
      receiver: payload.receiver,
      groupKey: payload.groupKey,
      status: payload.status,
      externalURL: payload.externalURL,
      truncatedAlerts: payload.truncatedAlerts ?? 0,
      notificationReason: payload.notification_reason ?? null,
      events: payload.alerts.map(eventOf),
    },
  };
}
