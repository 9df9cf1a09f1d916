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
  // A ring of the newest MAX_SAMPLES requests: recording is one store, whatever the rate. (An array
  // trimmed from its front moved every sample on each request once full: about 18 µs a request at
  // 11,000 a second, more than the rest of the room's hot path.)
  readonly #at = new Float64Array(MAX_SAMPLES);
  readonly #ms = new Float64Array(MAX_SAMPLES);
  #next = 0;
  #count = 0;
  #elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(windowMs = 5000) {
    this.windowMs = windowMs;
  }

  record(ms: number, now: number): void {
    this.#at[this.#next] = now;
    this.#ms[this.#next] = ms;
    this.#next = (this.#next + 1) % MAX_SAMPLES;
    if (this.#count < MAX_SAMPLES) this.#count++;
  }

  /** p99 of the requests of the last windowMs, or null when there were too few to tell. */
  p99(now: number): number | null {
    const inWindow = new Float64Array(this.#count);
    let n = 0;
    for (let i = 0; i < this.#count; i++) {
      const at = (this.#next - 1 - i + MAX_SAMPLES) % MAX_SAMPLES;
      // Newest first: the first one too old ends the window.
      if (now - this.#at[at]! > this.windowMs) break;
      inWindow[n++] = this.#ms[at]!;
    }
    if (n < MIN_SAMPLES) return null;
    const sorted = inWindow.subarray(0, n).sort();
    // Nearest rank, but never the single slowest request: under 100 requests the nearest-rank p99 is the
    // maximum, so one cold or stalled request among a quiet shop's few engaged the room for shoppers a
    // queue cannot help. At least two requests this slow; from 100 requests on, the rank is that anyway.
    return sorted[Math.min(n - 2, Math.ceil(0.99 * n) - 1)]!;
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
