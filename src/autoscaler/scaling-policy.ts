// The scaling policy: per role, the replica bounds, the metrics and their targets, the HPA `behavior`
// (autoscaling/v2's shape and defaults), scheduled pre-scaling windows (KEDA's cron scaler: a cron start and
// end in an IANA timezone, and the replicas to hold meanwhile) and the resources each replica is granted;
// plus the database connection budget every replica's pools must fit in. One policy drives the local
// supervisor (hpa-algorithm.ts) and `holdfast export kubernetes` (kubernetes/render.ts).
//
// A policy file is JSON or YAML. Every problem in it (its schema, then what the schema cannot say: bounds in
// the right order, cron expressions and timezones that parse, metrics a role can serve, minimums that fit
// the connection budget) is listed at once in a ConfigError, as the configuration's are.
//
// Cron expressions are evaluated with cron-parser (already under pg-boss; a kept library, five fields as
// KEDA's cron scaler takes them), in the schedule's timezone.
import { readFileSync } from 'node:fs';
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import YAML from 'yaml';
import { CronExpressionParser } from 'cron-parser';
import { ConfigError } from '../platform/config/config.ts';
import { schemaProblems } from '../platform/config/schema-problems.ts';
import {
  resolveBehavior, MAX_POLICY_PERIOD_SECONDS, MAX_STABILIZATION_WINDOW_SECONDS,
  type Behavior, type ExternalMetricObservation, type LimitedBy,
} from './hpa-algorithm.ts';

export const SCALED_ROLES = ['storefront', 'payments', 'psp', 'control'] as const;
export type ScaledRole = typeof SCALED_ROLES[number];

// ---------------------------------------------------------------------------------------------------------
// Schema

const PolicyRule = Type.Object({
  type: Type.Union([Type.Literal('Pods'), Type.Literal('Percent')]),
  value: Type.Integer({ minimum: 1, description: 'Pods added or removed, or a percentage of the replicas at the start of the period' }),
  periodSeconds: Type.Integer({ minimum: 1, maximum: MAX_POLICY_PERIOD_SECONDS, description: 'How long the policy must hold true' }),
}, { additionalProperties: false });

const ScalingRulesSchema = Type.Object({
  stabilizationWindowSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_STABILIZATION_WINDOW_SECONDS })),
  selectPolicy: Type.Optional(Type.Union([Type.Literal('Max'), Type.Literal('Min'), Type.Literal('Disabled')])),
  policies: Type.Optional(Type.Array(PolicyRule, { minItems: 1 })),
  tolerance: Type.Optional(Type.Number({ minimum: 0, description: 'Ratio around 1 within which the metrics cause no change (default 0.1)' })),
}, { additionalProperties: false });

/** As autoscaling/v2 HorizontalPodAutoscalerBehavior; what is left out takes the HPA's defaults. */
const BehaviorSchema = Type.Object({
  scaleUp: Type.Optional(ScalingRulesSchema),
  scaleDown: Type.Optional(ScalingRulesSchema),
}, { additionalProperties: false, default: {} });

