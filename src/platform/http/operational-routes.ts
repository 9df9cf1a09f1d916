// Liveness, readiness, metrics and the OpenAPI document, served by every role's HTTP server.
import { Type } from 'typebox';
import type { HttpServer } from './http-server.ts';
import { registry, PROCESS_INSTANCE_HEADER, PROCESS_STARTED_AT_HEADER, PROCESS_INSTANCE, PROCESS_STARTED_AT } from '../observability/metrics.ts';

export interface Readiness {
  /** Every module has started. */
  ready(): boolean;
  /** The process is shutting down: load balancers must stop routing here. */
  draining(): boolean;
  /** Whether the database answers (bounded: see databaseProbe). */
  databaseAnswers(): Promise<boolean>;
}

export function registerOperationalRoutes(app: HttpServer, readiness: Readiness): void {
  app.get('/healthz', {
    schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['operations'], summary: 'Readiness: started, not draining, database reachable',
      response: { 200: Type.Object({ status: Type.String() }), 503: Type.Object({ status: Type.String(), reason: Type.String() }) },
    },
  }, async (_req, reply) => {
    if (readiness.draining()) return reply.code(503).send({ status: 'draining', reason: 'shutting down' });
    if (!readiness.ready()) return reply.code(503).send({ status: 'starting', reason: 'modules still starting' });
    if (!(await readiness.databaseAnswers())) return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    return { status: 'ready' };
  });

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    reply.header(PROCESS_INSTANCE_HEADER, PROCESS_INSTANCE);
    reply.header(PROCESS_STARTED_AT_HEADER, String(PROCESS_STARTED_AT));
    return registry.metrics();
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
