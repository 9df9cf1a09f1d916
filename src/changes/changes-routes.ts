// The change log over HTTP (admin token): what changed in the shop in a time window, oldest first, for a
// reader outside the shop (a game day's timeline sees a payments process's provider failover here).
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { Queryable } from '../platform/db/database.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { requireAdminToken } from '../platform/http/admin-auth.ts';
import { CHANGE_KINDS, changesBetween } from './change-log.ts';

const ChangeSchema = Type.Object({
  id: Type.Integer(), at: Type.String(), kind: Type.String(), subject: Type.String(), summary: Type.String(), source: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const KindSchema = Type.Union(CHANGE_KINDS.map((k) => Type.Literal(k)));

export function changesRoutes(app: HttpServer, opts: { pool: Queryable; adminTokenSha256: string }): void {
  app.register(async (instance) => {
    const ops = instance.withTypeProvider<TypeBoxTypeProvider>();
    ops.addHook('onRequest', requireAdminToken(opts.adminTokenSha256));
    ops.addHook('onSend', (_req, reply, payload, done) => { reply.header('cache-control', 'no-store'); done(null, payload); });

    ops.get('/api/ops/changes', {
      schema: {
        tags: ['operations'], security: [{ adminToken: [] }],
        summary: 'Change events (faults, processes, versions, scaling, the waiting room, payment-provider failover) from `since` on, oldest first',
        querystring: Type.Object({
          since: Type.String({ format: 'date-time', description: 'Changes at or after this instant' }),
          kind: Type.Optional(Type.Array(KindSchema, { maxItems: CHANGE_KINDS.length, description: 'Only these kinds (repeat the parameter)' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(ChangeSchema) }), ...errorResponses(400, 401) },
      },
    }, async (req) => ({
      items: await changesBetween(opts.pool, {
        from: new Date(req.query.since), to: new Date(Date.now() + 60_000), kinds: req.query.kind, limit: req.query.limit ?? 200,
      }),
    }));
  });
}