const Percent = (description: string) => Type.Integer({ minimum: 1, maximum: 1000, description });
const MetricSchema = Type.Union([
  Type.Object({ type: Type.Literal('cpu'), targetAverageUtilization: Percent('CPU used per replica, % of its CPU request') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('event-loop'), targetAverageUtilization: Type.Integer({ minimum: 1, maximum: 100, description: 'Event-loop utilisation per replica, %' }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('request-concurrency'), targetAverageValue: Type.Number({ exclusiveMinimum: 0, description: 'HTTP requests in flight per replica' }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('request-rate'), targetAverageValue: Type.Number({ exclusiveMinimum: 0, description: 'HTTP requests received per second per replica (with HOLDFAST_AUTOSCALER_TARGETS_FROM_CAPACITY, the storefront\'s comes from the latest recorded capacity run)' }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('work-in-flight'), targetUtilization: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8, description: "Share of each replica's payment concurrency the provider calls in flight (Little's law) should fill" }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('queue-oldest-age'), targetSeconds: Type.Number({ exclusiveMinimum: 0, description: "Age of the payment queue's oldest unfinished job" }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('queue-depth'), targetPerReplica: Type.Number({ exclusiveMinimum: 0, description: 'Unfinished payment jobs per replica' }) }, { additionalProperties: false }),
]);

const ScheduleSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$', description: 'Names the window in decisions and rendered triggers' }),
  start: Type.String({ minLength: 9, description: 'Five-field cron expression: when the window opens' }),
  end: Type.String({ minLength: 9, description: 'Five-field cron expression: when it closes (must differ from start)' }),
  timezone: Type.String({ minLength: 1, description: 'IANA timezone the expressions are read in, e.g. Europe/Paris' }),
  minReplicas: Type.Integer({ minimum: 1, description: 'Replicas held at least while the window is open' }),
}, { additionalProperties: false });

const Quantity = (pattern: string, description: string) => Type.String({ pattern, description });
const CPU = '^([0-9]+(\\.[0-9]+)?|[0-9]+m)$';
const MEMORY = '^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$';
const ResourcesSchema = (defaults: RoleDefaults['resources']) => Type.Object({
  requests: Type.Object({
    cpu: Quantity(CPU, 'CPU granted per replica (Kubernetes quantity: 1, 0.5, 500m); a cpu metric target is a % of it'),
    memory: Quantity(MEMORY, 'Memory granted per replica (256Mi)'),
  }, { additionalProperties: false }),
  limits: Type.Object({
    cpu: Type.Optional(Quantity(CPU, 'CPU limit per replica')),
    memory: Quantity(MEMORY, 'Memory limit per replica'),
  }, { additionalProperties: false }),
}, { additionalProperties: false, default: defaults });

interface RoleDefaults {
  minReplicas: number;
  maxReplicas: number;
  localMaxReplicas?: number | 'cpus';
  metrics: Static<typeof MetricSchema>[];
  resources: { requests: { cpu: string; memory: string }; limits: { cpu?: string; memory: string } };
}

function roleSchema(role: ScaledRole, d: RoleDefaults) {
  return Type.Object({
    minReplicas: Type.Integer({ minimum: 1, default: d.minReplicas }),
    maxReplicas: Type.Integer({ minimum: 1, maximum: 1000, default: d.maxReplicas }),
    localMaxReplicas: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('cpus')], {
      description: 'On one machine, at most this many (cpus: the CPU cores available); a cluster spreads maxReplicas over nodes',
      ...(d.localMaxReplicas !== undefined ? { default: d.localMaxReplicas } : {}),
    })),
    metrics: Type.Array(MetricSchema, { default: d.metrics, maxItems: 8 }),
    behavior: BehaviorSchema,
    schedules: Type.Array(ScheduleSchema, { default: [], maxItems: 16 }),
    connectionsPerReplica: Type.Optional(Type.Integer({ minimum: 1, description: `Database connections one ${role} replica may hold (its pools' maxima); unset: from the configured pool sizes` })),
    resources: ResourcesSchema(d.resources),
  }, { additionalProperties: false, default: {} });
}

const SMALL = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } };

/** The built-in policy, role by role. */
export const ROLE_DEFAULTS: Record<ScaledRole, RoleDefaults> = {
  // One Node process keeps one core busy at most: a request of one core makes "70 % CPU" mean the same on
  // one machine (per process) and on a cluster (per pod).
  storefront: {
    minReplicas: 1, maxReplicas: 8, localMaxReplicas: 'cpus',
    metrics: [{ type: 'cpu', targetAverageUtilization: 70 }, { type: 'event-loop', targetAverageUtilization: 70 }],
    resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  },
  // Payments wait on the provider, not on the CPU: they scale on the work in flight and the queue's age.
  payments: {
    minReplicas: 1, maxReplicas: 8,
    metrics: [{ type: 'work-in-flight', targetUtilization: 0.8 }, { type: 'queue-oldest-age', targetSeconds: 5 }],
    resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  },
  // The provider simulator's accounts listen on fixed ports, and the control role (the autoscaler, the
  // alerting) runs once: both stay at one replica.
  psp: { minReplicas: 1, maxReplicas: 1, metrics: [], resources: SMALL },
  control: { minReplicas: 1, maxReplicas: 1, metrics: [], resources: SMALL },
};

export const ScalingPolicySchema = Type.Object({
  roles: Type.Object({
    storefront: roleSchema('storefront', ROLE_DEFAULTS.storefront),
    payments: roleSchema('payments', ROLE_DEFAULTS.payments),
    psp: roleSchema('psp', ROLE_DEFAULTS.psp),
    control: roleSchema('control', ROLE_DEFAULTS.control),
  }, { additionalProperties: false, default: {} }),
  database: Type.Object({
    maxConnections: Type.Optional(Type.Integer({ minimum: 1, description: "PostgreSQL's max_connections; unset: read from the server (SHOW max_connections)" })),
    reserve: Type.Integer({ minimum: 0, default: 10, description: 'Connections kept free for administration, migrations and tools' }),
  }, { additionalProperties: false, default: {} }),
}, { additionalProperties: false });

