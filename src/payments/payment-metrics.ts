// Payment metrics. Names are stable and documented in docs/observability.md and docs/payments.md.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';

export const providerCallDuration = new client.Histogram({
  name: 'holdfast_payment_provider_call_duration_seconds',
  help: 'Payment provider call duration by provider, operation and outcome',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
  registers: [registry],
});

export const providerCallsTotal = new client.Counter({
  name: 'holdfast_payment_provider_calls_total',
  help: 'Payment provider calls by provider, operation and outcome (succeeded, declined, error, timeout, rejected, not_sent)',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const breakerStateGauge = new client.Gauge({
  name: 'holdfast_payment_breaker_state',
  help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const breakerTransitions = new client.Counter({
  name: 'holdfast_payment_breaker_transitions_total',
  help: 'Circuit breaker state changes per provider and new state',
  labelNames: ['provider', 'state'] as const,
  registers: [registry],
});

export const bulkheadInUse = new client.Gauge({
  name: 'holdfast_payment_bulkhead_in_use',
  help: 'Concurrent provider calls in flight per provider (bulkhead slots in use)',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const bulkheadLimit = new client.Gauge({
  name: 'holdfast_payment_bulkhead_limit',
  help: 'Bulkhead concurrency limit per provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const attemptsPerOrder = new client.Histogram({
  name: 'holdfast_payment_attempts_per_order',
  help: 'Provider attempts needed to settle an order',
  buckets: [1, 2, 3, 4, 5, 8, 13],
  registers: [registry],
});

export const paymentsSettled = new client.Counter({
  name: 'holdfast_payments_settled_total',
  help: 'Orders settled by the payment workers, by outcome (paid, payment_failed) and provider',
  labelNames: ['outcome', 'provider'] as const,
  registers: [registry],
});

export const paymentJobDuration = new client.Histogram({
  name: 'holdfast_payment_job_duration_seconds',
  help: 'Payment job processing time by result (settled, retry_later, skipped)',
  labelNames: ['result'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const retryBudgetExhausted = new client.Counter({
  name: 'holdfast_payment_retry_budget_exhausted_total',
  help: 'Retries skipped because the retry budget was spent, per provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});
