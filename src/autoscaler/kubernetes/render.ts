// `holdfast export kubernetes`: the scaling policy rendered for a cluster, so a shop that outgrows one
// machine runs the same roles under the same rules: per role a Deployment, a Service and a
// PodDisruptionBudget; an autoscaling/v2 HorizontalPodAutoscaler whose `behavior` is the policy's, or, for a
// role that scales on the payment queue or on a schedule, a KEDA ScaledObject (a `postgresql` trigger on
// pg-boss's job table, `cron` triggers for the scheduled windows, its HPA `behavior` the same) with a
// TriggerAuthentication for the database; a ServiceMonitor and a PrometheusRule carrying the SLO rules
// `holdfast export prometheus` writes.
//
// What the renderer cannot know (a Secret's contents, an ingress, a custom-metrics adapter) it leaves to
// the operator, and says so in the notes it returns; docs/scaling.md walks through applying it.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { prometheusRuleGroups, type PrometheusExportOptions } from '../../exports/index.ts';
import { METRICS } from '../../telemetry/index.ts';
import { resolveBehavior, type Behavior, type ScalingRules } from '../hpa-algorithm.ts';
import {
  SCALED_ROLES, connectionsPerReplica, isAutoscaled, DEFAULT_POOLS,
  type ConnectionPools, type MetricPolicy, type RolePolicy, type ScaledRole, type ScalingPolicy,
} from '../scaling-policy.ts';

/** A Kubernetes object as plain data (what `kubectl apply` reads). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface RenderOptions {
  /** The Holdfast image (built from the repository's Dockerfile). */
  image: string;
  namespace: string;
  /** Prefix of every object's name (default holdfast). */
  name?: string;
  /** The Secret the operator creates, holding DATABASE_URL and HOLDFAST_ADMIN_TOKEN (default holdfast-secrets). */
  secretName?: string;
  /** HTTP port of the storefront, payments and control roles (config `port`, default 3000). */
  port?: number;
  /** The provider simulator's ports (config pspPort, pspSecondaryPort; defaults 3100, 3101). */
  pspPorts?: { primary: number; secondary: number };
  /** Run the provider simulator in the cluster and point payments at it (default true); false: real providers, set HOLDFAST_PAYMENT_PROVIDERS in the Secret. */
  simulator?: boolean;
  /** Longest drain on SIGTERM (config shutdownGraceMs, default 15000). */
  shutdownGraceMs?: number;
  /** How long a stopping pod keeps serving before SIGTERM, while endpoints and load balancers drop it (default 5 s). */
  preStopSeconds?: number;
  /** Pool sizes (config dbPoolMax, pspDbPoolMax): set in the pods' environment so the connection budget holds. */
  pools?: ConnectionPools;
  /** Payment jobs per payments process (config paymentWorkerConcurrency, default 8): the work-in-flight target. */
  paymentWorkerConcurrency?: number;
  /** Prometheus for KEDA's prometheus triggers (the work in flight; per-process metrics of a KEDA-scaled role). */
  prometheusServerAddress?: string;
  /** KEDA's pollingInterval (default 15 s, the HPA's own sync period). */
  kedaPollingIntervalSeconds?: number;
  /** The SLO rules' options (the same as `holdfast export prometheus`). */
  rules?: PrometheusExportOptions;
  /** Labels the Prometheus Operator selects ServiceMonitors and PrometheusRules by (e.g. release: kube-prometheus-stack). */
  monitoringLabels?: Record<string, string>;
}

export interface KubernetesExport { objects: K8sObject[]; notes: string[] }

/** pg-boss's schema and the payment queue (src/platform/queue/job-queue.ts SCHEMA, src/payments PAYMENT_QUEUE). */
export const PGBOSS_SCHEMA = 'pgboss';
export const PAYMENT_QUEUE = 'payment-charge';

/** The metrics a cluster reads, by the names the roles publish them under (the telemetry contract). */
export const CLUSTER_METRICS = {
  eventLoop: METRICS.eventLoopUtilization.name,
  requestsInFlight: METRICS.httpRequestsInFlight.name,
  requestDuration: METRICS.httpRequestDuration.name,
  checkouts: METRICS.checkouts.name,
  providerCallDuration: METRICS.providerCallDuration.name,
} as const;

