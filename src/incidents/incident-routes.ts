// The incidents' ops API on the control role (admin token): incidents with their timelines, acknowledging,
// resolving and notes; and the Alertmanager webhook receiver (payload version 4) that turns a team's own
// Prometheus alerts into incidents too.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses, UuidSchema } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { parseAlertmanagerPayload } from './alertmanager.ts';
import { IncidentErrors } from './incident-errors.ts';
import type { IncidentResponder } from './incident-responder.ts';
import type { MetricsWindow } from './postmortem-source.ts';
import { renderPostmortemHtml, renderPostmortemMarkdown } from './postmortem.ts';
import { INCIDENT_UPDATE_STATUSES, type IncidentUpdateStatus } from './status-page.ts';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from './channels/notification.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const IncidentSchema = Type.Object({
  id: Type.String(), title: Type.String(), severity: Type.String(), component: Type.String(), source: Type.String(), state: Type.String(),
  rootCause: Nullable(Type.String()), owner: Nullable(Type.String()), triggeredAt: Type.String(), acknowledgedAt: Nullable(Type.String()),
  acknowledgedBy: Nullable(Type.String()), resolvedAt: Nullable(Type.String()), escalationPolicy: Nullable(Type.String()),
});
const TimelineItemSchema = Type.Object({ at: Type.String(), kind: Type.String(), summary: Type.String(), data: Type.Record(Type.String(), Type.Unknown()) });
const IncidentDetailSchema = Type.Intersect([IncidentSchema, Type.Object({
  alerts: Type.Array(Type.Object({
    key: Type.String(), name: Type.String(), component: Type.String(), cause: Nullable(Type.String()), state: Type.String(), firedAt: Type.String(), resolvedAt: Nullable(Type.String()),
  })),
  notifications: Type.Array(Type.Object({
    channel: Type.String(), transition: Type.String(), kind: Type.String(), state: Type.String(), attempts: Type.Integer(),
    lastStatus: Nullable(Type.Integer()), lastAnswer: Nullable(Type.String()), occurredAt: Type.String(), finishedAt: Nullable(Type.String()),
  })),
  timeline: Type.Array(TimelineItemSchema),
})]);
const IdParams = Type.Object({ id: UuidSchema });
/** Acknowledging and resolving need no body: a POST without one is read as `{}`. */
const emptyBodyIsObject = async (req: { body: unknown }) => { req.body ??= {}; };
const Who = Type.String({ minLength: 1, maxLength: 100, description: 'who does it (recorded in the timeline); default "operator"' });

const StatusUpdateSchema = Type.Object({
  incident: IncidentSchema,
  update: Type.Object({ status: Type.Enum(INCIDENT_UPDATE_STATUSES), message: Type.String(), by: Type.String(), at: Type.String() }),
});

