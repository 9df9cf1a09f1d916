// Which open incident a new alert joins. One fault raises several alerts within seconds (provider
// latency: the provider calls' latency, the payments' latency, the payment journey's SLO burn), and
// people want one incident to acknowledge, not three. An alert joins an open incident whose latest alert
// fired or resolved within the correlation window when it concerns the same component (the part before
// " -> ": "payments -> provider" is about payments) or when its root-cause finding names the same top
// cause. Otherwise it opens a new incident.

/** An open incident as correlation sees it. */
export interface OpenIncidentSummary {
  id: string;
  /** the components of its alerts (and its own) */
  components: readonly string[];
  /** the top causes of its alerts' root-cause findings */
  causes: readonly string[];
  /** ms since the epoch of its latest alert firing or resolving */
  lastActivityAt: number;
}

export interface AlertToPlace {
  component: string;
  cause: string | null;
  /** ms since the epoch */
  at: number;
}

/** Ten minutes: a fault's alerts fire within seconds of each other, and a flapping one within minutes. */
export const CORRELATION_WINDOW_MS = 10 * 60_000;

/** "payments -> provider" concerns payments; "storefront" is itself. */
export function componentFamily(component: string): string {
  return component.split('->')[0]!.trim().toLowerCase();
}

/** The id of the open incident the alert joins, or undefined (a new incident); the most recent match wins. */
export function incidentToJoin(alert: AlertToPlace, open: readonly OpenIncidentSummary[], windowMs = CORRELATION_WINDOW_MS): string | undefined {
  const family = componentFamily(alert.component);
  const candidates = open
    .filter((i) => alert.at - i.lastActivityAt <= windowMs)
    .filter((i) => i.components.some((c) => componentFamily(c) === family) || (alert.cause !== null && i.causes.includes(alert.cause)))
    .sort((a, b) => b.lastActivityAt - a.lastActivityAt);
  return candidates[0]?.id;
}

/** Change events this long before an incident triggered belong to it (what changed just before the signals). */
export const CHANGES_BEFORE_MS = 5 * 60_000;
