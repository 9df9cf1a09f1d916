// The ops API of the control role: alerts and root-cause findings (admin token); and the OTLP/HTTP
// traces receiver the roles export their spans to.
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { requireAdminToken } from '../platform/http/admin-auth.ts';
import type { ControlPlane } from './control-plane.ts';
import { breakdown } from './trace-breakdown.ts';

const AlertSchema = Type.Object({
  id: Type.String(), name: Type.String(), state: Type.String(), severity: Type.String(), service: Type.String(),
  since: Type.String(), resolvedAt: Type.Union([Type.String(), Type.Null()]), summary: Type.String(),
  rootCause: Type.Union([Type.String(), Type.Null()]), rcaId: Type.Union([Type.String(), Type.Null()]),
  signal: Type.Unknown(),
});

// OTLP/HTTP JSON (opentelemetry-proto's ExportTraceServiceRequest): only the fields the analysis reads
// are checked; the rest of the message passes through unread.
const AttributeSchema = Type.Object({ key: Type.String({ maxLength: 256 }), value: Type.Optional(Type.Object({}, { additionalProperties: true })) }, { additionalProperties: true });
const TimeSchema = Type.Union([Type.String({ pattern: '^[0-9]{1,20}$' }), Type.Integer({ minimum: 0 })]);
const OtlpSpanSchema = Type.Object({
  traceId: Type.String({ maxLength: 64 }), spanId: Type.String({ maxLength: 32 }), parentSpanId: Type.Optional(Type.String({ maxLength: 32 })),
  name: Type.Optional(Type.String({ maxLength: 1024 })), kind: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
  startTimeUnixNano: TimeSchema, endTimeUnixNano: TimeSchema,
  attributes: Type.Optional(Type.Array(AttributeSchema, { maxItems: 128 })),
  status: Type.Optional(Type.Object({ code: Type.Optional(Type.Integer()) }, { additionalProperties: true })),
}, { additionalProperties: true });
const OtlpTraceRequestSchema = Type.Object({
  resourceSpans: Type.Optional(Type.Array(Type.Object({
    resource: Type.Optional(Type.Object({ attributes: Type.Optional(Type.Array(AttributeSchema, { maxItems: 128 })) }, { additionalProperties: true })),
    scopeSpans: Type.Optional(Type.Array(Type.Object({ spans: Type.Optional(Type.Array(OtlpSpanSchema, { maxItems: 10_000 })) }, { additionalProperties: true }), { maxItems: 1000 })),
  }, { additionalProperties: true }), { maxItems: 1000 })),
}, { additionalProperties: true });

/** A batch of 512 spans is about 0.5 MB of OTLP JSON. */
const TRACES_BODY_LIMIT = 8 * 1024 * 1024;

export function controlRoutes(app: HttpServer, plane: ControlPlane, adminTokenSha256: string): void {
  // No admin token here: OTLP exporters send none (as with an OpenTelemetry collector's receiver, keep
  // the control port on the internal network). Spans only feed the analysis; the ring is bounded.
  app.withTypeProvider<TypeBoxTypeProvider>().post('/v1/traces', {
    bodyLimit: TRACES_BODY_LIMIT,
    schema: {
      tags: ['operations'], summary: 'OTLP/HTTP traces receiver (JSON encoding): the roles export their spans here for root-cause analysis',
      body: OtlpTraceRequestSchema,
      response: { 200: Type.Object({ partialSuccess: Type.Optional(Type.Object({ rejectedSpans: Type.Integer(), errorMessage: Type.String() })) }), ...errorResponses(400, 413, 415) },
    },
  }, async (req) => {
    const rejectedBefore = plane.spans.rejected;
    plane.spans.ingest(req.body);
    const rejected = plane.spans.rejected - rejectedBefore;
    return rejected ? { partialSuccess: { rejectedSpans: rejected, errorMessage: 'spans without valid times were dropped' } } : {};
  });

  app.register(async (instance) => {
    const ops = instance.withTypeProvider<TypeBoxTypeProvider>();
    ops.addHook('onRequest', requireAdminToken(adminTokenSha256));
    ops.addHook('onSend', (_req, reply, payload, done) => { reply.header('cache-control', 'no-store'); done(null, payload); });
    const security = [{ adminToken: [] }];

    ops.get('/api/ops/alerts', {
      schema: {
        tags: ['operations'], security, summary: 'Alerts from the SLO burn-rate rules and the fast degradation detector, newest first',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])) }),
        response: { 200: Type.Object({ items: Type.Array(AlertSchema) }), ...errorResponses(400, 401) },
      },
    }, async (req) => ({ items: plane.alerts(req.query.state) }));

    ops.get('/api/ops/traces', {
      schema: {
        tags: ['operations'], security, summary: 'Where the time of recent traces went: self time per trace of each component (spans exported to POST /v1/traces)',
        querystring: Type.Object({ seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, default: 60 })) }),
        response: {
          200: Type.Object({
            seconds: Type.Integer(), spansReceived: Type.Integer(), traces: Type.Integer(),
            components: Type.Array(Type.Object({ component: Type.String(), traces: Type.Integer(), meanSelfSeconds: Type.Number() })),
          }),
          ...errorResponses(400, 401),
        },
      },
    }, async (req) => {
      const seconds = req.query.seconds ?? 60;
      const now = Date.now() / 1000;
      return { seconds, spansReceived: plane.spans.received, ...breakdown(plane.spans.between(now - seconds, now + 1)) };
    });

    ops.get('/api/ops/rca', {
      schema: {
        tags: ['operations'], security, summary: 'Root-cause findings (ranked candidate causes with evidence and the network verdict), newest first',
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }), ...errorResponses(401) },
      },
    }, async () => ({ items: plane.rcaFindings() }));
  });
}
