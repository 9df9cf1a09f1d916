// The status page's components as operators steer them (control role, admin token): each component's
// state with where it comes from, and the manual override in Statuspage's five states (planned
// maintenance, an outage the signals cannot see) that wins over the automatic state while in force, until
// it expires or is cleared. Each override set or cleared is a change event.
import type pg from 'pg';
import { Type, type Static } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { IncidentErrors } from './incident-errors.ts';
import { COMPONENT_STATUSES, STATUS_COMPONENTS, computeStatusPage, overrideInForce, type ComponentStatusValue, type StatusComponentName } from './status-page.ts';
import { clearStatusOverride, loadStatusInputs, setStatusOverride } from './status-page-store.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const OverrideSchema = Type.Object({
  status: Type.Enum(COMPONENT_STATUSES), reason: Type.String(), setBy: Nullable(Type.String()), startsAt: Type.String(), endsAt: Nullable(Type.String()),
});
const OpsComponentSchema = Type.Object({
  name: Type.Enum(STATUS_COMPONENTS),
  status: Type.Enum(COMPONENT_STATUSES),
  source: Type.Union([Type.Literal('automatic'), Type.Literal('manual')]),
  until: Nullable(Type.String()),
  reasons: Type.Array(Type.String()),
  override: Nullable(OverrideSchema),
  automatic: Type.Object({ status: Type.Enum(COMPONENT_STATUSES), reasons: Type.Array(Type.String()) }, { description: 'what the signals say, which shows again once the override ends' }),
});
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) });
/** The longest an override may be set for by duration; longer ones are set until cleared. */
const MAX_DURATION_MINUTES = 30 * 24 * 60;

type OpsComponent = Static<typeof OpsComponentSchema>;

/** Every component as the status page shows it now, with its override in force (the reason is for operators only). */
async function opsComponents(pool: pg.Pool, now: number): Promise<OpsComponent[]> {
  const inputs = await loadStatusInputs(pool, now);
  const automatic = computeStatusPage({ ...inputs, overrides: [] }).components;
  return computeStatusPage(inputs).components.map((c, i) => {
    const o = overrideInForce(inputs.overrides, c.name, now);
    return {
      name: c.name, status: c.status, source: c.source, until: c.until, reasons: c.reasons,
      override: o ? { status: o.status, reason: o.reason, setBy: o.setBy ?? null, startsAt: o.startsAt, endsAt: o.endsAt } : null,
      automatic: { status: automatic[i]!.status, reasons: automatic[i]!.reasons },
    };
  });
}

function componentName(name: string): StatusComponentName {
  if (!(STATUS_COMPONENTS as readonly string[]).includes(name)) throw IncidentErrors.STATUS_COMPONENT_NOT_FOUND(undefined, { name });
  return name as StatusComponentName;
}

/** When the override ends (ms), or null for "until cleared"; expiresAt must lie ahead, and not with a duration. */
export function overrideEnd(body: { expiresAt?: string; durationMinutes?: number }, now: number): number | null {
  if (body.expiresAt !== undefined && body.durationMinutes !== undefined) throw IncidentErrors.STATUS_OVERRIDE_EXPIRY_INVALID();
  if (body.durationMinutes !== undefined) return now + body.durationMinutes * 60_000;
  if (body.expiresAt === undefined) return null;
  const at = Date.parse(body.expiresAt);
  if (!Number.isFinite(at) || at <= now) throw IncidentErrors.STATUS_OVERRIDE_EXPIRY_INVALID(`expiresAt must be a time in the future (now is ${new Date(now).toISOString()}).`);
  return at;
}

export interface StatusOpsDeps {
  pool: pg.Pool;
  adminTokenSha256: string;
  /** the change events' source, e.g. "operator via holdfast-control" */
  source: string;
  clock?: () => number;
}

export function statusOpsRoutes(app: HttpServer, deps: StatusOpsDeps): void {
  const clock = deps.clock ?? Date.now;
  const one = async (name: StatusComponentName, now: number) => (await opsComponents(deps.pool, now)).find((c) => c.name === name)!;
  adminScope(app, deps.adminTokenSha256, (admin) => {
    const security = ADMIN_SECURITY;
    const tags = ['status'];

    admin.get('/api/ops/status/components', {
      schema: {
        tags, security, summary: "The status page's components now: state, whether set automatically or by hand (with the override's reason and end), and why",
        response: { 200: Type.Object({ items: Type.Array(OpsComponentSchema) }), ...errorResponses(401) },
      },
    }, async () => ({ items: await opsComponents(deps.pool, clock()) }));

    admin.put('/api/ops/status/components/:name', {
      schema: {
        tags, security, params: NameParams,
        summary: "Set a component's state by hand (Statuspage's states, e.g. under_maintenance): it wins over the automatic state until expiresAt, durationMinutes from now, or DELETE; recorded as a change event",
        body: Type.Object({
          status: Type.Enum(COMPONENT_STATUSES),
          reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'why (for operators: the public page shows the state only)' }),
          expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it ends by itself (RFC 3339, in the future)' })),
          durationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_DURATION_MINUTES, description: 'or: how long from now' })),
          by: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'who sets it (recorded); default "operator"' })),
        }, { additionalProperties: false }),
        response: { 200: OpsComponentSchema, ...errorResponses(400, 401, 404) },
      },
    }, async (req) => {
      const name = componentName((req.params as { name: string }).name);
      const body = req.body as { status: ComponentStatusValue; reason: string; expiresAt?: string; durationMinutes?: number; by?: string };
      const now = clock();
      await setStatusOverride(deps.pool, {
        component: name, status: body.status, reason: body.reason.trim(), setBy: body.by ?? 'operator', startsAt: now, endsAt: overrideEnd(body, now), source: deps.source,
      });
      return one(name, now);
    });

    admin.delete('/api/ops/status/components/:name', {
      schema: {
        tags, security, params: NameParams,
        summary: "Hand a component back to its automatic state (ends the override; `cleared: false` when none was in force)",
        querystring: Type.Object({ by: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) }, { additionalProperties: false }),
        response: { 200: Type.Intersect([OpsComponentSchema, Type.Object({ cleared: Type.Boolean() })]), ...errorResponses(400, 401, 404) },
      },
    }, async (req) => {
      const name = componentName((req.params as { name: string }).name);
      const now = clock();
      const ended = await clearStatusOverride(deps.pool, name, now, { source: deps.source, clearedBy: (req.query as { by?: string }).by ?? 'operator' });
      return { ...(await one(name, now)), cleared: ended > 0 };
    });
  });
}