/**
 * The queue as the KEDA postgresql trigger reads it, with the same definitions as the payments role's
 * holdfast_payment_queue_jobs and holdfast_payment_queue_oldest_job_age_seconds: unfinished jobs (created,
 * retry, active; pg-boss's job_state enum orders them before completed). Columns per pg-boss's
 * docs/sql/job-table.md; each query returns one number (COALESCE: an empty queue is 0, not NULL).
 */
export const QUEUE_QUERIES = {
  oldestAgeSeconds: `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_on)), 0)::float8 FROM ${PGBOSS_SCHEMA}.job WHERE name = '${PAYMENT_QUEUE}' AND state < 'completed'`,
  depth: `SELECT count(*)::float8 FROM ${PGBOSS_SCHEMA}.job WHERE name = '${PAYMENT_QUEUE}' AND state < 'completed'`,
} as const;

const DATABASE_AUTH = 'database';

interface Ctx {
  opts: Required<Omit<RenderOptions, 'prometheusServerAddress' | 'rules' | 'monitoringLabels'>> & Pick<RenderOptions, 'prometheusServerAddress' | 'rules' | 'monitoringLabels'>;
  notes: string[];
}

const roleName = (c: Ctx, role: ScaledRole) => `${c.opts.name}-${role}`;
const selectorLabels = (c: Ctx, role: ScaledRole) => ({ 'app.kubernetes.io/name': c.opts.name, 'app.kubernetes.io/component': role });
const labels = (c: Ctx, role?: ScaledRole) => ({
  'app.kubernetes.io/name': c.opts.name,
  ...(role ? { 'app.kubernetes.io/component': role } : {}),
  'app.kubernetes.io/part-of': c.opts.name,
  'app.kubernetes.io/managed-by': 'holdfast-export',
});
const meta = (c: Ctx, name: string, role?: ScaledRole, extra: Record<string, string> = {}) => ({ name, namespace: c.opts.namespace, labels: { ...labels(c, role), ...extra } });

/** The roles the cluster runs: every role, the simulator only when asked for. */
const clusterRoles = (c: Ctx) => SCALED_ROLES.filter((r) => r !== 'psp' || c.opts.simulator);

/** A number as KEDA metadata: 8 x 0.7 reads 5.6, not 5.6000000000000005. */
const num = (x: number) => String(Number(x.toPrecision(6)));

/** `0.7` -> `700m` (a Kubernetes quantity, exact in milli-units). */
export function quantity(x: number): string {
  const m = Math.round(x * 1000);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

function rolePorts(c: Ctx, role: ScaledRole): { name: string; containerPort: number; protocol: 'TCP' }[] {
  if (role === 'psp') {
    return [
      { name: 'psp-primary', containerPort: c.opts.pspPorts.primary, protocol: 'TCP' },
      { name: 'psp-secondary', containerPort: c.opts.pspPorts.secondary, protocol: 'TCP' },
    ];
  }
  return [{ name: 'http', containerPort: c.opts.port, protocol: 'TCP' }];
}

/**
 * The grace Kubernetes gives a stopping pod counts from the start of preStop: the preStop wait, then the
 * process's own drain on SIGTERM (at most shutdownGraceMs, after which it exits anyway), plus a second.
 */
export function terminationGracePeriodSeconds(preStopSeconds: number, shutdownGraceMs: number): number {
  return preStopSeconds + Math.ceil(shutdownGraceMs / 1000) + 1;
}

function deployment(c: Ctx, role: ScaledRole, r: RolePolicy): K8sObject {
  const port = rolePorts(c, role)[0]!.name;
  const probe = (p: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: p, port }, periodSeconds, timeoutSeconds: 1, failureThreshold,
  });
  const resources = {
    requests: { ...r.resources.requests },
    limits: { ...(r.resources.limits.cpu ? { cpu: r.resources.limits.cpu } : {}), memory: r.resources.limits.memory },
  };
  const spec: Record<string, unknown> = {
    // An autoscaled Deployment leaves `replicas` to its autoscaler: applying the manifest again must not
    // reset it (Kubernetes docs, "Migrating Deployments and StatefulSets to horizontal autoscaling").
    ...(isAutoscaled(r) ? {} : { replicas: r.minReplicas }),
    revisionHistoryLimit: 5,
    selector: { matchLabels: selectorLabels(c, role) },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: {
      metadata: { labels: { ...labels(c, role) } },
      spec: {
        terminationGracePeriodSeconds: terminationGracePeriodSeconds(c.opts.preStopSeconds, c.opts.shutdownGraceMs),
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        ...(isAutoscaled(r) ? {
          // Replicas of a scaled role spread over nodes where there are several.
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(c, role) } }],
        } : {}),
        containers: [{
          name: 'holdfast',
          image: c.opts.image,
          imagePullPolicy: 'IfNotPresent',
          args: ['start', '--target', role],
          ports: rolePorts(c, role),
          envFrom: [{ configMapRef: { name: `${c.opts.name}-config` } }, { secretRef: { name: c.opts.secretName } }],
          resources,
          // The standby server answers /healthz while the process waits for its database: alive, not ready.
          startupProbe: probe('/healthz', 2, 30),
          readinessProbe: probe('/readyz', 5, 2),
          livenessProbe: probe('/healthz', 10, 3),
          lifecycle: {
            // Keep serving while the endpoint is removed everywhere; then SIGTERM: the process marks itself
            // not ready, finishes in-flight requests and jobs within shutdownGraceMs, and exits.
            preStop: { sleep: { seconds: c.opts.preStopSeconds } },
          },
          securityContext: {
            allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'data', mountPath: '/var/lib/holdfast' }],
        }],
        volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'data', emptyDir: {} }],
      },
    },
  };
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(c, roleName(c, role), role), spec };
}

