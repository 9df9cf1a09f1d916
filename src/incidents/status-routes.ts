// The public status page: GET /status (HTML, no JavaScript) and GET /api/status (JSON). No token, and
// cacheable for a few seconds by browsers and CDNs (STATUS_CACHE_CONTROL).
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { statusApiBody, STATUS_CACHE_CONTROL, COMPONENT_STATUSES, STATUS_COMPONENTS } from './status-page.ts';
import { renderStatusPage } from './status-page-view.ts';
import type { StatusPageService } from './status-page-service.ts';

const StatusBodySchema = Type.Object({
  generatedAt: Type.String(),
  components: Type.Array(Type.Object({
    name: Type.Enum(STATUS_COMPONENTS), status: Type.Enum(COMPONENT_STATUSES),
    source: Type.Union([Type.Literal('automatic'), Type.Literal('manual')], { description: 'manual: set by an operator, whatever the signals say' }),
    until: Type.Optional(Type.String({ description: "a manual state's end, when it has one" })),
  })),
  incidents: Type.Array(Type.Unknown()),
});

export function statusRoutes(app: HttpServer, status: StatusPageService): void {
  app.get('/api/status', {
    schema: {
      tags: ['status'], summary: "The shop's public status: each component's state (Statuspage's states) and the recent incidents with their updates",
      response: { 200: StatusBodySchema, ...errorResponses(503) },
    },
  }, async (_req, reply) => {
    reply.header('cache-control', STATUS_CACHE_CONTROL);
    return statusApiBody(await status.page());
  });

  app.get('/status', { schema: { hide: true } }, async (_req, reply) => {
    const page = await status.page();
    return reply.header('cache-control', STATUS_CACHE_CONTROL).type('text/html; charset=utf-8').send(renderStatusPage(page));
  });
}
