// Resilience around every provider call (cockatiel): a bulkhead capping concurrent calls, a retry with
// jittered exponential backoff for retryable failures only (limited by a retry budget), a circuit breaker
// that counts errors and timeouts (never a slow success: a slow provider is not a failed one; the payment
// workers raise their concurrency instead), and a timeout. Breaker changes are logged and exported as metrics.
// Each provider also keeps a moving average of its successful calls' latency, which sizes the workers.
import {
  bulkhead, circuitBreaker, handleWhen, retry, timeout, ExponentialBackoff, SamplingBreaker,
  TimeoutStrategy, BrokenCircuitError, BulkheadRejectedError, TaskCancelledError, CircuitState,
  type CircuitBreakerPolicy, type BulkheadPolicy,
} from 'cockatiel';
import type { Logger } from '../platform/observability/logger.ts';
import { ProviderError } from './stripe-client.ts';
import {
  breakerStateGauge, breakerTransitions, bulkheadInUse, bulkheadLimit, providerCallDuration, providerCallsTotal,
  retryBudgetExhausted,
} from './payment-metrics.ts';

export interface ResilienceOptions {
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued: number;
  retries: number;
  /** Retries allowed as a share of calls over the last 10 s (plus a small floor), e.g. 0.2. */
  retryBudgetRatio: number;
  breakerFailureThreshold: number;
  breakerMinimumRps: number;
  breakerSamplingMs: number;
  breakerHalfOpenAfterMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  timeoutMs: 2500, maxConcurrent: 32, maxQueued: 64, retries: 2, retryBudgetRatio: 0.2,
  breakerFailureThreshold: 0.5, breakerMinimumRps: 1, breakerSamplingMs: 10_000, breakerHalfOpenAfterMs: 5_000,
};