function service(c: Ctx, role: ScaledRole): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: meta(c, roleName(c, role), role),
    spec: {
      type: 'ClusterIP', selector: selectorLabels(c, role),
      ports: rolePorts(c, role).map((p) => ({ name: p.name, port: p.containerPort, targetPort: p.name, protocol: p.protocol })),
    },
  };
}

function podDisruptionBudget(c: Ctx, role: ScaledRole): K8sObject {
  // maxUnavailable 1 rather than minAvailable: a one-replica role (control) can still be moved off a
  // draining node, and a scaled role never loses more than one replica at a time to evictions.
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta(c, roleName(c, role), role),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(c, role) } },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Autoscaling

function rules(r: ScalingRules): Record<string, unknown> {
  return {
    stabilizationWindowSeconds: r.stabilizationWindowSeconds,
    selectPolicy: r.selectPolicy,
    policies: r.policies.map((p) => ({ ...p })),
    // A per-direction tolerance needs the HPAConfigurableTolerance feature gate; only set when the policy does.
    ...(r.tolerance !== undefined ? { tolerance: quantity(r.tolerance) } : {}),
  };
}

/** The policy's behavior as autoscaling/v2 HorizontalPodAutoscalerBehavior, every field explicit. */
export function hpaBehavior(b: Behavior): Record<string, unknown> {
  return { scaleUp: rules(b.scaleUp), scaleDown: rules(b.scaleDown) };
}

/** Whether a role needs KEDA: it scales on the payment queue, on the work in flight, on the request rate (a Prometheus query), or on a schedule. */
export function needsKeda(r: RolePolicy): boolean {
  return r.schedules.length > 0 || r.metrics.some((m) => m.type === 'work-in-flight' || m.type === 'queue-oldest-age' || m.type === 'queue-depth' || m.type === 'request-rate');
}

function hpaMetric(m: MetricPolicy): Record<string, unknown> | undefined {
  switch (m.type) {
    case 'cpu': return { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: m.targetAverageUtilization } } };
    case 'event-loop':
      return { type: 'Pods', pods: { metric: { name: CLUSTER_METRICS.eventLoop }, target: { type: 'AverageValue', averageValue: quantity(m.targetAverageUtilization / 100) } } };
    case 'request-concurrency':
      return { type: 'Pods', pods: { metric: { name: CLUSTER_METRICS.requestsInFlight }, target: { type: 'AverageValue', averageValue: quantity(m.targetAverageValue) } } };
    default:
      return undefined; // the queue and work-in-flight metrics make the role a KEDA one (needsKeda)
  }
}

