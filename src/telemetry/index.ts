// The telemetry contract shared by the roles that produce metrics and everything that reads them.
export { METRICS, METRIC_PREFIX, type MetricName, type MetricContract, type Producer } from './metric-names.ts';
export { PAYMENT_QUEUES, QUEUE_JOB_STATES } from './label-values.ts';
export { NOT_SHOPPER_ROUTE_PREFIXES, isShopperRoute } from './route-classes.ts';
