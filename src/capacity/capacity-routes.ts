// The capacity history (admin token): POST /api/ops/capacity records a capacity run (what `holdfast
// loadtest capacity --record` sends) and answers it with its comparison to the previous comparable run;
// GET /api/ops/capacity lists the history, newest first; GET /api/ops/capacity/readiness judges a forecast
// peak against the latest run and the scaling policy.
import { Type } from 'typebox';
import type pg from 'pg';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { latestCapacityRun, listCapacityRuns, recordCapacityRun } from './capacity-service.ts';
import type { CapacityRun } from './capacity-history.ts';
import { TargetsFromCapacitySchema } from '../autoscaler/index.ts';
import type { PeakReadiness } from './peak-readiness.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Rate = Type.Number({ minimum: 0, maximum: 1e9 });
const Name = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });
const BottleneckSchema = Type.Object({
  kind: Type.String({ minLength: 1, maxLength: 50 }), component: Type.String({ minLength: 1, maxLength: 200 }), message: Type.String({ minLength: 1, maxLength: 1000 }),
}, { additionalProperties: true });
const Limits = Type.Record(Type.String({ maxLength: 200 }), Type.Integer({ minimum: 0, maximum: 1_000_000 }), { maxProperties: 100 });
const RoleReplicasSchema = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9-]{0,49}$' }), Type.Integer({ minimum: 1, maximum: 10_000 }), {
  maxProperties: 20, additionalProperties: false, description: 'Replicas of each role during the run, by role (the storefront\'s equals replicas); null for runs recorded before they were kept',
});
const NotesSchema = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { maxItems: 50, description: 'What the load tester said about the run as it recorded it' });
const DeploymentSchema = Type.Object({ pools: Limits, bulkheads: Limits }, { description: "Each pool's size and each payment bulkhead's limit, as the target's /metrics showed them" });

const RunInputSchema = Type.Object({
  scenario: Name('The scenario the capacity finder stepped up'),
  target: Name('The URL of the shop under test'),
  slo: Name('The thresholds that defined "sustainable"'),
  stepDurationSec: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
  sustainableRate: Nullable(Rate),
  sustainableRequestsPerSec: Nullable(Rate),
  breakingRate: Nullable(Rate),
  bottleneck: Nullable(BottleneckSchema),
  replicas: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Storefront replicas serving the run' }),
  roleReplicas: Type.Optional(RoleReplicasSchema),
  notes: Type.Optional(NotesSchema),
  deployment: DeploymentSchema,
  report: Type.Optional(Type.Unknown({ description: "The load tester's whole capacity report" })),
}, { additionalProperties: false });

const ComparisonSchema = Type.Object({
  previousRunId: Type.Integer(), previousRecordedAt: Type.String(), previousRatePerReplica: Nullable(Type.Number()), ratePerReplica: Nullable(Type.Number()),
  change: Nullable(Type.Number()), regression: Type.Boolean(),
  bottlenecks: Type.Object({ previous: Nullable(Type.String()), current: Nullable(Type.String()) }),
  changed: Type.Array(Type.String()), message: Type.String(),
});
const RunSchema = Type.Object({
  id: Type.Integer(), recordedAt: Type.String(), version: Type.String(), scenario: Type.String(), target: Type.String(), slo: Type.String(),
  stepDurationSec: Type.Number(), replicas: Type.Integer(), sustainableRate: Nullable(Type.Number()), sustainableRequestsPerSec: Nullable(Type.Number()),
  breakingRate: Nullable(Type.Number()), bottleneck: Nullable(BottleneckSchema), deployment: DeploymentSchema, comparison: Nullable(ComparisonSchema),
  roleReplicas: Nullable(RoleReplicasSchema), notes: NotesSchema,
});
const ReadinessSchema = Type.Object({
  verdict: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]), reasons: Type.Array(Type.String()),
  peakJourneysPerSec: Type.Number(), at: Type.String(),
  capacity: Nullable(Type.Object({
    runId: Type.Integer(), recordedAt: Type.String(), scenario: Type.String(), target: Type.String(), measuredRole: Type.String(), measuredReplicas: Type.Integer(),
    sustainableRate: Nullable(Type.Number()), ratePerReplica: Nullable(Type.Number()), regression: Type.Boolean(),
  })),
  scaling: Type.Object({
    role: Type.String(), maxReplicas: Type.Integer(), localMaxReplicas: Type.Integer(), scheduledMinReplicas: Type.Integer(), scheduledWindows: Type.Array(Type.String()),
    projectedJourneysPerSec: Nullable(Type.Number()), replicasNeeded: Nullable(Type.Integer()), headroom: Nullable(Type.Number()),
  }),
  waitingRoom: Nullable(Type.Object({ newUsersPerMinute: Type.Integer(), totalActiveUsers: Type.Integer(), sessionDurationSeconds: Type.Integer(), basis: Type.String() })),
  firstBottleneck: Nullable(Type.String()),
  autoscalerTarget: Nullable(TargetsFromCapacitySchema),
  notes: Type.Array(Type.String()),
});

export interface CapacityRouteDeps {
  pool: pg.Pool;
  adminTokenSha256: string;
  version: () => string;
  readiness: (input: { latest: CapacityRun | null; peakJourneysPerSec: number; at: Date }) => PeakReadiness;
}

export function capacityRoutes(app: HttpServer, deps: CapacityRouteDeps): void {
  adminScope(app, deps.adminTokenSha256, (ops) => {
    const security = ADMIN_SECURITY;
    ops.post('/api/ops/capacity', {
      schema: {
        tags: ['operations'], security, body: RunInputSchema,
        summary: 'Record a capacity run (holdfast loadtest capacity --record); the answer carries its comparison with the previous comparable run (a drop of more than 10% per replica is a regression)',
        response: { 201: RunSchema, ...errorResponses(400, 401) },
      },
    }, async (req, reply) => {
      const run = await recordCapacityRun(deps.pool, req.body, deps.version());
      return reply.code(201).send(run);
    });
    ops.get('/api/ops/capacity', {
      schema: {
        tags: ['operations'], security,
        summary: 'The capacity history, newest first: rate, bottleneck, version, replicas, the deployment fingerprint and each run\'s comparison (regressions flagged)',
        querystring: Type.Object({
          scenario: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(RunSchema) }), ...errorResponses(400, 401) },
      },
    }, async (req) => ({ items: await listCapacityRuns(deps.pool, { limit: req.query.limit, ...(req.query.scenario ? { scenario: req.query.scenario } : {}) }) }));
    ops.get('/api/ops/capacity/readiness', {
      schema: {
        tags: ['operations'], security,
        summary: 'Peak readiness: the latest capacity per replica × the scaling policy\'s maximum replicas against a forecast peak; the waiting-room limits that follow; the first bottleneck; a verdict',
        querystring: Type.Object({
          peak: Type.Number({ exclusiveMinimum: 0, maximum: 1e9, description: 'Forecast peak, journeys per second' }),
          at: Type.Optional(Type.String({ format: 'date-time', description: 'When the peak is expected (default: now)' })),
          scenario: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'Judge by the latest run of this scenario (default: the latest run)' })),
        }, { additionalProperties: false }),
        response: { 200: ReadinessSchema, ...errorResponses(400, 401) },
      },
    }, async (req) => {
      const latest = await latestCapacityRun(deps.pool, req.query.scenario);
      return deps.readiness({ latest, peakJourneysPerSec: req.query.peak, at: req.query.at ? new Date(req.query.at) : new Date() });
    });
  });
}