function horizontalPodAutoscaler(c: Ctx, role: ScaledRole, r: RolePolicy): K8sObject {
  const metrics = r.metrics.map(hpaMetric).filter((m) => m !== undefined);
  if (r.metrics.some((m) => m.type === 'event-loop' || m.type === 'request-concurrency')) {
    c.notes.push(`${role}: the HorizontalPodAutoscaler reads Pods metrics (${CLUSTER_METRICS.eventLoop}, ${CLUSTER_METRICS.requestsInFlight}) from the custom metrics API: install an adapter that serves them from Prometheus (prometheus-adapter)`);
  }
  return {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: meta(c, roleName(c, role), role),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: roleName(c, role) },
      minReplicas: r.minReplicas, maxReplicas: r.maxReplicas,
      metrics, behavior: hpaBehavior(resolveBehavior(r.behavior)),
    },
  };
}

/** PromQL for the role's processes' series (the roles label their series with service=<role>). */
const ofRole = (role: ScaledRole) => `service="${role}"`;

function kedaTrigger(c: Ctx, role: ScaledRole, m: MetricPolicy): Record<string, unknown> | undefined {
  const prometheus = (name: string, query: string, threshold: number, metricType: 'AverageValue' | 'Value') => {
    if (!c.opts.prometheusServerAddress) {
      c.notes.push(`${role}: the ${name} metric is read through KEDA's prometheus trigger: left out, as no Prometheus address was given (--prometheus-url)`);
      return undefined;
    }
    return { type: 'prometheus', name, metricType, metadata: { serverAddress: c.opts.prometheusServerAddress, query, threshold: num(threshold) } };
  };
  switch (m.type) {
    case 'cpu': return { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(m.targetAverageUtilization) } };
    case 'queue-oldest-age':
      return { type: 'postgresql', name: m.type, metricType: 'Value', authenticationRef: { name: `${c.opts.name}-${DATABASE_AUTH}` }, metadata: { query: QUEUE_QUERIES.oldestAgeSeconds, targetQueryValue: num(m.targetSeconds) } };
    case 'queue-depth':
      return { type: 'postgresql', name: m.type, metricType: 'AverageValue', authenticationRef: { name: `${c.opts.name}-${DATABASE_AUTH}` }, metadata: { query: QUEUE_QUERIES.depth, targetQueryValue: num(m.targetPerReplica) } };
    case 'work-in-flight': {
      // Little's law: payment jobs arriving per second (accepted checkouts) x the mean provider call time.
      const q = `sum(rate(${CLUSTER_METRICS.checkouts}{outcome="accepted"}[1m])) * (sum(rate(${CLUSTER_METRICS.providerCallDuration}_sum[1m])) / clamp_min(sum(rate(${CLUSTER_METRICS.providerCallDuration}_count[1m])), 1e-9))`;
      return prometheus(m.type, q, c.opts.paymentWorkerConcurrency * m.targetUtilization, 'AverageValue');
    }
    case 'event-loop':
      return prometheus(m.type, `sum(${CLUSTER_METRICS.eventLoop}{${ofRole(role)}})`, m.targetAverageUtilization / 100, 'AverageValue');
    case 'request-concurrency':
      return prometheus(m.type, `sum(${CLUSTER_METRICS.requestsInFlight}{${ofRole(role)}})`, m.targetAverageValue, 'AverageValue');
    case 'request-rate':
      // requests received per second: the request-duration histogram counts each request once
      return prometheus(m.type, `sum(rate(${CLUSTER_METRICS.requestDuration}_count{${ofRole(role)}}[1m]))`, m.targetAverageValue, 'AverageValue');
  }
}

function scaledObject(c: Ctx, role: ScaledRole, r: RolePolicy): K8sObject {
  const triggers = [
    ...r.metrics.map((m) => kedaTrigger(c, role, m)).filter((t) => t !== undefined),
    // KEDA's cron scaler: the window's replicas as a metric, a floor under the others (the HPA takes the max).
    ...r.schedules.map((s) => ({ type: 'cron', name: `schedule-${s.name}`, metadata: { timezone: s.timezone, start: s.start, end: s.end, desiredReplicas: String(s.minReplicas) } })),
  ];
  return {
    apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: meta(c, roleName(c, role), role),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: roleName(c, role) },
      pollingInterval: c.opts.kedaPollingIntervalSeconds,
      minReplicaCount: r.minReplicas, maxReplicaCount: r.maxReplicas,
      advanced: { horizontalPodAutoscalerConfig: { name: roleName(c, role), behavior: hpaBehavior(resolveBehavior(r.behavior)) } },
      triggers,
    },
  };
}

