// The payments context's settings: provider accounts, resilience of provider calls, the payment queue,
// paying again and reconciliation.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const paymentsConfig = defineConfigSlice({
  /** Payment provider accounts in priority order. Empty: the local simulator's primary and secondary. */
  paymentProviders: Type.Array(Type.Object({
    name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
    baseUrl: Type.String({ pattern: '^https?://' }),
    secretKey: Type.String({ minLength: 1 }),
  }, { additionalProperties: false }), { default: [], maxItems: 8, description: 'Provider accounts in priority order (JSON); empty: the local simulator primary and secondary' }),
  paymentWorkerConcurrency: Type.Integer({ description: 'Payment jobs processed at once per payments process while provider calls take up to providerSlowCallMs (more when slower, up to providerMaxConcurrent)', default: 8, minimum: 1, maximum: 256 }),
  providerTimeoutMs: Type.Integer({ description: 'Timeout of one provider call', default: 2500, minimum: 50, maximum: 120_000 }),
  providerSlowCallMs: Type.Integer({ description: 'Provider latency paymentWorkerConcurrency is sized for: slower calls make each payments process work proportionally more jobs at once (up to providerMaxConcurrent); they never count against the circuit breaker', default: 1000, minimum: 10, maximum: 120_000 }),
  providerMaxConcurrent: Type.Integer({ description: 'Bulkhead: concurrent calls per provider account', default: 32, minimum: 1, maximum: 1024 }),
  providerRateLimitPerSecond: Type.Integer({ description: 'Provider calls per second one payments process may make (its share of the provider account\'s rate limit); bounds the jobs at once to this x the provider latency. 0: no limit (the bulkhead alone)', default: 0, minimum: 0, maximum: 100_000 }),
  providerBreakerHalfOpenAfterMs: Type.Integer({ description: 'How long an open circuit waits before a probe', default: 5000, minimum: 100 }),
  paymentJobRetryLimit: Type.Integer({ description: 'Job retries before the dead-letter queue', default: 300, minimum: 0, maximum: 100_000 }),
  paymentJobRetryDelaySeconds: Type.Integer({ description: 'Delay between job retries', default: 2, minimum: 1, maximum: 3600 }),
  paymentJobExpireSeconds: Type.Integer({ description: 'Longest one run of a payment job may take, even with a live worker; then it is retried', default: 60, minimum: 5, maximum: 3600 }),
  paymentRetryMaxAttempts: Type.Integer({ description: 'How many times one declined order can be paid again with another payment method (POST /api/orders/:id/payment); then 409 PAYMENT_ATTEMPTS_EXHAUSTED. Bounds card testing on one order; 0 turns paying again off', default: 5, minimum: 0, maximum: 100 }),
  paymentJobHeartbeatSeconds: Type.Integer({ description: 'A payment worker heartbeats its job; a job not heard from for this long (its worker died) is retried; the order payment lease lasts half of it plus a second', default: 10, minimum: 10, maximum: 600 }),
  reconcileIntervalSeconds: Type.Integer({ default: 300, minimum: 0, description: 'Reconciliation with the provider ledgers; 0 disables the periodic run' }),
  networkFaultProxy: Type.Boolean({ default: false, description: 'Route payments -> provider through a local proxy so the network.latency fault can delay it (fault-injection runs only)' }),
}, {
  HOLDFAST_PAYMENT_PROVIDERS: 'paymentProviders',
  HOLDFAST_PAYMENT_WORKER_CONCURRENCY: 'paymentWorkerConcurrency',
  HOLDFAST_PROVIDER_TIMEOUT_MS: 'providerTimeoutMs',
  HOLDFAST_PROVIDER_SLOW_CALL_MS: 'providerSlowCallMs',
  HOLDFAST_PROVIDER_MAX_CONCURRENT: 'providerMaxConcurrent',
  HOLDFAST_PROVIDER_RATE_LIMIT_PER_SECOND: 'providerRateLimitPerSecond',
  HOLDFAST_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS: 'providerBreakerHalfOpenAfterMs',
  HOLDFAST_PAYMENT_JOB_RETRY_LIMIT: 'paymentJobRetryLimit',
  HOLDFAST_PAYMENT_JOB_RETRY_DELAY_SECONDS: 'paymentJobRetryDelaySeconds',
  HOLDFAST_PAYMENT_JOB_EXPIRE_SECONDS: 'paymentJobExpireSeconds',
  HOLDFAST_PAYMENT_RETRY_MAX_ATTEMPTS: 'paymentRetryMaxAttempts',
  HOLDFAST_PAYMENT_JOB_HEARTBEAT_SECONDS: 'paymentJobHeartbeatSeconds',
  HOLDFAST_RECONCILE_INTERVAL_SECONDS: 'reconcileIntervalSeconds',
  HOLDFAST_NETWORK_FAULT_PROXY: 'networkFaultProxy',
});

export type PaymentsConfig = SliceConfig<typeof paymentsConfig>;
