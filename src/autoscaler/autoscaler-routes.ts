// GET /api/ops/scaling (admin token): per role the replicas running and decided, the metrics against their
// targets, what limited the last decision (a window, a policy, a bound, the connection budget) and the
// last decisions that changed the replicas.
import { Type } from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { requireAdminToken } from '../platform/http/admin-auth.ts';
import type { ScalingStatus } from './autoscaler.ts';

/** Where the storefront's request-rate target comes from (capacity-targets.ts' TargetsFromCapacity); peak readiness shows it too. */
export const TargetsFromCapacitySchema = Type.Object({
  applied: Type.Boolean(), runId: Type.Union([Type.Integer(), Type.Null()]), role: Type.String(), metric: Type.String(),
  targetAverageValue: Type.Union([Type.Number(), Type.Null()]), message: Type.String(),
});

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const MetricStatusSchema = Type.Object({
  name: Type.String(), source: Type.String(), target: Type.Unknown(), current: Nullable(Type.Number()),
  ratio: Nullable(Type.Number()), replicas: Nullable(Type.Integer()), note: Type.Optional(Type.String()), error: Type.Optional(Type.String()),
});
const LimitedBySchema = Type.Object({ reason: Type.String(), message: Type.String() }, { additionalProperties: true });
const DecisionSchema = Type.Object({
  at: Type.String(), current: Type.Integer(), desired: Type.Integer(), direction: Type.String(), metricReplicas: Nullable(Type.Integer()),
  metrics: Type.Array(MetricStatusSchema), limitedBy: LimitedBySchema, applied: Type.Boolean(),
});
const ScalingSchema = Type.Object({
  supervised: Type.Boolean(), intervalSeconds: Type.Number(), lastRunAt: Nullable(Type.String()),
  connectionBudget: Nullable(Type.Object({ maxConnections: Type.Integer(), reserve: Type.Integer(), budget: Type.Integer(), used: Type.Integer() })),
  targetsFromCapacity: Nullable(TargetsFromCapacitySchema),
  roles: Type.Array(Type.Object({
    role: Type.String(), autoscaled: Type.Boolean(), current: Type.Integer(), desired: Type.Integer(), min: Type.Integer(), max: Type.Integer(),
    metrics: Type.Array(MetricStatusSchema), limitedBy: Nullable(LimitedBySchema), decisions: Type.Array(DecisionSchema),
    replicas: Type.Array(Type.Object({ name: Type.String(), pid: Nullable(Type.Integer()), ready: Type.Boolean(), startedAt: Type.String() })),
  })),
});

export function autoscalerRoutes(app: HttpServer, status: () => ScalingStatus, adminTokenSha256: string): void {
  app.register(async (instance) => {
    const ops = instance.withTypeProvider<TypeBoxTypeProvider>();
    ops.addHook('onRequest', requireAdminToken(adminTokenSha256));
    ops.addHook('onSend', (_req, reply, payload, done) => { reply.header('cache-control', 'no-store'); done(null, payload); });
    ops.get('/api/ops/scaling', {
      schema: {
        tags: ['operations'], security: [{ adminToken: [] }],
        summary: 'The autoscaler: per role the current and desired replicas, the metrics against their targets, what limited the change, the last decisions',
        response: { 200: ScalingSchema, ...errorResponses(401) },
      },
    }, async () => status());
  });
}