function triggerAuthentication(c: Ctx): K8sObject {
  return {
    apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication', metadata: meta(c, `${c.opts.name}-${DATABASE_AUTH}`),
    // The postgresql scaler's `connection` parameter: the same DATABASE_URL the pods use.
    spec: { secretTargetRef: [{ parameter: 'connection', name: c.opts.secretName, key: 'DATABASE_URL' }] },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Configuration and monitoring

function configMap(c: Ctx): K8sObject {
  const data: Record<string, string> = {
    HOST: '0.0.0.0',
    PORT: String(c.opts.port),
    HOLDFAST_SHUTDOWN_GRACE_MS: String(c.opts.shutdownGraceMs),
    HOLDFAST_DB_POOL_MAX: String(c.opts.pools.dbPoolMax),
    HOLDFAST_PSP_DB_POOL_MAX: String(c.opts.pools.pspDbPoolMax),
    HOLDFAST_PAYMENT_WORKER_CONCURRENCY: String(c.opts.paymentWorkerConcurrency),
    HOLDFAST_PSP_PORT: String(c.opts.pspPorts.primary),
    HOLDFAST_PSP_SECONDARY_PORT: String(c.opts.pspPorts.secondary),
  };
  if (c.opts.simulator) {
    // Payments (and storefront refunds) reach the simulator's accounts through its Service. Its test keys are
    // the configuration's defaults, not secrets.
    const base = `http://${roleName(c, 'psp')}.${c.opts.namespace}.svc`;
    data.HOLDFAST_PAYMENT_PROVIDERS = JSON.stringify([
      { name: 'primary', baseUrl: `${base}:${c.opts.pspPorts.primary}`, secretKey: 'sk_test_holdfast_primary' },
      { name: 'secondary', baseUrl: `${base}:${c.opts.pspPorts.secondary}`, secretKey: 'sk_test_holdfast_secondary' },
    ]);
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(c, `${c.opts.name}-config`), data };
}

function serviceMonitor(c: Ctx): K8sObject {
  const endpoint = (port: string) => ({
    port, path: '/metrics', interval: '15s',
    // Holdfast labels its series with service=<role>; keep it rather than the Service's name.
    honorLabels: true,
  });
  return {
    apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: meta(c, c.opts.name, undefined, c.opts.monitoringLabels ?? {}),
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/part-of': c.opts.name } },
      namespaceSelector: { matchNames: [c.opts.namespace] },
      // The simulator serves one registry on both its ports: scraping the primary's is enough.
      endpoints: [endpoint('http'), ...(c.opts.simulator ? [endpoint('psp-primary')] : [])],
    },
  };
}

function prometheusRule(c: Ctx): K8sObject {
  return {
    apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: meta(c, `${c.opts.name}-slo`, undefined, c.opts.monitoringLabels ?? {}),
    spec: { groups: prometheusRuleGroups(c.opts.rules ?? {}) },
  };
}

// ---------------------------------------------------------------------------------------------------------

/** Renders the policy for a cluster: the objects, and what the operator must still provide. */
export function renderKubernetes(policy: ScalingPolicy, options: RenderOptions): KubernetesExport {
  const name = options.name ?? 'holdfast';
  const c: Ctx = {
    opts: {
      ...options,
      name,
      secretName: options.secretName ?? `${name}-secrets`,
      port: options.port ?? 3000,
      pspPorts: options.pspPorts ?? { primary: 3100, secondary: 3101 },
      simulator: options.simulator ?? true,
      shutdownGraceMs: options.shutdownGraceMs ?? 15_000,
      preStopSeconds: options.preStopSeconds ?? 5,
      pools: options.pools ?? DEFAULT_POOLS,
      paymentWorkerConcurrency: options.paymentWorkerConcurrency ?? 8,
      kedaPollingIntervalSeconds: options.kedaPollingIntervalSeconds ?? 15,
    },
    notes: [],
  };
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: c.opts.namespace, labels: labels(c) } },
    configMap(c),
  ];
  let keda = false;
  let postgres = false;
  for (const role of clusterRoles(c)) {
    const r = policy.roles[role];
    objects.push(deployment(c, role, r), service(c, role), podDisruptionBudget(c, role));
    if (!isAutoscaled(r)) continue;
    if (needsKeda(r)) {
      const so = scaledObject(c, role, r);
      keda = true;
      postgres ||= r.metrics.some((m) => m.type === 'queue-oldest-age' || m.type === 'queue-depth');
      objects.push(so);
    } else {
      objects.push(horizontalPodAutoscaler(c, role, r));
    }
  }
  if (postgres) objects.push(triggerAuthentication(c));
  objects.push(serviceMonitor(c), prometheusRule(c));

  c.notes.push(`create the Secret ${c.opts.secretName} in ${c.opts.namespace} with DATABASE_URL and HOLDFAST_ADMIN_TOKEN${c.opts.simulator ? '' : ' (and HOLDFAST_PAYMENT_PROVIDERS)'} before applying`);
  if (keda) c.notes.push('ScaledObject and TriggerAuthentication need KEDA installed in the cluster');
  c.notes.push('ServiceMonitor and PrometheusRule need the Prometheus Operator; label them as its serviceMonitorSelector and ruleSelector expect (--monitoring-label)');
  const { maxConnections, reserve } = policy.database;
  if (maxConnections !== undefined) {
    const atMax = clusterRoles(c).reduce((sum, role) => sum + policy.roles[role].maxReplicas * connectionsPerReplica(policy, role, c.opts.pools), 0);
    if (atMax > maxConnections - reserve) {
      c.notes.push(`at maxReplicas the roles would hold ${atMax} database connections, more than max_connections ${maxConnections} - reserve ${reserve}: a cluster's autoscalers do not know the budget; lower maxReplicas or pool connections (PgBouncer)`);
    }
  }
  return { objects, notes: [...new Set(c.notes)] };
}

