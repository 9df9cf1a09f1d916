// Multiwindow, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs"): an alert fires when
// the error budget burns faster than `burnRate` over both a long window (it matters) and a short one (it
// is still happening). Windows are the workbook's, multiplied by a scale for a demo-sized shop.
import type { BurnWindow, SloDefinition } from './control-config.ts';

export interface WindowCounts { total: number; bad: number }

export interface BurnEvaluation {
  journey: string;
  objective: 'availability' | 'latency';
  window: BurnWindow;
  longSeconds: number;
  shortSeconds: number;
  longBurn: number;
  shortBurn: number;
  firing: boolean;
}

/** How many times faster than allowed the budget burns: bad share / (1 - objective). */
export function burnRate(c: WindowCounts, objective: number): number {
  if (!(c.total > 0)) return 0;
  const budget = 1 - objective;
  return budget > 0 ? c.bad / c.total / budget : c.bad > 0 ? Infinity : 0;
}

/**
 * counts(objective, seconds): good/bad events of the journey over the last `seconds`.
 * minEvents: a short window with fewer events than this never fires (one slow request is not a page).
 */
export function evaluateBurn(
  slo: SloDefinition,
  windows: readonly BurnWindow[],
  scale: number,
  counts: (objective: 'availability' | 'latency', seconds: number) => WindowCounts,
  minEvents = 5,
): BurnEvaluation[] {
  const out: BurnEvaluation[] = [];
  for (const objective of ['availability', 'latency'] as const) {
    const target = objective === 'availability' ? slo.availability : slo.latency.objective;
    for (const w of windows) {
      const longSeconds = Math.max(2, Math.round(w.longSeconds * scale));
      const shortSeconds = Math.max(1, Math.round(w.shortSeconds * scale));
      const long = counts(objective, longSeconds);
      const short = counts(objective, shortSeconds);
      const longBurn = burnRate(long, target);
      const shortBurn = burnRate(short, target);
      out.push({
        journey: slo.journey, objective, window: w, longSeconds, shortSeconds, longBurn, shortBurn,
        firing: short.total >= minEvents && longBurn >= w.burnRate && shortBurn >= w.burnRate,
      });
    }
  }
  return out;
}
