// An adaptive concurrency limit for one process, with request classes shed in order (decision 0017).
//
// The limit is the number of requests the process works on at once. It follows Netflix's Gradient2Limit
// (concurrency-limits-core, limit/Gradient2Limit.java): every sampling window compares the window's
// round-trip times with a long-term baseline, and the limit shrinks when requests take longer than the
// baseline allows (a queue is forming inside the process) and grows by a little headroom when they do not.
// Four changes, each for a failure seen in Gradient2 or in a shop's traffic:
// - Mix-adjusted: each route (or class) keeps its own baseline, and a window compares the time its requests
//   took with the time the same requests take on a quiet process. More checkouts in the mix (slower than a
//   cached product page) is not mistaken for a queue.
// - The baseline stops learning while the limit is shedding (Gradient2 learns all the time, so under an
//   hour-long surge the "normal" latency creeps up and the limit with it), except at the minimum limit,
//   where what is slow cannot be the process's own queue (a slower database, slower code) and must be
//   learnt or the limit would stay at the minimum for ever.
// - Headroom is added only when the window shows no queue (Netflix PR #134): adding it at a gradient of
//   0.8 lets the limit creep up under a steady overload. The headroom is √limit, as in Envoy's gradient
//   controller, so the limit recovers in tens of windows rather than hundreds.
// - A window with a request dropped for overload (a pool wait past its deadline, a timeout) backs off as
//   far as one window may (gradient 0.5); the dropped request's own time says nothing and is not sampled.
//
// Classes follow Google SRE's criticalities. Below the limit everything is admitted; each lower class
// stops being admitted at its own fraction of the limit, so work is refused in the order sheddable,
// sheddable_plus, critical, and a critical_plus request (checkout, order status, paying again) counts only
// critical_plus requests against the whole limit: it is refused only when checkouts alone fill it, that is,
// when nothing else is left to shed (lower work already in flight drains, as no more of it is admitted).
//
// Pure logic: the caller passes the time in (milliseconds, any monotonic origin) and the measured round trip,
// so tests are deterministic and nothing here sets a timer.

export const REQUEST_CLASSES = ['critical_plus', 'critical', 'sheddable_plus', 'sheddable'] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

/**
 * How a request ended, for the limit: `success` is a latency sample; `dropped` failed because something
 * was overloaded (a timeout, a pool wait past its deadline) and makes the window back off; `ignore` frees
 * the slot and says nothing (a client that went away, a long poll).
 */
export type ReleaseOutcome = 'success' | 'dropped' | 'ignore';

export interface AdaptiveConcurrencyOptions {
  /** The limit before the first window closes. */
  initialLimit: number;
  /** The limit never goes below this, however slow requests get (Envoy's min_concurrency_limit). */
  minLimit: number;
  /** Nor above this, however fast they are. */
  maxLimit: number;
  /** Share of each window's estimate taken into the limit (Gradient2's smoothing, 0.2). */
  smoothing: number;
  /** Requests may take this many times their baseline before the limit shrinks (Gradient2's rttTolerance, 1.5). */
  rttTolerance: number;
  /** A window closes once this long has passed and it holds minWindowSamples samples (or a drop). */
  windowMs: number;
  minWindowSamples: number;
  /** A window still short of samples after this many windowMs is discarded (traffic too thin to tell). */
  staleWindowFactor: number;
  /** Baselines are exponential averages over this many windows (Gradient2's longWindow, 600 windows). */
  baselineWindows: number;
  /** The first windows of a baseline are a plain average (ExpAvgMeasurement's warm-up, 10). */
  baselineWarmupWindows: number;
  /** Samples faster than this are not latency but a short-circuit (Netflix's minRttThreshold, 100 µs). */
  minSampleRttMs: number;
  /** Most distinct baseline keys kept; further keys share their class's baseline. */
  maxBaselineKeys: number;
  /** Fraction of the limit up to which each lower class is admitted (counting every class in flight). */
  classCeilings: Record<Exclude<RequestClass, 'critical_plus'>, number>;
  /** Retry-After told to a shed request, by class: the less important, the later. */
  retryAfterSeconds: Record<RequestClass, number>;
}

