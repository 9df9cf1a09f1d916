// Failover between provider accounts. New attempts go to the highest-priority provider whose circuit is
// not open and whose health score has not dropped; when none qualifies, the healthiest non-open one.
import type { Logger } from '../platform/observability/logger.ts';
import { StripeClient } from './stripe-client.ts';
import { ResilientProvider, type ResilienceOptions } from './provider-resilience.ts';

export interface PaymentProvider { name: string; priority: number; client: StripeClient; resilience: ResilientProvider }

export interface ProviderAccount { name: string; baseUrl: string; secretKey: string }

export const HEALTHY_SCORE = 0.5;

export class ProviderRouter {
  readonly providers: PaymentProvider[];
  #probeTimer: NodeJS.Timeout | undefined;

  constructor(accounts: ProviderAccount[], opts: ResilienceOptions, logger: Logger, probeEveryMs = 1000) {
    this.providers = accounts.map((a, i) => ({
      name: a.name, priority: i, client: new StripeClient({ baseUrl: a.baseUrl, secretKey: a.secretKey }),
      resilience: new ResilientProvider(a.name, opts, logger),
    }));
    // Recovery is detected by probes (a one-item list call), not by risking a shopper's payment.
    if (probeEveryMs > 0) {
      this.#probeTimer = setInterval(() => this.probeNow(), probeEveryMs);
      this.#probeTimer.unref();
    }
  }

  /** Probes every provider whose circuit is ready for a trial or whose health score is low. */
  probeNow(): void {
    for (const p of this.providers) {
      if (p.resilience.probeDue(HEALTHY_SCORE)) void p.resilience.probe((signal) => p.client.list({ limit: 1, signal }));
    }
  }
  get size(): number { return this.providers.length; }
  byName(name: string): PaymentProvider | undefined { return this.providers.find((p) => p.name === name); }

  pick(exclude: Set<string> = new Set()): PaymentProvider | undefined {
    const usable = this.providers.filter((p) => !exclude.has(p.name) && p.resilience.available);
    return usable.find((p) => p.resilience.health.score >= HEALTHY_SCORE)
      ?? [...usable].sort((a, b) => b.resilience.health.score - a.resilience.health.score)[0];
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