export function incidentRoutes(app: HttpServer, responder: IncidentResponder, adminTokenSha256: string, metrics?: MetricsWindow): void {
  adminScope(app, adminTokenSha256, (admin) => {
    const security = ADMIN_SECURITY;
    const tags = ['incidents'];

    admin.get('/api/ops/incidents', {
      schema: {
        tags, security, summary: 'Incidents, newest first',
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.Literal('triggered'), Type.Literal('acknowledged'), Type.Literal('resolved')])),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(IncidentSchema) }), ...errorResponses(400, 401) },
      },
    }, async (req) => {
      const q = req.query as { state?: 'triggered' | 'acknowledged' | 'resolved'; limit?: number };
      return { items: await responder.list({ ...(q.state ? { state: q.state } : {}), ...(q.limit ? { limit: q.limit } : {}) }) };
    });

    admin.get('/api/ops/incidents/:id', {
      schema: {
        tags, security, params: IdParams,
        summary: 'One incident with its alerts, notifications and timeline (alerts, findings, notifications and answers, escalations, acknowledgement, notes, change events)',
        response: { 200: IncidentDetailSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (req) => responder.get((req.params as { id: string }).id));

    admin.get('/api/ops/incidents/:id/postmortem', {
      schema: {
        tags, security, params: IdParams,
        summary: "A postmortem draft from the incident's record and the measured metrics: md (Markdown linking its SVG charts by file name), html (charts inline), json (the Markdown and each chart's SVG, as `holdfast postmortem` writes them)",
        querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('md'), Type.Literal('html'), Type.Literal('json')], { default: 'md' })) }, { additionalProperties: false }),
        response: {
          200: Type.Union([Type.String(), Type.Object({ markdown: Type.String(), charts: Type.Array(Type.Object({ file: Type.String(), title: Type.String(), svg: Type.String() })) })]),
          ...errorResponses(400, 401, 404),
        },
      },
    }, async (req, reply) => {
      const input = await responder.postmortem((req.params as { id: string }).id, metrics);
      const format = (req.query as { format?: string }).format ?? 'md';
      if (format === 'html') return reply.type('text/html; charset=utf-8').send(renderPostmortemHtml(input));
      const { markdown, charts } = renderPostmortemMarkdown(input);
      if (format === 'json') return { markdown, charts: charts.map((c) => ({ file: c.file, title: c.title, svg: c.svg })) };
      return reply.type('text/markdown; charset=utf-8').send(markdown);
    });

    admin.post('/api/ops/incidents/:id/acknowledge', {
      schema: {
        tags, security, params: IdParams, summary: 'Acknowledge a triggered incident: escalation stops, and each channel paged so far is told',
        body: Type.Object({ by: Type.Optional(Who) }, { additionalProperties: false }),
        response: { 200: IncidentSchema, ...errorResponses(400, 401, 404, 409) },
      },
      preValidation: emptyBodyIsObject,
    }, async (req) => responder.acknowledge((req.params as { id: string }).id, (req.body as { by?: string } | undefined)?.by ?? 'operator'));

    admin.post('/api/ops/incidents/:id/resolve', {
      schema: {
        tags, security, params: IdParams, summary: 'Resolve an open incident: every channel that was told gets the resolution',
        body: Type.Object({ by: Type.Optional(Who), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { additionalProperties: false }),
        response: { 200: IncidentSchema, ...errorResponses(400, 401, 404, 409) },
      },
      preValidation: emptyBodyIsObject,
    }, async (req) => {
      const body = req.body as { by?: string; reason?: string } | undefined;
      return responder.resolve((req.params as { id: string }).id, body?.by ?? 'operator', body?.reason);
    });

    admin.post('/api/ops/incidents/:id/notes', {
      schema: {
        tags, security, params: IdParams, summary: "Add a note to the incident's timeline",
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 2000 }), by: Type.Optional(Who) }, { additionalProperties: false }),
        response: { 201: TimelineItemSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (req, reply) => {
      const body = req.body as { text: string; by?: string };
      return reply.code(201).send(await responder.addNote((req.params as { id: string }).id, body.text, body.by ?? 'operator'));
    });

    admin.post('/api/ops/incidents/:id/status-updates', {
      schema: {
        tags, security, params: IdParams,
        summary: "Publish an update of the incident on the public status page (/status, /api/status), in Statuspage's incident states: the incident's public status becomes the update's; `resolved` also resolves the incident (every channel told gets the resolution); once resolved, only a `resolved` update may follow",
        body: Type.Object({
          status: Type.Enum(INCIDENT_UPDATE_STATUSES),
          message: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'what shoppers read' }),
          by: Type.Optional(Who),
        }, { additionalProperties: false }),
        response: { 201: StatusUpdateSchema, ...errorResponses(400, 401, 404, 409) },
      },
    }, async (req, reply) => {
      const body = req.body as { status: IncidentUpdateStatus; message: string; by?: string };
      return reply.code(201).send(await responder.publishStatusUpdate((req.params as { id: string }).id, body.status, body.message.trim(), body.by ?? 'operator'));
    });

    admin.post('/api/ops/incidents/:id/assign', {
      schema: {
        tags, security, params: IdParams, summary: "Give the incident an owner (recorded in the timeline; any state, since the owner also sees the postmortem through)",
        body: Type.Object({ owner: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }), by: Type.Optional(Who) }, { additionalProperties: false }),
        response: { 200: IncidentSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (req) => {
      const body = req.body as { owner: string; by?: string };
      return responder.assign((req.params as { id: string }).id, body.owner.trim(), body.by ?? 'operator');
    });

    admin.post('/api/ops/incidents/:id/severity', {
      schema: {
        tags, security, params: IdParams,
        summary: "Change an open incident's severity: recorded in the timeline and told to Slack and the webhook as an update (not to PagerDuty, whose Events API v2 cannot change an open alert's severity)",
        body: Type.Object({ severity: Type.Enum(INCIDENT_SEVERITIES), by: Type.Optional(Who) }, { additionalProperties: false }),
        response: { 200: IncidentSchema, ...errorResponses(400, 401, 404, 409) },
      },
    }, async (req) => {
      const body = req.body as { severity: IncidentSeverity; by?: string };
      return responder.setSeverity((req.params as { id: string }).id, body.severity, body.by ?? 'operator');
    });

    admin.post('/api/ops/alertmanager', {
      schema: {
        tags, security, summary: "Alertmanager webhook receiver (payload version 4): a team's own Prometheus alerts open, join and resolve incidents",
        // checked by parseAlertmanagerPayload, which lists every problem with its place
        body: Type.Unknown(),
        response: { 200: Type.Object({ accepted: Type.Integer(), truncatedAlerts: Type.Integer() }), ...errorResponses(400, 401) },
      },
    }, async (req) => {
      const parsed = parseAlertmanagerPayload(req.body);
      if (!parsed.ok) throw IncidentErrors.ALERTMANAGER_PAYLOAD_INVALID(`Not an Alertmanager webhook payload (version "4"): ${parsed.problems.slice(0, 10).join('; ')}`, { problems: parsed.problems });
      const { notification } = parsed;
      // applied in order before answering: Alertmanager retries a notification it got no 2xx for
      for (const e of notification.events) {
        await responder.apply({
          key: e.dedupKey, name: e.name, state: e.status, component: e.component, severity: e.severity, summary: e.summary,
          rootCause: null, cause: null, source: 'alertmanager', at: Date.parse(e.at),
          details: { labels: e.labels, annotations: e.annotations, ...(e.generatorURL ? { generatorURL: e.generatorURL } : {}), receiver: notification.receiver },
        });
      }
      return { accepted: notification.events.length, truncatedAlerts: notification.truncatedAlerts };
    });
  });
}