export const DEFAULT_ADAPTIVE_CONCURRENCY: Readonly<AdaptiveConcurrencyOptions> = Object.freeze({
  initialLimit: 20,
  minLimit: 10,
  maxLimit: 1000,
  smoothing: 0.2,
  rttTolerance: 1.5,
  windowMs: 500,
  minWindowSamples: 10,
  staleWindowFactor: 10,
  baselineWindows: 1200, // ten minutes of 500 ms windows, as Gradient2's 600 windows of one second
  baselineWarmupWindows: 10,
  minSampleRttMs: 0.1,
  maxBaselineKeys: 256,
  classCeilings: Object.freeze({ critical: 0.9, sheddable_plus: 0.8, sheddable: 0.6 }),
  retryAfterSeconds: Object.freeze({ critical_plus: 1, critical: 2, sheddable_plus: 5, sheddable: 10 }),
});

export interface AdmissionToken {
  readonly admitted: true;
  readonly requestClass: RequestClass;
  /** Frees the slot and records the sample. A second call does nothing (abort and finish both firing). */
  release(now: number, rttMs: number, outcome?: ReleaseOutcome): void;
}

export interface ConcurrencyRejection {
  readonly admitted: false;
  readonly requestClass: RequestClass;
  /** `shed`: refused to keep room for more important classes; `limit`: critical_plus alone fills the limit. */
  readonly reason: 'shed' | 'limit';
  readonly retryAfterSeconds: number;
  readonly limit: number;
  readonly inflight: number;
}

export interface LimitWindowSummary {
  /** When it closed (the caller's clock). */
  at: number;
  samples: number;
  drops: number;
  rejected: number;
  maxInflight: number;
  /** Time the window's requests took ÷ time the same requests take on their baselines (null: no baseline yet). */
  rttRatio: number | null;
  /** null when the limit was held: traffic too light to say anything (app-limited) or no baseline yet. */
  gradient: number | null;
  limitBefore: number;
  limitAfter: number;
}

export interface AdaptiveConcurrencySnapshot {
  /** Requests admitted at once at most (critical_plus may borrow slots from lower work in flight). */
  limit: number;
  /** The limit before rounding down, as the algorithm holds it. */
  estimatedLimit: number;
  inflight: number;
  inflightByClass: Record<RequestClass, number>;
  /** Admitted at most at once, by class, at the current limit. */
  capacityByClass: Record<RequestClass, number>;
  admittedTotal: Record<RequestClass, number>;
  shedTotal: Record<RequestClass, number>;
  windowsClosed: number;
  lastWindow: LimitWindowSummary | null;
  baselineKeys: number;
}

interface Baseline {
  /** Average round trip of this key's requests on a process without a queue (ms). */
  rttMs: number;
  /** Windows learnt so far (warm-up counts them). */
  windows: number;
  /** This window's samples of the key. */
  windowSum: number;
  windowCount: number;
}

const perClass = <T>(value: T): Record<RequestClass, T> => ({ critical_plus: value, critical: value, sheddable_plus: value, sheddable: value });

export class AdaptiveConcurrencyLimiter {
  readonly options: Readonly<AdaptiveConcurrencyOptions>;
  #limit: number;
  #inflight = 0;
  readonly #inflightByClass = perClass(0);
  readonly #admittedTotal = perClass(0);
  readonly #shedTotal = perClass(0);
  readonly #baselines = new Map<string, Baseline>();
  /** Baselines with samples in the open window. */
  readonly #touched = new Set<Baseline>();
  #windowStart: number | null = null;
  #windowSamples = 0;
  #windowDrops = 0;
  #windowRejected = 0;
  #windowMaxInflight = 0;
  #windowsClosed = 0;
  #lastWindow: LimitWindowSummary | null = null;

  constructor(options: Partial<AdaptiveConcurrencyOptions> = {}) {
    const o = { ...DEFAULT_ADAPTIVE_CONCURRENCY, ...options };
    o.classCeilings = { ...DEFAULT_ADAPTIVE_CONCURRENCY.classCeilings, ...options.classCeilings };
    o.retryAfterSeconds = { ...DEFAULT_ADAPTIVE_CONCURRENCY.retryAfterSeconds, ...options.retryAfterSeconds };
    const problems = optionProblems(o);
    if (problems.length) throw new Error(`adaptive concurrency options: ${problems.join('; ')}`);
    this.options = o;
    this.#limit = Math.min(o.maxLimit, Math.max(o.minLimit, o.initialLimit));
  }

