// Fault injection admin API on the main port: GET /api/admin/faults, GET/PUT/DELETE
// /api/admin/faults/:name. Bearer admin token. PUT's body is the fault's parameters, validated against
// the fault's schema (fault-catalog.ts); ?ttlSeconds= makes it switch itself off.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { getFaultState, listFaultStates, setFault, clearFault, type FaultState } from './fault-service.ts';

const FaultStateSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  affects: Type.Array(Type.String()),
  active: Type.Boolean(),
  params: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  updatedAt: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});
const FaultDetailSchema = Type.Intersect([FaultStateSchema, Type.Object({ paramsSchema: Type.Unknown() })]);
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });

export function faultRoutes(app: HttpServer, deps: { pool: pg.Pool; adminTokenSha256: string; source: string }): void {
  adminScope(app, deps.adminTokenSha256, (admin) => {
    const security = ADMIN_SECURITY;

    admin.get('/api/admin/faults', {
      schema: {
        tags: ['faults'], security, summary: 'Every fault that can be injected, and which are active',
        response: { 200: Type.Object({ items: Type.Array(FaultStateSchema) }), ...errorResponses(401) },
      },
    }, async () => ({ items: await listFaultStates(deps.pool) }));

    admin.get('/api/admin/faults/:name', {
      schema: {
        tags: ['faults'], security, summary: "One fault: its state and its parameters' JSON schema", params: NameParams,
        response: { 200: FaultDetailSchema, ...errorResponses(401, 404) },
      },
    }, async (req) => (await getFaultState(deps.pool, req.params.name, { withSchema: true })) as FaultState & { paramsSchema: unknown });

    admin.put('/api/admin/faults/:name', {
      schema: {
        tags: ['faults'], security, params: NameParams,
        summary: 'Switch a fault on (or change its parameters); takes effect in every process within a second',
        querystring: Type.Object({ ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })) }, { additionalProperties: false }),
        body: Type.Record(Type.String(), Type.Unknown(), { description: "The fault's parameters, e.g. {\"latencyMs\": 2000}" }),
        response: { 200: FaultStateSchema, ...errorResponses(400, 401, 404, 429) },
      },
    }, async (req) => setFault(deps.pool, req.params.name, req.body, req.query.ttlSeconds, { source: deps.source }));

    admin.delete('/api/admin/faults/:name', {
      schema: {
        tags: ['faults'], security, summary: 'Switch a fault off (no-op when it is not active)', params: NameParams,
        response: { 204: Type.Null(), ...errorResponses(401, 404, 429) },
      },
    }, async (req, reply) => {
      await clearFault(deps.pool, req.params.name, { source: deps.source });
      return reply.code(204).send(null);
    });
  });
}