export type ScalingPolicy = Static<typeof ScalingPolicySchema>;
export type RolePolicy = ScalingPolicy['roles'][ScaledRole];
export type MetricPolicy = Static<typeof MetricSchema>;
export type Schedule = Static<typeof ScheduleSchema>;

// ---------------------------------------------------------------------------------------------------------
// Connections

/** The pool sizes a replica's connections add up from (the configuration's dbPoolMax and pspDbPoolMax). */
export interface ConnectionPools { dbPoolMax: number; pspDbPoolMax: number }
export const DEFAULT_POOLS: ConnectionPools = { dbPoolMax: 10, pspDbPoolMax: 10 };
/** The job queue's own pool per process (src/app/holdfast-modules.ts: createJobQueue poolMax). */
export const QUEUE_POOL_MAX = 4;
/** The fault reader's LISTEN connection (src/faults/fault-reader.ts). */
const FAULT_LISTENER = 1;

/**
 * Connections one replica of a role may hold at most: the role's own setting, else what its modules open:
 * the main pool; the queue's pool (every role with the queue: storefront, payments, control); the fault
 * reader's LISTEN connection (storefront, payments, psp); the payment workers' own pool (payments:
 * `rolePool('payments')`, sized by dbPoolMax too, decision 0022); the simulator's ledger pool (psp).
 */
export function connectionsPerReplica(policy: ScalingPolicy, role: ScaledRole, pools: ConnectionPools = DEFAULT_POOLS): number {
  const set = policy.roles[role].connectionsPerReplica;
  if (set !== undefined) return set;
  switch (role) {
    case 'storefront': return pools.dbPoolMax + QUEUE_POOL_MAX + FAULT_LISTENER;
    case 'payments': return 2 * pools.dbPoolMax + QUEUE_POOL_MAX + FAULT_LISTENER; // the main pool and the workers' own
    case 'control': return pools.dbPoolMax + QUEUE_POOL_MAX;
    case 'psp': return pools.dbPoolMax + pools.pspDbPoolMax + FAULT_LISTENER;
  }
}

export interface BudgetRole { role: string; currentReplicas: number; desiredReplicas: number; connectionsPerReplica: number }
export interface BudgetedRole { role: string; wantedReplicas: number; desiredReplicas: number; connections: number; limitedBy?: LimitedBy }
export interface BudgetResult { budget: number; used: number; roles: BudgetedRole[] }

/**
 * Caps the roles' desired replicas so that every replica's pools fit in PostgreSQL's max_connections minus
 * the reserve. Replicas already running and scale-downs are never refused (stopping processes to make
 * room would be worse than not growing); growth is granted role by role, in the order given, while the
 * budget lasts, and a role cut short says so in limitedBy.
 */
export function connectionBudget(input: { maxConnections: number; reserve: number; roles: readonly BudgetRole[] }): BudgetResult {
  const budget = input.maxConnections - input.reserve;
  let used = input.roles.reduce((sum, r) => sum + Math.min(r.currentReplicas, r.desiredReplicas) * r.connectionsPerReplica, 0);
  const roles = input.roles.map((r): BudgetedRole => {
    const kept = Math.min(r.currentReplicas, r.desiredReplicas);
    const wanted = r.desiredReplicas - kept;
    if (wanted <= 0) return { role: r.role, wantedReplicas: r.desiredReplicas, desiredReplicas: r.desiredReplicas, connections: kept * r.connectionsPerReplica };
    const fits = Math.max(0, Math.floor((budget - used) / r.connectionsPerReplica));
    const granted = Math.min(wanted, fits);
    used += granted * r.connectionsPerReplica;
    const out: BudgetedRole = { role: r.role, wantedReplicas: r.desiredReplicas, desiredReplicas: kept + granted, connections: (kept + granted) * r.connectionsPerReplica };
    if (granted < wanted) {
      out.limitedBy = {
        reason: 'connection-budget', bound: kept + granted,
        message: `${r.desiredReplicas} ${r.role} replicas wanted, ${kept + granted} fit the database connection budget: `
          + `max_connections ${input.maxConnections} - reserve ${input.reserve} = ${budget}, ${used} in use with these, ${r.connectionsPerReplica} per ${r.role} replica`,
      };
    }
    return out;
  });
  return { budget, used, roles };
}

// ---------------------------------------------------------------------------------------------------------
// Schedules (KEDA's cron scaler)

function nextRun(expression: string, timezone: string, nowMs: number): number {
  return CronExpressionParser.parse(expression, { currentDate: new Date(nowMs), tz: timezone }).next().getTime();
}

/**
 * Whether a schedule's window is open at `nowMs`, as KEDA's cron scaler decides it: from the next start and
 * the next end after now (whole seconds), the window is open unless the next start comes before the next end.
 */