  /**
   * Admits a request of `requestClass` now, or says why not. `baselineKey` (the route pattern, say) groups
   * requests that take alike; without it the class is the group. Keep keys few (route patterns, not URLs).
   */
  tryAcquire(requestClass: RequestClass, now: number, baselineKey: string = requestClass): AdmissionToken | ConcurrencyRejection {
    if (this.#windowStart === null) this.#openWindow(now);
    const capacity = this.#capacity(requestClass);
    const counted = requestClass === 'critical_plus' ? this.#inflightByClass.critical_plus : this.#inflight;
    if (counted >= capacity) {
      this.#shedTotal[requestClass]++;
      this.#windowRejected++;
      return {
        admitted: false, requestClass, reason: requestClass === 'critical_plus' ? 'limit' : 'shed',
        retryAfterSeconds: this.options.retryAfterSeconds[requestClass], limit: Math.floor(this.#limit), inflight: this.#inflight,
      };
    }
    this.#inflight++;
    this.#inflightByClass[requestClass]++;
    this.#admittedTotal[requestClass]++;
    if (this.#inflight > this.#windowMaxInflight) this.#windowMaxInflight = this.#inflight;
    const baseline = this.#baselineFor(baselineKey, requestClass);
    let released = false;
    return {
      admitted: true, requestClass,
      release: (at: number, rttMs: number, outcome: ReleaseOutcome = 'success') => {
        if (released) return;
        released = true;
        this.#inflight--;
        this.#inflightByClass[requestClass]--;
        this.#sample(at, baseline, rttMs, outcome);
      },
    };
  }

  snapshot(): AdaptiveConcurrencySnapshot {
    const capacityByClass = perClass(0);
    for (const c of REQUEST_CLASSES) capacityByClass[c] = this.#capacity(c);
    return {
      limit: Math.floor(this.#limit), estimatedLimit: this.#limit, inflight: this.#inflight,
      inflightByClass: { ...this.#inflightByClass }, capacityByClass,
      admittedTotal: { ...this.#admittedTotal }, shedTotal: { ...this.#shedTotal },
      windowsClosed: this.#windowsClosed, lastWindow: this.#lastWindow, baselineKeys: this.#baselines.size,
    };
  }

  #capacity(requestClass: RequestClass): number {
    const whole = Math.floor(this.#limit);
    return requestClass === 'critical_plus' ? whole : Math.floor(whole * this.options.classCeilings[requestClass]);
  }

  #baselineFor(key: string, requestClass: RequestClass): Baseline {
    let baseline = this.#baselines.get(key);
    if (!baseline) {
      // Past the cap a new key shares its class's baseline: memory stays bounded whatever keys arrive.
      if (this.#baselines.size >= this.options.maxBaselineKeys && key !== requestClass) return this.#baselineFor(requestClass, requestClass);
      baseline = { rttMs: 0, windows: 0, windowSum: 0, windowCount: 0 };
      this.#baselines.set(key, baseline);
    }
    return baseline;
  }

  #openWindow(now: number): void {
    this.#windowStart = now;
    this.#windowSamples = 0;
    this.#windowDrops = 0;
    this.#windowRejected = 0;
    // The requests already in flight are part of the new window's concurrency.
    this.#windowMaxInflight = this.#inflight;
    for (const b of this.#touched) { b.windowSum = 0; b.windowCount = 0; }
    this.#touched.clear();
  }

  #sample(now: number, baseline: Baseline, rttMs: number, outcome: ReleaseOutcome): void {
    if (outcome === 'dropped') this.#windowDrops++;
    else if (outcome === 'success' && Number.isFinite(rttMs) && rttMs >= this.options.minSampleRttMs) {
      baseline.windowSum += rttMs;
      baseline.windowCount++;
      this.#touched.add(baseline);
      this.#windowSamples++;
    }
    const start = this.#windowStart ?? now;
    const age = now - start;
    if (age < this.options.windowMs) return;
    if (this.#windowSamples >= this.options.minWindowSamples || this.#windowDrops > 0) this.#closeWindow(now);
    else if (age >= this.options.windowMs * this.options.staleWindowFactor) this.#openWindow(now);
  }

  #closeWindow(now: number): void {
    const o = this.options;
    const before = this.#limit;
    // Time taken by the window's requests against the time the same requests take on their baselines.
    let taken = 0;
    let expected = 0;
    for (const b of this.#touched) {
      if (b.windows === 0) continue;
      taken += b.windowSum;
      expected += b.windowCount * b.rttMs;
    }
    const rttRatio = expected > 0 ? taken / expected : null;
    // App-limited: with under half the limit in use, the latency says nothing about the limit (Gradient2).
    const appLimited = this.#windowMaxInflight < before / 2;
    let gradient: number | null = null;
    if (!appLimited) {
      if (this.#windowDrops > 0) gradient = 0.5;
      else if (rttRatio !== null) gradient = Math.max(0.5, Math.min(1, o.rttTolerance / rttRatio));
    }
    if (gradient !== null) {
      const headroom = gradient >= 1 ? Math.sqrt(before) : 0;
      const estimate = before * gradient + headroom;
      this.#limit = Math.min(o.maxLimit, Math.max(o.minLimit, before * (1 - o.smoothing) + estimate * o.smoothing));
    }
    // Learn the baselines, except from a window in which the limit was binding: its latency includes the
    // queue the limit is there to keep short. At the minimum limit there is no such queue to speak of.
    const shedding = this.#windowRejected > 0 || this.#windowDrops > 0;
    const learn = !shedding || before <= o.minLimit;
    const factor = 2 / (o.baselineWindows + 1);
    for (const b of this.#touched) {
      const windowRtt = b.windowSum / b.windowCount;
      if (b.windows < o.baselineWarmupWindows) {
        b.rttMs = (b.rttMs * b.windows + windowRtt) / (b.windows + 1);
        b.windows++;
      } else if (learn) {
        b.rttMs = b.rttMs * (1 - factor) + windowRtt * factor;
        b.windows++;
      }
      // Latency back to normal after a long overload: come down faster than the average would (Gradient2).
      if (b.rttMs / windowRtt > 2) b.rttMs *= 0.95;
    }
    this.#windowsClosed++;
    this.#lastWindow = {
      at: now, samples: this.#windowSamples, drops: this.#windowDrops, rejected: this.#windowRejected,
      maxInflight: this.#windowMaxInflight, rttRatio, gradient, limitBefore: before, limitAfter: this.#limit,
    };
    this.#openWindow(now);
  }
}

function optionProblems(o: AdaptiveConcurrencyOptions): string[] {
  const problems: string[] = [];
  const positive = (name: keyof AdaptiveConcurrencyOptions, v: number) => { if (!(Number.isFinite(v) && v > 0)) problems.push(`${name} must be > 0, got ${v}`); };
  positive('minLimit', o.minLimit);
  positive('maxLimit', o.maxLimit);
  positive('initialLimit', o.initialLimit);
  positive('windowMs', o.windowMs);
  positive('baselineWindows', o.baselineWindows);
  if (o.minLimit > o.maxLimit) problems.push(`minLimit (${o.minLimit}) must be <= maxLimit (${o.maxLimit})`);
  if (!(o.smoothing > 0 && o.smoothing <= 1)) problems.push(`smoothing must be in (0, 1], got ${o.smoothing}`);
  if (!(o.rttTolerance >= 1)) problems.push(`rttTolerance must be >= 1, got ${o.rttTolerance}`);
  if (!(Number.isInteger(o.minWindowSamples) && o.minWindowSamples >= 1)) problems.push(`minWindowSamples must be an integer >= 1, got ${o.minWindowSamples}`);
  if (!(o.staleWindowFactor >= 1)) problems.push(`staleWindowFactor must be >= 1, got ${o.staleWindowFactor}`);
  if (!(Number.isInteger(o.maxBaselineKeys) && o.maxBaselineKeys >= 1)) problems.push(`maxBaselineKeys must be an integer >= 1, got ${o.maxBaselineKeys}`);
  let previous = 1;
  for (const c of ['critical', 'sheddable_plus', 'sheddable'] as const) {
    const f = o.classCeilings[c];
    if (!(f >= 0 && f <= previous)) problems.push(`classCeilings.${c} must be in [0, ${previous}] (a class is shed no later than the class above it), got ${f}`);
    else previous = f;
  }
  for (const c of REQUEST_CLASSES) {
    const s = o.retryAfterSeconds[c];
    if (!(Number.isInteger(s) && s >= 1)) problems.push(`retryAfterSeconds.${c} must be an integer >= 1, got ${s}`);
  }
  return problems;
}