/** A retry budget: retries may be at most `ratio` of calls in a sliding window (plus a floor). */
export class RetryBudget {
  readonly #ratio: number;
  readonly #windowMs: number;
  readonly #floorPerWindow: number;
  #calls: number[] = [];
  #retries: number[] = [];
  constructor(ratio: number, windowMs = 10_000, floorPerWindow = 10) {
    this.#ratio = ratio; this.#windowMs = windowMs; this.#floorPerWindow = floorPerWindow;
  }
  #trim(now: number) {
    const cutoff = now - this.#windowMs;
    while (this.#calls.length && this.#calls[0]! < cutoff) this.#calls.shift();
    while (this.#retries.length && this.#retries[0]! < cutoff) this.#retries.shift();
  }
  recordCall(now = Date.now()) { this.#trim(now); this.#calls.push(now); }
  /** Takes one retry from the budget; false when the budget is spent. */
  tryRetry(now = Date.now()): boolean {
    this.#trim(now);
    if (this.#retries.length >= this.#floorPerWindow + this.#calls.length * this.#ratio) return false;
    this.#retries.push(now);
    return true;
  }
}

/** Success ratio over the last N calls; failover also moves away from a provider whose score drops. */
export class HealthScore {
  readonly #window: boolean[] = [];
  readonly #size: number;
  constructor(size = 20) { this.#size = size; }
  record(ok: boolean) { this.#window.push(ok); if (this.#window.length > this.#size) this.#window.shift(); }
  reset() { this.#window.length = 0; }
  get score(): number {
    if (this.#window.length < 5) return 1;
    return this.#window.filter(Boolean).length / this.#window.length;
  }
}

export type BreakerStateName = 'closed' | 'open' | 'half_open' | 'isolated';

export class ResilientProvider {
  readonly name: string;
  readonly health = new HealthScore();
  readonly #opts: ResilienceOptions;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #bulkhead: BulkheadPolicy;
  readonly #budget: RetryBudget;
  readonly #logger: Logger;
  #openedAt = 0;
  #probing = false;
  /** Exponentially weighted moving average of successful calls' latency (ms); undefined before the first. */
  #latencyMs: number | undefined;

  constructor(name: string, opts: ResilienceOptions, logger: Logger) {
    this.name = name;
    this.#opts = opts;
    this.#logger = logger;
    this.#budget = new RetryBudget(opts.retryBudgetRatio);
    this.#bulkhead = bulkhead(opts.maxConcurrent, opts.maxQueued);
    this.#breaker = circuitBreaker(
      handleWhen((err) => (err instanceof ProviderError && err.retryable) || err instanceof TaskCancelledError),
      {
        halfOpenAfter: opts.breakerHalfOpenAfterMs,
        // One trial call decides half-open (the health probe, see probeDue), so no shopper's payment is the
        // second trial; a failed trial reopens. cockatiel's default, spelled out since 4.0 made it an option.
        halfOpenSampling: { calls: 1, threshold: 0 },
        breaker: new SamplingBreaker({ threshold: opts.breakerFailureThreshold, duration: opts.breakerSamplingMs, minimumRps: opts.breakerMinimumRps }),
      },
    );
    breakerStateGauge.set({ provider: name }, 0);
    bulkheadLimit.set({ provider: name }, opts.maxConcurrent);
    this.#breaker.onBreak(() => { this.#openedAt = Date.now(); });
    // A provider that has just proven itself healthy again starts with a clean slate.
    this.#breaker.onReset(() => this.health.reset());
    this.#breaker.onStateChange((state) => {
      const label = stateName(state);
      breakerStateGauge.set({ provider: name }, label === 'open' || label === 'isolated' ? 2 : label === 'half_open' ? 1 : 0);
      breakerTransitions.inc({ provider: name, state: label });
      this.#logger.warn({ provider: name, breaker: label }, `payment provider ${name}: circuit ${label}`);
    });
  }

  get breakerState(): BreakerStateName { return stateName(this.#breaker.state); }
  get inFlight(): number { return this.#opts.maxConcurrent - this.#bulkhead.executionSlots; }
  get available(): boolean { return this.breakerState !== 'open' && this.breakerState !== 'isolated'; }
  /** The recent latency of successful calls (ms; each call weighs 1/5), undefined before any. */
  get latencyMs(): number | undefined { return this.#latencyMs; }

  /**
   * Whether a health probe is due: the circuit is open and its half-open delay has passed (the probe is
   * the half-open trial, so no shopper's payment is used as the test), or the circuit is closed but the
   * health score is low (probes add fresh samples so a recovered provider wins traffic back).
   */
  probeDue(healthyScore: number): boolean {
    if (this.#probing) return false;
    const state = this.breakerState;
    if (state === 'open') return Date.now() - this.#openedAt >= this.#opts.breakerHalfOpenAfterMs;
    return state === 'closed' && this.health.score < healthyScore;
  }

  /** Runs a cheap, side-effect-free call through the breaker (no retries). Never throws. */
  async probe(fn: (signal: AbortSignal) => Promise<unknown>): Promise<boolean> {
    this.#probing = true;
    try {
      await this.execute('probe', fn, { noRetry: true });
      return true;
    } catch {
      return false;
    } finally {
      this.#probing = false;
    }
  }

  /**
   * Runs one provider operation under every policy. `bypassBreaker` is for resolving an in-doubt attempt:
   * the answer is needed to avoid a double charge, so it is asked even while the circuit is open (still
   * within the bulkhead and a timeout).
   */
  async execute<T>(
    operation: string,
    fn: (signal: AbortSignal) => Promise<T>,
    opts: { classify?: (r: T) => string; bypassBreaker?: boolean; timeoutMs?: number; noRetry?: boolean } = {},
  ): Promise<T> {
    const timeoutPolicy = timeout(opts.timeoutMs ?? this.#opts.timeoutMs, TimeoutStrategy.Aggressive);
    let timedOut = false;
    timeoutPolicy.onTimeout(() => { timedOut = true; });
    const budget = this.#budget;
    const providerName = this.name;
    const retryPolicy = retry(handleWhen((err) => err instanceof ProviderError && err.retryable), {
      maxAttempts: opts.bypassBreaker || opts.noRetry ? 0 : this.#opts.retries,
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }),
    });
    // Whether any try may have reached the provider: if so, a final failure leaves the outcome in doubt
    // even when the last try itself was never sent (circuit opened, budget spent).
    let anySent = false;
    const timed = async (signal: AbortSignal): Promise<T> => {
      budget.recordCall();
      timedOut = false;
      const sentBefore = anySent;
      anySent = true;
      const started = performance.now();
      bulkheadInUse.set({ provider: providerName }, this.inFlight);
      try {
        const result = await timeoutPolicy.execute(({ signal: s }) => fn(s), signal);
        const seconds = (performance.now() - started) / 1000;
        const outcome = opts.classify?.(result) ?? 'ok';
        providerCallDuration.observe({ provider: providerName, operation, outcome }, seconds);
        providerCallsTotal.inc({ provider: providerName, operation, outcome });
        // An answer is health, however slow it came: failing over from a slow, succeeding provider would
        // only move the load (decline or not, the provider answered).
        this.health.record(true);
        this.#latencyMs = this.#latencyMs === undefined ? seconds * 1000 : this.#latencyMs * 0.8 + seconds * 200;
        return result;
      } catch (caught) {
        let err = caught;
        if (timedOut) err = new TaskCancelledError('timeout');
        const seconds = (performance.now() - started) / 1000;
        const outcome = err instanceof TaskCancelledError ? 'timeout' : err instanceof ProviderError && !err.sent ? 'not_sent' : 'error';
        providerCallDuration.observe({ provider: providerName, operation, outcome }, seconds);
        providerCallsTotal.inc({ provider: providerName, operation, outcome });
        this.health.record(false);
        if (err instanceof ProviderError && !err.sent) anySent = sentBefore; // e.g. connection refused
        if (err instanceof TaskCancelledError) {
          throw new ProviderError(`${operation}: timed out after ${opts.timeoutMs ?? this.#opts.timeoutMs} ms`, { retryable: true, sent: true });
        }
        throw err;
      } finally {
        bulkheadInUse.set({ provider: providerName }, this.inFlight);
      }
    };
    const attempt = async (signal: AbortSignal): Promise<T> => {
      try {
        return opts.bypassBreaker ? await timed(signal) : await this.#breaker.execute(({ signal: s }) => timed(s), signal);
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          providerCallsTotal.inc({ provider: providerName, operation, outcome: 'rejected' });
          throw new ProviderError(`${operation}: circuit open for ${providerName}`, { retryable: true, sent: false });
        }
        throw err;
      }
    };
    try {
      return await this.#bulkhead.execute(() => retryPolicy.execute(async ({ attempt: n, signal }) => {
        if (n > 0 && !budget.tryRetry()) {
          retryBudgetExhausted.inc({ provider: providerName });
          throw new ProviderError(`${operation}: retry budget exhausted for ${providerName}`, { retryable: false, sent: false });
        }
        return attempt(signal);
      }));
    } catch (err) {
      if (err instanceof BulkheadRejectedError) {
        providerCallsTotal.inc({ provider: providerName, operation, outcome: 'rejected' });
        throw new ProviderError(`${operation}: bulkhead full for ${providerName}`, { retryable: true, sent: false });
      }
      if (err instanceof ProviderError && !err.sent && anySent) {
        throw new ProviderError(err.message, { retryable: err.retryable, sent: true, status: err.status, stripeType: err.stripeType, stripeCode: err.stripeCode });
      }
      throw err;
    }
  }
}

function stateName(state: CircuitState): BreakerStateName {
  switch (state) {
    case CircuitState.Open: return 'open';
    case CircuitState.HalfOpen: return 'half_open';
    case CircuitState.Isolated: return 'isolated';
    default: return 'closed';
  }
}

