// `holdfast export kubernetes --out DIR [--image IMAGE] [--namespace NS]`: the scaling policy
// (HOLDFAST_SCALING_POLICY, else the built-in one) and the configuration rendered as Kubernetes, KEDA and
// Prometheus Operator objects, one YAML file per kind (docs/scaling.md).
import { parseArgs } from 'node:util';
import { ConfigError, composeConfig, loadConfig } from '../../platform/config/config.ts';
import { serverConfig, databaseConfig } from '../../platform/config/platform-config.ts';
import { pspConfig } from '../../psp/index.ts';
import { paymentsConfig } from '../../payments/index.ts';
import { configuredSlos, controlConfig } from '../../control/index.ts';
import { autoscalerConfig } from '../autoscaler-config.ts';
import { defaultScalingPolicy, loadScalingPolicy } from '../scaling-policy.ts';
import { renderKubernetes, writeKubernetesExport } from './render.ts';

const HELP = `Usage:
  holdfast export kubernetes [--out DIR] [--image IMAGE] [--namespace NS] [--no-simulator]
                             [--prometheus-url URL] [--monitoring-label key=value ...]
      writes Deployments, Services, PodDisruptionBudgets, HorizontalPodAutoscalers, KEDA ScaledObjects and
      a TriggerAuthentication, a ServiceMonitor and a PrometheusRule from the scaling policy
      (HOLDFAST_SCALING_POLICY, else the built-in one); default DIR: holdfast-kubernetes,
      IMAGE: holdfast:latest (built from the repository's Dockerfile), NS: holdfast.
      --no-simulator: no psp role (set HOLDFAST_PAYMENT_PROVIDERS in the Secret); --prometheus-url: the
      Prometheus KEDA's prometheus triggers query; --monitoring-label: labels your Prometheus Operator
      selects ServiceMonitors and PrometheusRules by (e.g. release=kube-prometheus-stack)
`;

export async function runKubernetesExport(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: {
      out: { type: 'string' }, image: { type: 'string' }, namespace: { type: 'string' }, help: { type: 'boolean' },
      'no-simulator': { type: 'boolean' }, 'prometheus-url': { type: 'string' }, 'monitoring-label': { type: 'string', multiple: true },
    } }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) { process.stdout.write(HELP); return 0; }
  const monitoringLabels: Record<string, string> = {};
  for (const label of values['monitoring-label'] ?? []) {
    const m = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(label);
    if (!m) { process.stderr.write(`--monitoring-label must be key=value, got "${label}"\n`); return 2; }
    monitoringLabels[m[1]!] = m[2]!;
  }
  try {
    const cfg = loadConfig(composeConfig(serverConfig, databaseConfig, pspConfig, paymentsConfig, controlConfig, autoscalerConfig), env, {}, { partial: true });
    const pools = { dbPoolMax: cfg.dbPoolMax, pspDbPoolMax: cfg.pspDbPoolMax };
    const policy = cfg.scalingPolicyFile ? loadScalingPolicy(cfg.scalingPolicyFile, { pools }) : defaultScalingPolicy();
    const exported = renderKubernetes(policy, {
      image: values.image ?? 'holdfast:latest', namespace: values.namespace ?? 'holdfast', port: cfg.port,
      pspPorts: { primary: cfg.pspPort, secondary: cfg.pspSecondaryPort ?? cfg.pspPort + 1 },
      shutdownGraceMs: cfg.shutdownGraceMs, pools, paymentWorkerConcurrency: cfg.paymentWorkerConcurrency,
      rules: { slos: configuredSlos(cfg) }, simulator: !values['no-simulator'], monitoringLabels,
      ...(values['prometheus-url'] ? { prometheusServerAddress: values['prometheus-url'] } : {}),
    });
    for (const f of await writeKubernetesExport(values.out ?? 'holdfast-kubernetes', exported)) process.stdout.write(`wrote ${f}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}
