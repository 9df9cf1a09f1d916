// What `mode: auto` steers by, measured in one storefront replica: the p99 of its shopper requests over the
// last few seconds (requests the room held are not counted: a waiting page is fast and says nothing of
// the shop) and its event-loop utilisation between two synchronisations. A short window, so an overload
// shows within a second or two rather than after a long average has moved.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Latencies kept at most (a busy replica's last seconds); older ones are dropped first. */
const MAX_SAMPLES = 20_000;
/** Fewer requests than this in the window make no p99: a handful of cold first requests is not a trend. */
const MIN_SAMPLES = 10;

export class ShopLatency {
  readonly windowMs: number;
  #at: number[] = [];
  #ms: number[] = [];
  #elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(windowMs = 5000) {
    this.windowMs = windowMs;
  }

  record(ms: number, now: number): void {
    this.#at.push(now);
    this.#ms.push(ms);
    if (this.#at.length > MAX_SAMPLES) { this.#at.splice(0, this.#at.length - MAX_SAMPLES); this.#ms.splice(0, this.#ms.length - MAX_SAMPLES); }
  }

  /** p99 of the requests of the last windowMs, or null when there were too few to tell. */
  p99(now: number): number | null {
    let drop = 0;
    while (drop < this.#at.length && now - this.#at[drop]! > this.windowMs) drop++;
    if (drop) { this.#at.splice(0, drop); this.#ms.splice(0, drop); }
    if (this.#ms.length < MIN_SAMPLES) return null;
    const sorted = Float64Array.from(this.#ms).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  }

  /** Starts the utilisation anew (at start, so the busy start-up itself is not counted). */
  resetEventLoopUtilization(): void {
    this.#elu = performance.eventLoopUtilization();
  }

  /** Event-loop utilisation since the last call (0..1). */
  eventLoopUtilization(): number {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, this.#elu);
    this.#elu = now;
    return delta.utilization;
  }
}
