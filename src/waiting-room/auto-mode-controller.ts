// `mode: auto`: the waiting room sizes itself from the shop's own latency (decision 0018).
//
// Cloudflare Waiting Room and Queue-it admit a number of shoppers someone chose. Here the room watches the
// storefront's measured p99 (against the browse objective, 500 ms) and its event-loop utilisation, engages
// by itself when either heads past its bound, and then steers the admission rate (new shoppers a minute):
// - pressure = the larger of p99 ÷ objective and utilisation ÷ its bound;
// - engage when pressure reaches 0.8 (heading past, not yet past), starting from the rate shoppers were
//   arriving at, cut in proportion to the overshoot;
// - engaged, once per decision interval: over the objective, cut the rate by objective ÷ p99 (a gradient,
//   at least 10%, at most half); comfortably under it (pressure below 0.6) with shoppers waiting, add a
//   fixed step (AIMD's additive increase); in between, hold: a dead band, so the rate does not hunt;
// - after a cut the next one waits two decision intervals: fewer admissions lower the load only as
//   shoppers already inside leave, and cutting again before that shows would drive the rate to its floor;
// - disengage with hysteresis: only after the queue has been empty and pressure under 0.6 for
//   disengageAfterSeconds.
// Bounded on every side: the rate stays within [minNewUsersPerMinute, the room's newUsersPerMinute], and
// the room's totalActiveUsers still caps the shoppers inside. Deterministic: the time is passed in.
import type { AutoAdmission } from './admission.ts';
import type { WaitingRoomAutoSettings } from './waiting-room-settings.ts';

export interface AutoModeTuning {
  /** Engage when pressure reaches this (fraction of the objective). */
  engageAt: number;
  /** Below this the shop has room: the rate may grow, and the room may disengage. */
  comfortableBelow: number;
  /** Seconds between two decisions on the rate. */
  decisionIntervalSeconds: number;
  /** A cut takes at most this much off (0.5: half), and at least minCut. */
  maxCut: number;
  minCut: number;
  /** Additive increase per decision, as a fraction of the room's newUsersPerMinute (at least 1 a minute). */
  increaseFraction: number;
}

export const DEFAULT_AUTO_MODE_TUNING: Readonly<AutoModeTuning> = Object.freeze({
  engageAt: 0.8,
  comfortableBelow: 0.6,
  decisionIntervalSeconds: 10,
  maxCut: 0.5,
  minCut: 0.1,
  increaseFraction: 0.05,
});

/** What the storefront measured, over a recent window (the caller's; 10 s suits the decision interval). */
export interface ShopMeasurement {
  /** ms since the epoch */
  now: number;
  /** p99 of the storefront's page and API latency; null when nothing was served. */
  p99Ms: number | null;
  /** Event-loop utilisation of the storefront process(es), 0..1 (the busiest one). */
  eventLoopUtilization: number;
  queuedUsers: number;
  /** Shoppers let in (or arrived, while not engaged) over the last minute. */
  admittedLastMinute: number;
}

export interface AutoModeDecision extends AutoAdmission {
  /** The pressure the decision was made on. */
  pressure: number;
  /** Set when this update engaged or disengaged the room: an event for the control role and the alerts. */
  transition: 'engaged' | 'disengaged' | null;
  /** Why the rate is what it is (for the ops API and the event). */
  reason: string;
}

export interface AutoModeLimits {
  auto: WaitingRoomAutoSettings;
  /** The room's newUsersPerMinute: the most auto ever admits a minute. */
  maxNewUsersPerMinute: number;
}

export class AutoModeController {
  readonly tuning: Readonly<AutoModeTuning>;
  #engaged = false;
  #rate = 0;
  #lastDecisionAt = -Infinity;
  #lastCutAt = -Infinity;
  #calmSince: number | null = null;
  #last: AutoModeDecision | null = null;

