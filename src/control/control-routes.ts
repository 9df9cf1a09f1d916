// The ops API of the control role: alerts and root-cause findings (admin token).
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { requireAdminToken } from '../admin/admin-auth.ts';
import type { ControlPlane } from './control-plane.ts';

const AlertSchema = Type.Object({
  id: Type.String(), name: Type.String(), state: Type.String(), severity: Type.String(), service: Type.String(),
  since: Type.String(), resolvedAt: Type.Union([Type.String(), Type.Null()]), summary: Type.String(),
  rootCause: Type.Union([Type.String(), Type.Null()]), rcaId: Type.Union([Type.String(), Type.Null()]),
  signal: Type.Unknown(),
});

export function controlRoutes(app: HttpServer, plane: ControlPlane, adminTokenSha256: string): void {
  app.register(async (instance) => {
    const ops = instance.withTypeProvider<TypeBoxTypeProvider>();
    ops.addHook('onRequest', requireAdminToken(adminTokenSha256));
    ops.addHook('onSend', async (_req, reply) => { reply.header('cache-control', 'no-store'); });
    const security = [{ adminToken: [] }];

    ops.get('/api/ops/alerts', {
      schema: {
        tags: ['operations'], security, summary: 'Alerts from the SLO burn-rate rules and the fast degradation detector, newest first',
        querystring: Type.Object({ state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])) }),
        response: { 200: Type.Object({ items: Type.Array(AlertSchema) }), ...errorResponses(400, 401) },
      },
    }, async (req) => ({ items: plane.alerts(req.query.state) }));

    ops.get('/api/ops/rca', {
      schema: {
        tags: ['operations'], security, summary: 'Root-cause findings (ranked candidate causes with evidence and the network verdict), newest first',
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }), ...errorResponses(401) },
      },
    }, async () => ({ items: plane.rcaFindings() }));
  });
}