// ---------------------------------------------------------------------------------------------------------
// KEDA trigger metadata: the models type it as a plain string map, so its keys are checked here.

interface TriggerKeys { required: readonly string[]; optional: readonly string[]; metricTypes: readonly string[] }

/** Per scaler, the metadata keys KEDA 2.21 documents (keda-docs content/docs/2.21/scalers/*.md). */
export const KEDA_TRIGGER_KEYS: Record<string, TriggerKeys> = {
  postgresql: {
    required: ['query', 'targetQueryValue'],
    optional: ['activationTargetQueryValue', 'connectionFromEnv', 'host', 'userName', 'passwordFromEnv', 'port', 'dbName', 'sslmode'],
    metricTypes: ['AverageValue', 'Value'],
  },
  cron: { required: ['timezone', 'start', 'end', 'desiredReplicas'], optional: [], metricTypes: ['AverageValue'] },
  cpu: { required: ['value'], optional: ['containerName'], metricTypes: ['Utilization', 'AverageValue'] },
  prometheus: {
    required: ['serverAddress', 'query', 'threshold'],
    optional: ['activationThreshold', 'namespace', 'customHeaders', 'ignoreNullValues', 'queryParameters', 'unsafeSsl', 'timeout'],
    metricTypes: ['AverageValue', 'Value'],
  },
};

const isNumber = (s: string | undefined) => s !== undefined && s.trim() !== '' && Number.isFinite(Number(s));

/**
 * Every problem of a ScaledObject's triggers' metadata: unknown scalers, missing or unknown keys, values
 * that are not numbers where KEDA parses numbers, a postgresql trigger with no connection, a cron window
 * that cannot open. `objects`: the rest of the export, where authenticationRefs must resolve.
 */