  constructor(tuning: Partial<AutoModeTuning> = {}) {
    this.tuning = { ...DEFAULT_AUTO_MODE_TUNING, ...tuning };
    const t = this.tuning;
    if (!(t.comfortableBelow > 0 && t.comfortableBelow < t.engageAt && t.engageAt <= 1)) throw new Error('auto mode: need 0 < comfortableBelow < engageAt <= 1');
    if (!(t.minCut > 0 && t.minCut <= t.maxCut && t.maxCut < 1)) throw new Error('auto mode: need 0 < minCut <= maxCut < 1');
    if (!(t.decisionIntervalSeconds > 0 && t.increaseFraction > 0)) throw new Error('auto mode: decisionIntervalSeconds and increaseFraction must be > 0');
  }

  get engaged(): boolean { return this.#engaged; }
  get lastDecision(): AutoModeDecision | null { return this.#last; }

  update(m: ShopMeasurement, limits: AutoModeLimits): AutoModeDecision {
    const t = this.tuning;
    const { auto } = limits;
    const floor = Math.min(auto.minNewUsersPerMinute, limits.maxNewUsersPerMinute);
    const ceiling = limits.maxNewUsersPerMinute;
    const latency = m.p99Ms === null ? 0 : m.p99Ms / auto.latencyObjectiveMs;
    const pressure = Math.max(latency, m.eventLoopUtilization / auto.eventLoopUtilizationMax);
    const clamp = (r: number) => Math.min(ceiling, Math.max(floor, r));
    const decide = (transition: AutoModeDecision['transition'], reason: string): AutoModeDecision => {
      this.#last = { engaged: this.#engaged, newUsersPerMinute: this.#engaged ? Math.floor(this.#rate) : ceiling, pressure, transition, reason };
      return this.#last;
    };
    const calm = pressure < t.comfortableBelow;

    if (!this.#engaged) {
      if (pressure < t.engageAt) return decide(null, `pressure ${pressure.toFixed(2)} under ${t.engageAt}: not queueing`);
      this.#engaged = true;
      // Start from the flow that brought the shop here, cut by how far past the objective it is.
      const cut = pressure > 1 ? Math.max(1 - t.maxCut, 1 / pressure) : 1;
      this.#rate = clamp(Math.max(1, m.admittedLastMinute) * cut);
      this.#lastDecisionAt = m.now;
      this.#lastCutAt = pressure > 1 ? m.now : -Infinity;
      this.#calmSince = null;
      return decide('engaged', `pressure ${pressure.toFixed(2)} reached ${t.engageAt}: admitting ${Math.floor(this.#rate)} a minute`);
    }

    this.#calmSince = calm && m.queuedUsers === 0 ? (this.#calmSince ?? m.now) : null;
    if (this.#calmSince !== null && m.now - this.#calmSince >= auto.disengageAfterSeconds * 1000) {
      this.#engaged = false;
      this.#calmSince = null;
      return decide('disengaged', `queue empty and pressure under ${t.comfortableBelow} for ${auto.disengageAfterSeconds} s`);
    }
    const interval = t.decisionIntervalSeconds * 1000;
    if (m.now - this.#lastDecisionAt < interval) return decide(null, 'holding until the next decision');
    this.#lastDecisionAt = m.now;
    if (pressure > 1) {
      if (m.now - this.#lastCutAt < 2 * interval) return decide(null, `pressure ${pressure.toFixed(2)}: the last cut has not shown yet`);
      const factor = Math.min(1 - t.minCut, Math.max(1 - t.maxCut, 1 / pressure));
      this.#rate = clamp(this.#rate * factor);
      this.#lastCutAt = m.now;
      return decide(null, `pressure ${pressure.toFixed(2)} over the objective: cut to ${Math.floor(this.#rate)} a minute`);
    }
    if (calm && m.queuedUsers > 0) {
      this.#rate = clamp(this.#rate + Math.max(1, ceiling * t.increaseFraction));
      return decide(null, `pressure ${pressure.toFixed(2)} with shoppers waiting: raised to ${Math.floor(this.#rate)} a minute`);
    }
    return decide(null, `pressure ${pressure.toFixed(2)}: holding at ${Math.floor(this.#rate)} a minute`);
  }
}