export function scheduleActive(schedule: Pick<Schedule, 'start' | 'end' | 'timezone'>, nowMs: number): boolean {
  const now = Math.floor(nowMs / 1000);
  const nextStart = Math.floor(nextRun(schedule.start, schedule.timezone, nowMs) / 1000);
  const nextEnd = Math.floor(nextRun(schedule.end, schedule.timezone, nowMs) / 1000);
  if (nextStart < nextEnd && now < nextStart) return false;
  return now <= nextEnd;
}

/**
 * A role's schedules as the HPA metrics KEDA's cron triggers are (named as the rendered triggers,
 * `schedule-<name>`): an External AverageValue metric of target 1
 * whose value is the window's replicas while it is open (1 otherwise), so the highest-metric rule makes it a
 * floor that still goes through the scaling policies and windows.
 */
export function scheduleMetrics(role: Pick<RolePolicy, 'schedules'>, nowMs: number): ExternalMetricObservation[] {
  return role.schedules.map((s) => ({
    name: `schedule-${s.name}`, source: 'External', target: { type: 'AverageValue', averageValue: 1 },
    value: scheduleActive(s, nowMs) ? s.minReplicas : 1,
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Reading and checking a policy

/** `500m` -> 0.5, `2` -> 2 (cores). */
export function cpuQuantityCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** The most replicas of a role on one machine: its localMaxReplicas (cpus: the cores given) within maxReplicas. */
export function localMaxReplicas(role: RolePolicy, cpus: number): number {
  const local = role.localMaxReplicas === 'cpus' ? cpus : role.localMaxReplicas ?? role.maxReplicas;
  return Math.max(role.minReplicas, Math.min(role.maxReplicas, local));
}

/** The role's behavior with the HPA's defaults filled in. */
export function roleBehavior(role: RolePolicy): Behavior {
  return resolveBehavior(role.behavior);
}

/** Whether the role is autoscaled (else it runs minReplicas, fixed). */
export const isAutoscaled = (role: RolePolicy) => role.maxReplicas > role.minReplicas || role.schedules.length > 0;

const ROLE_METRICS: Record<ScaledRole, readonly MetricPolicy['type'][]> = {
  storefront: ['cpu', 'event-loop', 'request-concurrency', 'request-rate'],
  payments: ['cpu', 'event-loop', 'work-in-flight', 'queue-oldest-age', 'queue-depth'],
  psp: ['cpu', 'event-loop', 'request-concurrency', 'request-rate'],
  control: ['cpu', 'event-loop'],
};

function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown timezone ${JSON.stringify(timezone)} (an IANA name such as Europe/Paris)`;
  }
}

function cronProblem(expression: string, timezone: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `must have five fields (minute hour day-of-month month day-of-week), got ${fields.length} in ${JSON.stringify(expression)}`;
  try {
    CronExpressionParser.parse(expression, { tz: timezone, strict: false });
    return undefined;
  } catch (err) {
    return `not a cron expression: ${(err as Error).message}`;
  }
}

/**
 * What the schema cannot say, each as `place: problem`: checked for the roles whose part of the policy the
 * schema accepted (the others' problems are listed already), and the budget when all of it was accepted.
 */
function semanticProblems(policy: ScalingPolicy, pools: ConnectionPools, schemaRejected: ReadonlySet<string> | 'all'): string[] {
  const problems: string[] = [];
  if (schemaRejected === 'all') return problems;
  for (const role of SCALED_ROLES) {
    if (schemaRejected.has(role)) continue;
    const r = policy.roles[role];
    const at = (rest: string) => `roles.${role}${rest}`;
    if (r.minReplicas > r.maxReplicas) problems.push(`${at('.minReplicas')}: ${r.minReplicas} is above maxReplicas ${r.maxReplicas}`);
    if ((role === 'psp' || role === 'control') && r.maxReplicas > 1) problems.push(`${at('.maxReplicas')}: the ${role} role runs one replica, got ${r.maxReplicas}`);
    if (typeof r.localMaxReplicas === 'number' && r.localMaxReplicas < r.minReplicas) problems.push(`${at('.localMaxReplicas')}: ${r.localMaxReplicas} is below minReplicas ${r.minReplicas}`);
    r.metrics.forEach((m, i) => {
      if (!ROLE_METRICS[role].includes(m.type)) problems.push(`${at(`.metrics[${i}].type`)}: ${JSON.stringify(m.type)} is not a metric of the ${role} role (it can use ${ROLE_METRICS[role].join(', ')})`);
    });
    const types = r.metrics.map((m) => m.type);
    types.forEach((t, i) => { if (types.indexOf(t) !== i) problems.push(`${at(`.metrics[${i}].type`)}: ${JSON.stringify(t)} is listed twice`); });
    if (r.maxReplicas > r.minReplicas && r.metrics.length === 0) problems.push(`${at('.metrics')}: a role scaled between ${r.minReplicas} and ${r.maxReplicas} replicas needs at least one metric`);
    const names = r.schedules.map((s) => s.name);
    r.schedules.forEach((s, i) => {
      const sat = (f: string) => at(`.schedules[${i}]${f}`);
      if (names.indexOf(s.name) !== i) problems.push(`${sat('.name')}: ${JSON.stringify(s.name)} is already the name of schedules[${names.indexOf(s.name)}]`);
      const tz = timezoneProblem(s.timezone);
      if (tz) problems.push(`${sat('.timezone')}: ${tz}`);
      for (const field of ['start', 'end'] as const) {
        const p = cronProblem(s[field], tz ? 'UTC' : s.timezone);
        if (p) problems.push(`${sat(`.${field}`)}: ${p}`);
      }
      if (s.start.trim().split(/\s+/).join(' ') === s.end.trim().split(/\s+/).join(' ')) problems.push(`${sat('.end')}: must differ from start (the window would never open)`);
      if (s.minReplicas > r.maxReplicas) problems.push(`${sat('.minReplicas')}: ${s.minReplicas} is above the role's maxReplicas ${r.maxReplicas}`);
    });
  }
  const { maxConnections, reserve } = policy.database;
  if (maxConnections !== undefined && schemaRejected.size === 0) {
    if (reserve >= maxConnections) {
      problems.push(`database.reserve: ${reserve} leaves nothing of max_connections ${maxConnections}`);
    } else {
      const minimum = SCALED_ROLES.reduce((sum, role) => sum + policy.roles[role].minReplicas * connectionsPerReplica(policy, role, pools), 0);
      if (minimum > maxConnections - reserve) {
        const parts = SCALED_ROLES.map((role) => `${role} ${policy.roles[role].minReplicas} x ${connectionsPerReplica(policy, role, pools)}`).join(', ');
        problems.push(`database.maxConnections: the roles' minimum replicas need ${minimum} connections (${parts}), more than max_connections ${maxConnections} - reserve ${reserve}`);
      }
    }
  }
  return problems;
}

