// Liveness, readiness, metrics and the OpenAPI document, served by every role's HTTP server.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { registry } from '../platform/observability/metrics.ts';
import { databaseProbe } from '../platform/db/database.ts';
import type { AppContext } from './holdfast-modules.ts';

export function registerOperationalRoutes(app: HttpServer, ctx: AppContext): void {
  // Bounded: on a network that drops packets the pool would wait its whole connect timeout (10 s).
  const databaseAnswers = ctx.pool ? databaseProbe(ctx.pool, ctx.config.readinessTimeoutMs) : async () => true;
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['operations'], summary: 'Readiness: started, not draining, database reachable',
      response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String(), reason: Type.String() }) },
    },
  }, async (_req, reply) => {
    if (ctx.draining) return reply.code(503).send({ status: 'draining', reason: 'shutting down' });
    if (!ctx.ready) return reply.code(503).send({ status: 'starting', reason: 'modules still starting' });
    if (!(await databaseAnswers())) return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    return { status: 'ready' };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
