// Failover between provider accounts. New attempts go to the highest-priority provider whose circuit is
// not open and whose health score has not dropped; when none qualifies, the healthiest non-open one.
// When that choice moves (a failover, or back to a recovered provider) the router says so once per move,
// not per call: the payments module records it as a change event, the shop's evidence of an automatic
// mitigation.
import type { Logger } from '../platform/observability/logger.ts';
import { StripeClient } from './stripe-client.ts';
import { ResilientProvider, type ResilienceOptions } from './provider-resilience.ts';

export interface PaymentProvider { name: string; priority: number; client: StripeClient; resilience: ResilientProvider }

export interface ProviderAccount { name: string; baseUrl: string; secretKey: string }

export const HEALTHY_SCORE = 0.5;
/**
 * The score a provider of higher priority than the one new attempts go to must reach to win them back.
 * Failing over below HEALTHY_SCORE and back at the same score made a provider that fails about half its
 * calls flap between the two every few seconds; back only once clearly healthy, it moves once each way.
 */
export const RECOVERED_SCORE = 0.8;

/** New attempts now go to another provider: `back` when to a provider of higher priority (it recovered). */
export interface ProviderSwitch { from: string; to: string; back: boolean; reason: string }

/**
 * Why new attempts left `from` for `to` (a healthy provider: moves among unhealthy ones are not reported),
 * in words: the provider that recovered, else the one that failed (back to a provider not yet recovered
 * when the one in use failed too).
 */
function switchReason(from: PaymentProvider, to: PaymentProvider): string {
  const circuit = (p: PaymentProvider) => `circuit ${p.resilience.breakerState.replace('_', '-')}`;
  const score = (p: PaymentProvider) => p.resilience.health.score.toFixed(2);
  if (to.priority < from.priority && to.resilience.health.score >= RECOVERED_SCORE) return `${to.name} healthy again (${circuit(to)}, health score ${score(to)})`;
  return !from.resilience.available ? `${from.name} ${circuit(from)}` : `${from.name} health score ${score(from)} below ${HEALTHY_SCORE}`;
}

export class ProviderRouter {
  readonly providers: PaymentProvider[];
  #probeTimer: NodeJS.Timeout | undefined;
  /** Where new attempts went at the last look: the primary until a look says otherwise. */
  #routedTo: PaymentProvider | undefined;
  readonly #onSwitch: ((change: ProviderSwitch) => void) | undefined;

  constructor(accounts: ProviderAccount[], opts: ResilienceOptions, logger: Logger, probeEveryMs = 1000, onSwitch?: (change: ProviderSwitch) => void) {
    this.providers = accounts.map((a, i) => ({
      name: a.name, priority: i, client: new StripeClient({ baseUrl: a.baseUrl, secretKey: a.secretKey }),
      resilience: new ResilientProvider(a.name, opts, logger),
    }));
    this.#routedTo = this.providers[0];
    this.#onSwitch = onSwitch;
    // Recovery is detected by probes (a one-item list call), not by risking a shopper's payment.
    if (probeEveryMs > 0) {
      this.#probeTimer = setInterval(() => this.probeNow(), probeEveryMs);
      this.#probeTimer.unref();
    }
  }

  /** Probes every provider whose circuit is ready for a trial or whose health score is low. */
  probeNow(): void {
    for (const p of this.providers) {
      // probes keep sampling a provider that must recover further to win the attempts back
      if (p.resilience.probeDue(this.#scoreToWin(p))) void p.resilience.probe((signal) => p.client.list({ limit: 1, signal }));
    }
    // A look without a payment: a recovery the probes proved is reported even when no shopper is paying.
    this.pick();
  }
  get size(): number { return this.providers.length; }
  byName(name: string): PaymentProvider | undefined { return this.providers.find((p) => p.name === name); }

  /** The score `p` needs to take new attempts: more for a provider of higher priority than the current one (it failed; RECOVERED_SCORE). */
  #scoreToWin(p: PaymentProvider): number {
    return this.#routedTo && p.priority < this.#routedTo.priority ? RECOVERED_SCORE : HEALTHY_SCORE;
  }

  pick(exclude: Set<string> = new Set()): PaymentProvider | undefined {
    const usable = this.providers.filter((p) => !exclude.has(p.name) && p.resilience.available);
    const picked = usable.find((p) => p.resilience.health.score >= this.#scoreToWin(p))
      ?? [...usable].sort((a, b) => b.resilience.health.score - a.resilience.health.score)[0];
    // Only an unrestricted pick is the router's choice (a job skipping a provider that refused it is not);
    // none usable is no choice either, so the next provider to become usable is the switch. While no
    // provider is healthy the healthiest takes each attempt, and which one that is changes with every
    // answer and every circuit that opens or half-opens (with every provider down, several times a
    // second across the payments processes): no switch is reported until a provider is healthy again.
    const amongDegraded = picked !== undefined && picked.resilience.health.score < HEALTHY_SCORE;
    if (exclude.size === 0 && picked && picked !== this.#routedTo && !amongDegraded) this.#switchTo(picked);
    return picked;
  }

  #switchTo(to: PaymentProvider): void {
    const from = this.#routedTo!;
    this.#routedTo = to;
    this.#onSwitch?.({ from: from.name, to: to.name, back: to.priority < from.priority, reason: switchReason(from, to) });
  }

  status() {
    return this.providers.map((p) => ({
      name: p.name, priority: p.priority, baseUrl: p.client.baseUrl, breaker: p.resilience.breakerState,
      healthScore: Number(p.resilience.health.score.toFixed(3)), inFlight: p.resilience.inFlight,
    }));
  }

  async close(): Promise<void> {
    clearInterval(this.#probeTimer);
    await Promise.all(this.providers.map((p) => p.client.close()));
  }
}
