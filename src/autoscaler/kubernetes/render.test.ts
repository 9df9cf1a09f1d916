// `holdfast export kubernetes`: every rendered object validates offline against the Kubernetes, KEDA and
// Prometheus Operator schemas (kubernetes-models), the KEDA triggers' metadata against the keys each scaler
// documents, and removing a required field fails; the autoscalers mirror the local policy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Namespace, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { prometheusRuleGroups } from '../../exports/index.ts';
import { defaultScalingPolicy, parseScalingPolicy, roleBehavior, type ScalingPolicy } from '../scaling-policy.ts';
import {
  renderKubernetes, writeKubernetesExport, kedaTriggerProblems, hpaBehavior, kindFile, terminationGracePeriodSeconds, QUEUE_QUERIES,
  type K8sObject, type KubernetesExport, type RenderOptions,
} from './render.ts';

// Each kind's model: constructing one from the object and calling validate() checks it against the API's
// OpenAPI schema (kubernetes-models) or the CRD's (KEDA, Prometheus Operator).
type Validating = new (data: never) => { validate(): void; apiVersion: string };
const MODELS: Record<string, Validating> = {
  Namespace, ConfigMap, Service, Deployment, PodDisruptionBudget, HorizontalPodAutoscaler,
  ScaledObject, TriggerAuthentication, ServiceMonitor, PrometheusRule,
} as unknown as Record<string, Validating>;

/** Every problem of the export: schema validation per object, and the KEDA trigger metadata check. */
function exportProblems(exp: KubernetesExport): string[] {
  const problems: string[] = [];
  for (const o of exp.objects) {
    const Model = MODELS[o.kind];
    if (!Model) { problems.push(`${o.kind}: no model to validate it with`); continue; }
    try {
      const model = new Model(structuredClone(o) as never);
      if (model.apiVersion !== o.apiVersion) problems.push(`${o.kind} ${o.metadata.name}: apiVersion ${o.apiVersion}, the model's is ${model.apiVersion}`);
      model.validate();
    } catch (err) {
      problems.push(`${o.kind} ${o.metadata?.name}: ${(err as Error).message}`);
    }
    if (o.kind === 'ScaledObject') problems.push(...kedaTriggerProblems(o, exp.objects));
  }
  return problems;
}