export interface PolicyOptions {
  /** Pool sizes from the configuration (default: the configuration's defaults). */
  pools?: ConnectionPools;
}

/** Every problem of a policy value, each as `place: problem` (none: it is valid). */
export function scalingPolicyProblems(value: unknown, opts: PolicyOptions = {}): string[] {
  const withDefaults = Value.Default(ScalingPolicySchema as TSchema, structuredClone(value ?? {}));
  const found = schemaProblems(ScalingPolicySchema, withDefaults);
  // Where the schema rejected a role's part, that part cannot be read as a role; elsewhere it can.
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const roles = isObject(withDefaults) ? withDefaults.roles : undefined;
  const readable = isObject(roles) && SCALED_ROLES.every((role) => isObject(roles[role]));
  const rejected = !readable ? 'all' as const : new Set(found.map((p) => (p.segments[0] === 'roles' ? p.segments[1] ?? 'roles' : 'other')));
  return [
    ...found.map((p) => `${p.at || '(policy)'}: ${p.message}`),
    ...semanticProblems(withDefaults as ScalingPolicy, opts.pools ?? DEFAULT_POOLS, rejected),
  ];
}

/** A policy value checked and with its defaults; throws a ConfigError listing every problem. */
export function parseScalingPolicy(value: unknown, opts: PolicyOptions & { source?: string } = {}): ScalingPolicy {
  const problems = scalingPolicyProblems(value, opts);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => (opts.source ? `${p} (in ${opts.source})` : p)));
  return Value.Default(ScalingPolicySchema as TSchema, structuredClone(value ?? {})) as ScalingPolicy;
}

/** The built-in policy (every default). */
export const defaultScalingPolicy = (): ScalingPolicy => parseScalingPolicy({});

/** Reads a policy file (JSON or YAML; YAML is a superset of JSON) and checks it. */
export function loadScalingPolicy(file: string, opts: PolicyOptions = {}): ScalingPolicy {
  let value: unknown;
  try {
    value = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`scaling policy (in ${file}): ${(err as Error).message}`]);
  }
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new ConfigError([`scaling policy (in ${file}): must be an object with roles and database`]);
  }
  return parseScalingPolicy(value, { ...opts, source: file });
}
