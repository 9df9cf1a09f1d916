// Payment metrics, on the registry every role exports. Names come from the telemetry contract
// (src/telemetry) and are documented in docs/observability.md and docs/payments.md.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';
import { METRICS, PAYMENT_QUEUES } from '../telemetry/index.ts';
import type { JobQueue } from '../platform/queue/job-queue.ts';

export const providerCallDuration = new client.Histogram({
  name: METRICS.providerCallDuration.name,
  help: 'Payment provider call duration by provider, operation and outcome',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
  registers: [registry],
});

export const providerCallsTotal = new client.Counter({
  name: METRICS.providerCalls.name,
  help: 'Payment provider calls by provider, operation and outcome (succeeded, declined, error, timeout, rejected, not_sent)',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const breakerStateGauge = new client.Gauge({
  name: METRICS.breakerState.name,
  help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const breakerTransitions = new client.Counter({
  name: METRICS.breakerTransitions.name,
  help: 'Circuit breaker state changes per provider and new state',
  labelNames: ['provider', 'state'] as const,
  registers: [registry],
});

export const bulkheadInUse = new client.Gauge({
  name: METRICS.bulkheadInUse.name,
  help: 'Concurrent provider calls in flight per provider (bulkhead slots in use)',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const bulkheadLimit = new client.Gauge({
  name: METRICS.bulkheadLimit.name,
  help: 'Bulkhead concurrency limit per provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});

export const attemptsPerOrder = new client.Histogram({
  name: METRICS.attemptsPerOrder.name,
  help: 'Provider attempts needed to settle an order',
  buckets: [1, 2, 3, 4, 5, 8, 13],
  registers: [registry],
});

export const paymentsSettled = new client.Counter({
  name: METRICS.paymentsSettled.name,
  help: 'Orders settled by the payment workers, by outcome (paid, payment_failed) and provider',
  labelNames: ['outcome', 'provider'] as const,
  registers: [registry],
});

export const paymentJobDuration = new client.Histogram({
  name: METRICS.paymentJobDuration.name,
  help: 'Payment job processing time by result (settled, retry_later, skipped)',
  labelNames: ['result'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const retryBudgetExhausted = new client.Counter({
  name: METRICS.retryBudgetExhausted.name,
  help: 'Retries skipped because the retry budget was spent, per provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});

/** The queue the queue gauges read while this process runs payment workers (none otherwise). */
let watchedQueue: JobQueue | undefined;

/** Makes the payment queue gauges read this queue (undefined: stop reading). */
export function watchPaymentQueue(queue: JobQueue | undefined): void {
  watchedQueue = queue;
}

new client.Gauge({
  name: METRICS.paymentQueueJobs.name,
  help: 'Payment jobs by queue (payment-charge, payment-charge-dead) and state',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    if (!watchedQueue) return;
    this.reset();
    try {
      // Zeros too: "no jobs waiting" is a value an alert must be able to see.
      for (const s of await watchedQueue.stats([PAYMENT_QUEUES.charge, PAYMENT_QUEUES.deadLetter])) this.set({ queue: s.queue, state: s.state }, s.count);
    } catch { /* the queue schema may not exist yet */ }
  },
});

new client.Gauge({
  name: METRICS.paymentQueueOldestJobAge.name,
  help: 'Age of the oldest payment job not yet completed (created, retry or active)',
  registers: [registry],
  async collect() {
    if (!watchedQueue) return;
    try {
      this.set(await watchedQueue.oldestJobAge(PAYMENT_QUEUES.charge));
    } catch { /* not ready */ }
  },
});
