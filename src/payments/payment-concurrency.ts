// How many payment jobs a payments process works at once. A provider call holds a worker for its whole
// latency, so by Little's law the same throughput at a higher latency needs proportionally more calls in
// flight: the base concurrency (paymentWorkerConcurrency) is sized for calls up to providerSlowCallMs, and
// beyond it grows with the provider's latency (the same jobs per second, so the same CPU), never past the
// bulkhead (providerMaxConcurrent calls per provider account) nor past what the provider's rate limit
// allows at that latency (providerRateLimitPerSecond x latency: more calls in flight than that would only
// be refused with 429s), nor below the base unless those bounds are below it. A slow provider gets more
// calls in flight, not an open breaker.
import type { PaymentsConfig } from './payments-config.ts';

export interface ConcurrencyBounds {
  /** Jobs at once while calls take at most referenceLatencyMs (paymentWorkerConcurrency). */
  base: number;
  /** The latency the base is sized for (providerSlowCallMs). */
  referenceLatencyMs: number;
  /** The bulkhead: calls in flight per provider account (providerMaxConcurrent). */
  max: number;
  /** Provider calls per second this process may make (providerRateLimitPerSecond); 0 or absent: no limit. */
  rateLimitPerSecond?: number;
}

/** The bounds from the payments settings. */
export function paymentConcurrencyBounds(c: Pick<PaymentsConfig, 'paymentWorkerConcurrency' | 'providerSlowCallMs' | 'providerMaxConcurrent' | 'providerRateLimitPerSecond'>): ConcurrencyBounds {
  return { base: c.paymentWorkerConcurrency, referenceLatencyMs: c.providerSlowCallMs, max: c.providerMaxConcurrent, rateLimitPerSecond: c.providerRateLimitPerSecond };
}

/** The jobs at once for a provider latency (ms); undefined latency (no call yet): the base. */
export function paymentConcurrencyFor(latencyMs: number | undefined, b: ConcurrencyBounds): number {
  const known = latencyMs !== undefined && Number.isFinite(latencyMs) && latencyMs > 0;
  // Little's law for the rate limit: calls in flight = calls per second x seconds per call.
  const rateLimited = b.rateLimitPerSecond ? Math.floor(b.rateLimitPerSecond * (known ? latencyMs : b.referenceLatencyMs) / 1000) : Number.POSITIVE_INFINITY;
  const ceiling = Math.max(1, Math.min(b.max, rateLimited));
  const base = Math.min(b.base, ceiling);
  if (!known || latencyMs <= b.referenceLatencyMs) return base;
  return Math.min(ceiling, Math.max(base, Math.ceil(base * latencyMs / b.referenceLatencyMs)));
}
