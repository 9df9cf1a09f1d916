// The telemetry contract: every metric Holdfast's roles export on /metrics, by name, with the role that
// produces it. Producers create their metrics from these names; consumers (the control role's detection
// and root-cause analysis, the Prometheus rules and Grafana dashboards of `holdfast export`, the load
// tester's bottleneck diagnosis) read them by these names. A metric renamed here is renamed for all of
// them at once; a metric renamed anywhere else fails src/telemetry/telemetry-contract.test.ts instead of
// silently dropping out of root-cause analysis. Names are part of the public contract (docs/observability.md).

/** The prefix of every Holdfast metric (prom-client's process metrics get it too). */
export const METRIC_PREFIX = 'holdfast_';

/** Which roles export a metric: every role, or the ones that run the code that measures it. */
export type Producer = 'every role' | 'storefront' | 'payments' | 'psp' | 'control';

export interface MetricContract { name: string; producer: Producer }

const metric = <const N extends string>(name: N, producer: Producer) => ({ name, producer }) as const;

export const METRICS = {
  // platform: HTTP and database RED metrics, pools, the event loop, the process
  httpRequestDuration: metric('holdfast_http_request_duration_seconds', 'every role'),
  httpRequestsInFlight: metric('holdfast_http_requests_in_flight', 'every role'),
  dbQueryDuration: metric('holdfast_db_query_duration_seconds', 'every role'),
  dbPoolConnections: metric('holdfast_db_pool_connections', 'every role'),
  eventLoopStallMax: metric('holdfast_eventloop_stall_max_seconds', 'every role'),
  eventLoopUtilization: metric('holdfast_eventloop_utilization_ratio', 'every role'),
  unhandledErrors: metric('holdfast_process_unhandled_errors_total', 'every role'),
  dbPoolWaitTimeouts: metric('holdfast_db_pool_wait_timeouts_total', 'every role'),
  // admission control: the storefront's adaptive concurrency limit (docs/surge-protection.md)
  concurrencyLimit: metric('holdfast_concurrency_limit', 'storefront'),
  concurrencyInflight: metric('holdfast_concurrency_inflight', 'storefront'),
  concurrencyShed: metric('holdfast_concurrency_shed_total', 'storefront'),
  // prom-client's default process metrics, with METRIC_PREFIX (two of the many it exports are read)
  processCpuSeconds: metric('holdfast_process_cpu_seconds_total', 'every role'),
  eventLoopLagP99: metric('holdfast_nodejs_eventloop_lag_p99_seconds', 'every role'),
  // checkout
  checkouts: metric('holdfast_checkouts_total', 'storefront'),
  // the waiting room
  waitingRoomActiveUsers: metric('holdfast_waiting_room_active_users', 'storefront'),
  waitingRoomQueuedUsers: metric('holdfast_waiting_room_queued_users', 'storefront'),
  waitingRoomAdmitted: metric('holdfast_waiting_room_admitted_total', 'storefront'),
  waitingRoomWaitSeconds: metric('holdfast_waiting_room_wait_seconds', 'storefront'),
  waitingRoomQueuedResponses: metric('holdfast_waiting_room_queued_responses_total', 'storefront'),
  // payments
  providerCallDuration: metric('holdfast_payment_provider_call_duration_seconds', 'payments'),
  providerCalls: metric('holdfast_payment_provider_calls_total', 'payments'),
  breakerState: metric('holdfast_payment_breaker_state', 'payments'),
  breakerTransitions: metric('holdfast_payment_breaker_transitions_total', 'payments'),
  bulkheadInUse: metric('holdfast_payment_bulkhead_in_use', 'payments'),
  bulkheadLimit: metric('holdfast_payment_bulkhead_limit', 'payments'),
  attemptsPerOrder: metric('holdfast_payment_attempts_per_order', 'payments'),
  paymentsSettled: metric('holdfast_payments_settled_total', 'payments'),
  paymentJobDuration: metric('holdfast_payment_job_duration_seconds', 'payments'),
  retryBudgetExhausted: metric('holdfast_payment_retry_budget_exhausted_total', 'payments'),
  paymentQueueJobs: metric('holdfast_payment_queue_jobs', 'payments'),
  paymentQueueOldestJobAge: metric('holdfast_payment_queue_oldest_job_age_seconds', 'payments'),
  // the autoscaler (control role) and the supervisor's restarts it is told of
  autoscalerReplicas: metric('holdfast_autoscaler_replicas', 'control'),
  autoscalerDesiredReplicas: metric('holdfast_autoscaler_desired_replicas', 'control'),
  autoscalerDecisions: metric('holdfast_autoscaler_decisions_total', 'control'),
  supervisorRestarts: metric('holdfast_supervisor_restarts_total', 'control'),
  // the provider simulator
  pspRequests: metric('holdfast_psp_requests_total', 'psp'),
  pspRequestDuration: metric('holdfast_psp_request_duration_seconds', 'psp'),
} satisfies Record<string, MetricContract>;

export type MetricName = (typeof METRICS)[keyof typeof METRICS]['name'];