export function kedaTriggerProblems(scaledObject: K8sObject, objects: readonly K8sObject[] = []): string[] {
  const problems: string[] = [];
  const spec = scaledObject.spec as { triggers?: { type?: string; name?: string; metricType?: string; metadata?: Record<string, string>; authenticationRef?: { name?: string } }[] } | undefined;
  (spec?.triggers ?? []).forEach((t, i) => {
    const at = `${scaledObject.metadata.name}.spec.triggers[${i}]${t.name ? ` (${t.name})` : ''}`;
    const keys = t.type ? KEDA_TRIGGER_KEYS[t.type] : undefined;
    if (!keys) { problems.push(`${at}.type: ${JSON.stringify(t.type)} is not a scaler Holdfast renders (${Object.keys(KEDA_TRIGGER_KEYS).join(', ')})`); return; }
    const md = t.metadata ?? {};
    for (const k of keys.required) if (md[k] === undefined || md[k] === '') problems.push(`${at}.metadata.${k}: required by the ${t.type} scaler`);
    for (const k of Object.keys(md)) if (!keys.required.includes(k) && !keys.optional.includes(k)) problems.push(`${at}.metadata.${k}: not a ${t.type} scaler key`);
    if (t.metricType !== undefined && !keys.metricTypes.includes(t.metricType)) problems.push(`${at}.metricType: ${t.metricType} is not one of ${keys.metricTypes.join(', ')}`);
    const numeric = { postgresql: ['targetQueryValue', 'activationTargetQueryValue'], prometheus: ['threshold', 'activationThreshold'], cpu: ['value'], cron: [] as string[] }[t.type as 'cron'];
    for (const k of numeric ?? []) if (md[k] !== undefined && !isNumber(md[k])) problems.push(`${at}.metadata.${k}: must be a number, got ${JSON.stringify(md[k])}`);
    if (t.type === 'cron') {
      if (md.desiredReplicas !== undefined && !/^\d+$/.test(md.desiredReplicas)) problems.push(`${at}.metadata.desiredReplicas: must be a whole number, got ${JSON.stringify(md.desiredReplicas)}`);
      for (const k of ['start', 'end'] as const) if (md[k] !== undefined && md[k].trim().split(/\s+/).length !== 5) problems.push(`${at}.metadata.${k}: must be a five-field cron expression, got ${JSON.stringify(md[k])}`);
      if (md.start !== undefined && md.start === md.end) problems.push(`${at}.metadata.end: must differ from start`);
    }
    if (t.type === 'postgresql') {
      const viaEnv = md.connectionFromEnv !== undefined || md.host !== undefined;
      const ref = t.authenticationRef?.name;
      if (ref !== undefined) {
        const auth = objects.find((o) => o.kind === 'TriggerAuthentication' && o.metadata.name === ref);
        const params = ((auth?.spec as { secretTargetRef?: { parameter?: string }[] } | undefined)?.secretTargetRef ?? []).map((s) => s.parameter);
        if (!auth) problems.push(`${at}.authenticationRef.name: no TriggerAuthentication ${JSON.stringify(ref)} in the export`);
        else if (!viaEnv && !params.includes('connection') && !params.includes('host')) problems.push(`${at}.authenticationRef: TriggerAuthentication ${ref} gives no connection (parameter connection, or host and password)`);
      } else if (!viaEnv) {
        problems.push(`${at}: no connection (connectionFromEnv, host, or an authenticationRef giving connection)`);
      }
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------------------

/** Order of the files, so `kubectl apply -f DIR` creates the namespace and configuration first. */
const KIND_ORDER = ['Namespace', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget', 'HorizontalPodAutoscaler', 'TriggerAuthentication', 'ScaledObject', 'ServiceMonitor', 'PrometheusRule'];

/** The file a kind is written to: `02-deployment.yaml`. */
export function kindFile(kind: string): string {
  const i = KIND_ORDER.indexOf(kind);
  return `${String(i < 0 ? 99 : i).padStart(2, '0')}-${kind.toLowerCase()}.yaml`;
}

/** Writes one YAML file per kind (documents separated by ---) and a NOTES.txt; returns the files written. */
export async function writeKubernetesExport(dir: string, exported: KubernetesExport): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const byFile = new Map<string, K8sObject[]>();
  for (const o of exported.objects) byFile.set(kindFile(o.kind), [...(byFile.get(kindFile(o.kind)) ?? []), o]);
  const written: string[] = [];
  for (const [file, objs] of [...byFile.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const text = `# Generated by \`holdfast export kubernetes\` from the scaling policy (docs/scaling.md).\n${objs.map((o) => YAML.stringify(o, { lineWidth: 0 })).join('---\n')}`;
    await writeFile(path.join(dir, file), text);
    written.push(path.join(dir, file));
  }
  const notes = path.join(dir, 'NOTES.txt');
  await writeFile(notes, `Before applying (kubectl apply -f ${dir}):\n${exported.notes.map((n) => `- ${n}`).join('\n')}\n`);
  written.push(notes);
  return written;
}
