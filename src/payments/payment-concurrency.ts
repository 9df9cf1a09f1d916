// How many payment jobs a payments process works at once. A provider call holds a worker for its whole
// latency, so by Little's law the same throughput at a higher latency needs proportionally more calls in
// flight: the base concurrency (paymentWorkerConcurrency) is sized for calls up to providerSlowCallMs, and
// beyond it grows with the provider's latency, never past the bulkhead (providerMaxConcurrent calls per
// provider account), nor below the base. A slow provider gets more calls in flight, not an open breaker.

export interface ConcurrencyBounds {
  /** Jobs at once while calls take at most referenceLatencyMs (paymentWorkerConcurrency). */
  base: number;
  /** The latency the base is sized for (providerSlowCallMs). */
  referenceLatencyMs: number;
  /** The bulkhead: calls in flight per provider account (providerMaxConcurrent). */
  max: number;
}

/** The jobs at once for a provider latency (ms); undefined latency (no call yet): the base. */
export function paymentConcurrencyFor(latencyMs: number | undefined, b: ConcurrencyBounds): number {
  const ceiling = Math.max(1, b.max);
  const base = Math.min(b.base, ceiling);
  if (latencyMs === undefined || !Number.isFinite(latencyMs) || latencyMs <= b.referenceLatencyMs) return base;
  return Math.min(ceiling, Math.max(base, Math.ceil(base * latencyMs / b.referenceLatencyMs)));
}
