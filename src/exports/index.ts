// Exports for operators who run their own monitoring stack: Prometheus rules, Alertmanager routing,
// Grafana dashboards (`holdfast export prometheus|grafana`).
export { runExportCommand, writePrometheusExport, writeGrafanaExport, RULES_FILE } from './export-cli.ts';
export { prometheusRuleGroups, alertmanagerConfig, prometheusConfig, alertName, promDuration, openMetricsFloat, bucketBoundMatcher, type PrometheusExportOptions } from './prometheus-rules.ts';
export { redDashboard, sloDashboard, paymentQueueDashboard } from './grafana-dashboards.ts';