const OPTIONS: RenderOptions = { image: 'registry.example.com/holdfast:1.0.0', namespace: 'shop' };
const find = (exp: KubernetesExport, kind: string, name: string) => {
  const o = exp.objects.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind} ${name} rendered`);
  return o as K8sObject & { spec: any; data?: any };
};

/** A policy exercising every metric and a schedule on each scaled role. */
function fullPolicy(): ScalingPolicy {
  return parseScalingPolicy({
    roles: {
      storefront: {
        maxReplicas: 12,
        metrics: [{ type: 'cpu', targetAverageUtilization: 65 }, { type: 'event-loop', targetAverageUtilization: 70 }, { type: 'request-concurrency', targetAverageValue: 40 }],
        behavior: { scaleDown: { stabilizationWindowSeconds: 120, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }], tolerance: 0.05 } },
      },
      payments: {
        minReplicas: 2, maxReplicas: 16,
        metrics: [{ type: 'work-in-flight', targetUtilization: 0.7 }, { type: 'queue-oldest-age', targetSeconds: 5 }, { type: 'queue-depth', targetPerReplica: 20 }, { type: 'cpu', targetAverageUtilization: 80 }],
        behavior: { scaleUp: { policies: [{ type: 'Percent', value: 200, periodSeconds: 15 }] } },
        schedules: [{ name: 'black-friday', start: '0 6 27 11 *', end: '0 23 28 11 *', timezone: 'Europe/Paris', minReplicas: 8 }],
      },
    },
    database: { maxConnections: 200 },
  });
}

test('every object rendered from the built-in policy and from one using every metric validates, KEDA trigger keys included', () => {
  for (const [label, exp] of [
    ['built-in', renderKubernetes(defaultScalingPolicy(), OPTIONS)],
    ['every metric', renderKubernetes(fullPolicy(), { ...OPTIONS, prometheusServerAddress: 'http://prometheus.monitoring.svc:9090' })],
    ['no simulator', renderKubernetes(fullPolicy(), { ...OPTIONS, simulator: false })],
  ] as const) {
    assert.deepEqual(exportProblems(exp), [], label);
    for (const o of exp.objects) if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'shop', `${o.kind} ${o.metadata.name} in the namespace`);
  }
  const kinds = renderKubernetes(defaultScalingPolicy(), OPTIONS).objects.map((o) => `${o.kind}/${o.metadata.name}`);
  assert.deepEqual(kinds, [
    'Namespace/shop', 'ConfigMap/holdfast-config',
    'Deployment/holdfast-storefront', 'Service/holdfast-storefront', 'PodDisruptionBudget/holdfast-storefront', 'HorizontalPodAutoscaler/holdfast-storefront',
    'Deployment/holdfast-payments', 'Service/holdfast-payments', 'PodDisruptionBudget/holdfast-payments', 'ScaledObject/holdfast-payments',
    'Deployment/holdfast-psp', 'Service/holdfast-psp', 'PodDisruptionBudget/holdfast-psp',
    'Deployment/holdfast-control', 'Service/holdfast-control', 'PodDisruptionBudget/holdfast-control',
    'TriggerAuthentication/holdfast-database', 'ServiceMonitor/holdfast', 'PrometheusRule/holdfast-slo',
  ]);
});

test('removing a required field, or giving a field the wrong type, fails validation', () => {
  const base = renderKubernetes(fullPolicy(), { ...OPTIONS, prometheusServerAddress: 'http://prometheus:9090' });
  const cases: [kind: string, name: string, path: (string | number)[], value?: unknown][] = [
    ['Deployment', 'holdfast-storefront', ['spec', 'selector']],
    ['Deployment', 'holdfast-storefront', ['spec', 'template', 'spec', 'containers', 0, 'name']],
    ['Deployment', 'holdfast-payments', ['spec', 'template', 'spec', 'containers', 0, 'readinessProbe', 'httpGet', 'port']],
    ['Service', 'holdfast-storefront', ['spec', 'ports', 0, 'port']],
    ['HorizontalPodAutoscaler', 'holdfast-storefront', ['spec', 'scaleTargetRef']],
    ['HorizontalPodAutoscaler', 'holdfast-storefront', ['spec', 'maxReplicas']],
    ['HorizontalPodAutoscaler', 'holdfast-storefront', ['spec', 'behavior', 'scaleDown', 'policies', 0, 'periodSeconds']],
    ['HorizontalPodAutoscaler', 'holdfast-storefront', ['spec', 'metrics', 0, 'resource', 'target', 'type']],
    ['HorizontalPodAutoscaler', 'holdfast-storefront', ['spec', 'minReplicas'], 'two'],
    ['PodDisruptionBudget', 'holdfast-payments', ['spec', 'selector', 'matchLabels'], 'payments'],
    ['ScaledObject', 'holdfast-payments', ['spec', 'scaleTargetRef', 'name']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 0, 'type']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 0, 'metadata']],
    // The scaler keys the models cannot see (metadata is a plain string map): Holdfast's own check.
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 1, 'metadata', 'query']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 1, 'metadata', 'targetQueryValue']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 1, 'authenticationRef']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 0, 'metadata', 'threshold']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 4, 'metadata', 'timezone']],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 4, 'metadata', 'desiredReplicas'], 'eight'],
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 4, 'metadata', 'startTime'], '0 6 * * *'], // an unknown key
    ['ScaledObject', 'holdfast-payments', ['spec', 'triggers', 3, 'metricType'], 'Value'],
    ['TriggerAuthentication', 'holdfast-database', ['spec', 'secretTargetRef', 0, 'key']],
    ['ServiceMonitor', 'holdfast', ['spec', 'selector']],
    ['ServiceMonitor', 'holdfast', ['spec', 'endpoints']],
    ['PrometheusRule', 'holdfast-slo', ['spec', 'groups', 0, 'name']],
    ['PrometheusRule', 'holdfast-slo', ['spec', 'groups', 1, 'rules', 0, 'expr']],
  ];
  assert.deepEqual(exportProblems(base), []);
  for (const [kind, name, at, value] of cases) {
    const exp = structuredClone(base);
    let node: any = find(exp, kind, name);
    for (const seg of at.slice(0, -1)) node = node[seg];
    assert.ok(node !== undefined && (value !== undefined || at.at(-1)! in node), `${kind} ${name} has ${at.join('.')}`);
    if (value === undefined) delete node[at.at(-1)!];
    else node[at.at(-1)!] = value;
    assert.notDeepEqual(exportProblems(exp), [], `${kind} ${name} without ${at.join('.')}${value === undefined ? '' : ` (as ${JSON.stringify(value)})`} must fail`);
  }
});

test('the HorizontalPodAutoscaler\'s behavior mirrors the local policy, every field explicit, so a cluster takes the same rules', () => {
  const policy = fullPolicy();
  const exp = renderKubernetes(policy, OPTIONS);
  const hpa = find(exp, 'HorizontalPodAutoscaler', 'holdfast-storefront');
  const local = roleBehavior(policy.roles.storefront);
  assert.deepEqual(hpa.spec.behavior, hpaBehavior(local));
  assert.deepEqual(hpa.spec.behavior.scaleDown, { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }], tolerance: '50m' });
  assert.deepEqual(hpa.spec.behavior.scaleUp, { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [1, 12]);
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'holdfast-storefront' });
  assert.deepEqual(hpa.spec.metrics, [
    { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } },
    { type: 'Pods', pods: { metric: { name: 'holdfast_eventloop_utilization_ratio' }, target: { type: 'AverageValue', averageValue: '700m' } } },
    { type: 'Pods', pods: { metric: { name: 'holdfast_http_requests_in_flight' }, target: { type: 'AverageValue', averageValue: '40' } } },
  ]);
  assert.ok(exp.notes.some((n) => /prometheus-adapter/.test(n)));
  // The built-in policy's behavior is the HPA's defaults, written out.
  const builtIn = find(renderKubernetes(defaultScalingPolicy(), OPTIONS), 'HorizontalPodAutoscaler', 'holdfast-storefront');
  assert.deepEqual(builtIn.spec.behavior.scaleDown, { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
});

test('payments scale through a KEDA ScaledObject: postgresql triggers on pg-boss\'s job table with a TriggerAuthentication, cron triggers for the schedules, the same behavior, and no second autoscaler', () => {
  const policy = fullPolicy();
  const exp = renderKubernetes(policy, { ...OPTIONS, prometheusServerAddress: 'http://prometheus:9090' });
  const so = find(exp, 'ScaledObject', 'holdfast-payments');
  assert.equal(exp.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'holdfast-payments').length, 0, 'KEDA makes the HPA');
  assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], [2, 16]);
  assert.deepEqual(so.spec.advanced.horizontalPodAutoscalerConfig.behavior, hpaBehavior(roleBehavior(policy.roles.payments)));
  const [work, age, depth, cpu, cron] = so.spec.triggers;
  assert.equal(work.type, 'prometheus');
  assert.equal(work.metadata.threshold, '5.6', '8 jobs per process x 0.7');
  assert.match(work.metadata.query, /holdfast_checkouts_total\{outcome="accepted"\}/);
  assert.deepEqual(age, {
    type: 'postgresql', name: 'queue-oldest-age', metricType: 'Value', authenticationRef: { name: 'holdfast-database' },
    metadata: { query: QUEUE_QUERIES.oldestAgeSeconds, targetQueryValue: '5' },
  });
  assert.match(age.metadata.query, /FROM pgboss\.job WHERE name = 'payment-charge' AND state < 'completed'/);
  assert.equal(depth.metricType, 'AverageValue');
  assert.deepEqual(cpu, { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: '80' } });
  assert.deepEqual(cron, { type: 'cron', name: 'schedule-black-friday', metadata: { timezone: 'Europe/Paris', start: '0 6 27 11 *', end: '0 23 28 11 *', desiredReplicas: '8' } });
  const auth = find(exp, 'TriggerAuthentication', 'holdfast-database');
  assert.deepEqual(auth.spec.secretTargetRef, [{ parameter: 'connection', name: 'holdfast-secrets', key: 'DATABASE_URL' }]);
  // Without a Prometheus address the work-in-flight trigger is left out, and the notes say so.
  const without = renderKubernetes(policy, OPTIONS);
  assert.deepEqual(find(without, 'ScaledObject', 'holdfast-payments').spec.triggers.map((t: { name: string }) => t.name), ['queue-oldest-age', 'queue-depth', 'cpu', 'schedule-black-friday']);
  assert.ok(without.notes.some((n) => /work-in-flight metric .* no Prometheus address/.test(n)));
  // A storefront with a schedule needs KEDA too: its cpu becomes a KEDA cpu trigger.
  const scheduled = renderKubernetes(parseScalingPolicy({ roles: { storefront: { schedules: [{ name: 'sale', start: '0 8 * * 1', end: '0 20 * * 1', timezone: 'UTC', minReplicas: 4 }] } } }), OPTIONS);
  assert.equal(scheduled.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
  assert.deepEqual(exportProblems(scheduled), []);
});

test('each Deployment: probes on /readyz and /healthz, a preStop wait inside the termination grace that covers the drain, requests and limits from the policy, non-root on a read-only filesystem', () => {
  const exp = renderKubernetes(defaultScalingPolicy(), { ...OPTIONS, shutdownGraceMs: 20_000, preStopSeconds: 7 });
  for (const role of ['storefront', 'payments', 'psp', 'control']) {
    const d = find(exp, 'Deployment', `holdfast-${role}`);
    const pod = d.spec.template.spec;
    const [c] = pod.containers;
    assert.deepEqual(c.args, ['start', '--target', role]);
    assert.equal(c.image, OPTIONS.image);
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.port, role === 'psp' ? 'psp-primary' : 'http');
    assert.equal(c.readinessProbe.timeoutSeconds, 1, '/readyz answers within readinessTimeoutMs (800 ms), inside the probe timeout');
    assert.deepEqual(c.lifecycle.preStop, { sleep: { seconds: 7 } });
    assert.equal(pod.terminationGracePeriodSeconds, 28);
    assert.ok(pod.terminationGracePeriodSeconds >= 7 + 20, 'the grace covers the preStop wait and the whole drain');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 1000);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(c.volumeMounts.map((v: { mountPath: string }) => v.mountPath), ['/tmp', '/var/lib/holdfast']);
    assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'holdfast-config' } }, { secretRef: { name: 'holdfast-secrets' } }]);
    const policy = defaultScalingPolicy().roles[role as 'psp'].resources;
    assert.deepEqual(c.resources, policy);
  }
  assert.equal(find(exp, 'Deployment', 'holdfast-storefront').spec.replicas, undefined, 'an autoscaled Deployment leaves replicas to its autoscaler');
  assert.equal(find(exp, 'Deployment', 'holdfast-control').spec.replicas, 1);
  assert.equal(terminationGracePeriodSeconds(5, 15_000), 21);
  const config = find(exp, 'ConfigMap', 'holdfast-config');
  assert.equal(config.data.HOLDFAST_SHUTDOWN_GRACE_MS, '20000', 'the process drains for the grace the pod is given');
  assert.deepEqual(JSON.parse(config.data.HOLDFAST_PAYMENT_PROVIDERS!).map((p: { baseUrl: string }) => p.baseUrl), ['http://holdfast-psp.shop.svc:3100', 'http://holdfast-psp.shop.svc:3101']);
  assert.equal(find(exp, 'PodDisruptionBudget', 'holdfast-control').spec.maxUnavailable, 1);
  // Without the simulator, no psp objects, and the providers come from the Secret.
  const real = renderKubernetes(defaultScalingPolicy(), { ...OPTIONS, simulator: false });
  assert.ok(!real.objects.some((o) => o.metadata.name === 'holdfast-psp'));
  assert.equal(find(real, 'ConfigMap', 'holdfast-config').data.HOLDFAST_PAYMENT_PROVIDERS, undefined);
});

test('the ServiceMonitor scrapes every role\'s /metrics keeping its service label; the PrometheusRule carries the exported SLO rules', () => {
  const exp = renderKubernetes(defaultScalingPolicy(), { ...OPTIONS, monitoringLabels: { release: 'kube-prometheus-stack' } });
  const sm = find(exp, 'ServiceMonitor', 'holdfast');
  assert.deepEqual(sm.spec.endpoints.map((e: { port: string }) => e.port), ['http', 'psp-primary']);
  assert.ok(sm.spec.endpoints.every((e: { honorLabels: boolean; path: string }) => e.honorLabels && e.path === '/metrics'));
  assert.equal(sm.metadata.labels!.release, 'kube-prometheus-stack');
  const rule = find(exp, 'PrometheusRule', 'holdfast-slo');
  assert.deepEqual(rule.spec.groups, prometheusRuleGroups());
  // Every Service the monitor selects exposes a port it scrapes.
  for (const svc of exp.objects.filter((o) => o.kind === 'Service') as (K8sObject & { spec: { ports: { name: string }[] } })[]) {
    assert.equal(svc.metadata.labels!['app.kubernetes.io/part-of'], 'holdfast');
    assert.ok(svc.spec.ports.some((p) => ['http', 'psp-primary'].includes(p.name)), svc.metadata.name);
  }
});

test('the notes say what the operator must provide, and when the maxima would not fit the connection budget', () => {
  const exp = renderKubernetes(fullPolicy(), OPTIONS);
  assert.ok(exp.notes.some((n) => /Secret holdfast-secrets in shop with DATABASE_URL and HOLDFAST_ADMIN_TOKEN/.test(n)));
  assert.ok(exp.notes.some((n) => /KEDA/.test(n)));
  // storefront 12 x 15 + payments 16 x 25 (its workers' own pool besides the main one) + 21 + 14 = 615
  // connections at the maxima, over 200 - 10.
  assert.ok(exp.notes.some((n) => /at maxReplicas the roles would hold 615 database connections, more than max_connections 200 - reserve 10/.test(n)), exp.notes.join('\n'));
});

test('writeKubernetesExport writes one YAML file per kind, in the order kubectl apply needs, and the notes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-k8s-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const exp = renderKubernetes(defaultScalingPolicy(), OPTIONS);
  const files = await writeKubernetesExport(dir, exp);
  assert.deepEqual(readdirSync(dir).sort(), [
    '00-namespace.yaml', '01-configmap.yaml', '02-deployment.yaml', '03-service.yaml', '04-poddisruptionbudget.yaml',
    '05-horizontalpodautoscaler.yaml', '06-triggerauthentication.yaml', '07-scaledobject.yaml', '08-servicemonitor.yaml', '09-prometheusrule.yaml', 'NOTES.txt',
  ]);
  assert.equal(files.length, 11);
  const back = readdirSync(dir).filter((f) => f.endsWith('.yaml')).flatMap((f) => {
    const docs = YAML.parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as K8sObject);
    for (const d of docs) assert.equal(kindFile(d.kind), f);
    return docs;
  });
  assert.deepEqual(back.sort((a, b) => `${a.kind}${a.metadata.name}`.localeCompare(`${b.kind}${b.metadata.name}`)),
    structuredClone(exp.objects).sort((a, b) => `${a.kind}${a.metadata.name}`.localeCompare(`${b.kind}${b.metadata.name}`)));
  assert.match(readFileSync(path.join(dir, 'NOTES.txt'), 'utf8'), /create the Secret holdfast-secrets/);
});

test('holdfast export kubernetes (the command) writes, from HOLDFAST_SCALING_POLICY, objects that validate; a required field removed from the written files fails', async () => {
  const { runKubernetesExport } = await import('./export-command.ts');
  const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-k8s-cli-'));
  try {
    const policyFile = path.join(dir, 'policy.yaml');
    await import('node:fs/promises').then((fs) => fs.writeFile(policyFile, 'roles:\n  payments:\n    maxReplicas: 5\n'));
    const out = path.join(dir, 'k8s');
    const code = await runKubernetesExport(['--out', out, '--image', 'registry.example.com/holdfast:2.0.0', '--monitoring-label', 'release=kps'], { HOLDFAST_SCALING_POLICY: policyFile });
    assert.equal(code, 0);
    const objects = readdirSync(out).filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => YAML.parseAllDocuments(readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJSON() as K8sObject));
    const written: KubernetesExport = { objects, notes: [] };
    assert.deepEqual(exportProblems(written), []);
    const scaled = objects.find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'holdfast-payments') as K8sObject & { spec: { maxReplicaCount: number } };
    assert.equal(scaled.spec.maxReplicaCount, 5, 'the policy file was read');
    const deployment = objects.find((o) => o.kind === 'Deployment') as K8sObject & { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(deployment.spec.template.spec.containers[0]!.image, 'registry.example.com/holdfast:2.0.0');
    delete (deployment.spec as { selector?: unknown }).selector;
    assert.ok(exportProblems(written).some((p) => /Deployment .*selector/.test(p)), 'a Deployment without its selector fails');
    assert.equal(await runKubernetesExport(['--out', out], { HOLDFAST_SCALING_POLICY: path.join(dir, 'missing.yaml') }), 2, 'an unreadable policy exports nothing');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a storefront scaling on its request rate goes through KEDA: a prometheus trigger on the request-duration histogram\'s count, per replica', () => {
  const policy = parseScalingPolicy({ roles: { storefront: { metrics: [{ type: 'cpu', targetAverageUtilization: 70 }, { type: 'request-rate', targetAverageValue: 63 }] } } });
  const exp = renderKubernetes(policy, { ...OPTIONS, prometheusServerAddress: 'http://prometheus:9090' });
  assert.deepEqual(exportProblems(exp), []);
  assert.equal(exp.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'holdfast-storefront').length, 0, 'KEDA makes the HPA');
  const [cpu, rate] = find(exp, 'ScaledObject', 'holdfast-storefront').spec.triggers;
  assert.equal(cpu.type, 'cpu');
  assert.deepEqual(rate, {
    type: 'prometheus', name: 'request-rate', metricType: 'AverageValue',
    metadata: { serverAddress: 'http://prometheus:9090', query: 'sum(rate(holdfast_http_request_duration_seconds_count{service="storefront"}[1m]))', threshold: '63' },
  });
});
