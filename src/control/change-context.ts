// What changed just before a fault's first signal, for root-cause findings: "psp.latency set (latencyMs
// 2000) 4 s before the first signal". The control role keeps the change log's recent events (the changes
// context's table, read every second); a finding names the latest change that could cause something
// (faults, configuration, versions, restarts, scaling) in the minutes before the signal began.

/** A change event as the findings use it (times in unix seconds). */
export interface RecentChange { id: number; at: number; kind: string; subject: string; summary: string }

/** A finding's mention of a change. */
export interface ChangeMention { id: number; at: string; kind: string; subject: string; summary: string; secondsBeforeSignal: number }

/** Kinds that change how the shop behaves (not a fault cleared, a process stopping on purpose). */
export const CAUSAL_CHANGE_KINDS = new Set(['fault.set', 'config.changed', 'version.changed', 'process.restarted', 'process.exited', 'scaling.decided', 'waiting_room.state_changed']);

/** How long before the first signal a change counts as "just before". */
export const CHANGE_LOOKBACK_SECONDS = 300;
/**
 * The onset is read from 1 s readings that each cover the second before them, and a fault's first effect
 * (a slow call) ends after it starts: a change recorded up to this long after the estimated onset still
 * came first.
 */
export const CHANGE_ONSET_SLACK_SECONDS = 3;

/** The causal changes from the lookback up to the signal (plus slack), latest first. */
export function changesBeforeSignal(changes: readonly RecentChange[], signalStart: number): ChangeMention[] {
  return changes
    .filter((c) => CAUSAL_CHANGE_KINDS.has(c.kind) && c.at >= signalStart - CHANGE_LOOKBACK_SECONDS && c.at <= signalStart + CHANGE_ONSET_SLACK_SECONDS)
    .sort((a, b) => b.at - a.at || b.id - a.id)
    .map((c) => ({
      id: c.id, at: new Date(c.at * 1000).toISOString(), kind: c.kind, subject: c.subject, summary: c.summary,
      secondsBeforeSignal: Math.max(0, Math.round(signalStart - c.at)),
    }));
}

/** "change: psp.latency set (latencyMs 2000) 4 s before the first signal". */
export function changeText(m: ChangeMention): string {
  return `change: ${m.summary} ${m.secondsBeforeSignal > 0 ? `${m.secondsBeforeSignal} s before` : 'at'} the first signal`;
}

/**
 * The root-cause candidate (src/control/live-rca.ts) a change acts on, if any: a fault by its catalog
 * prefix (`psp.latency` acts on the payment provider), a process, version or scaling change by its role.
 */
export function candidateOfChange(change: { kind: string; subject: string }): string | undefined {
  const byRole: Record<string, string> = { storefront: 'storefront', payments: 'payments', psp: 'payment-provider' };
  if (change.kind === 'fault.set') {
    const byFaultPrefix: Record<string, string> = { psp: 'payment-provider', payments: 'payments', db: 'database', storefront: 'storefront', network: 'network' };
    return byFaultPrefix[change.subject.split('.')[0]!];
  }
  if (['process.restarted', 'process.exited', 'version.changed', 'scaling.decided'].includes(change.kind)) return byRole[change.subject];
  return undefined;
}

/**
 * Where the ranking splits before from after (unix s). The estimated onset is only as sharp as the
 * readings it comes from: a pooled median or a burn rate's count of slow events can place it many seconds
 * after the change that started it, and the readings in between would then count as baseline (a
 * dependency already slow "before the fault" scores nothing). The latest causal change, when it came
 * within `blurSeconds` before the onset, is the better split; otherwise the onset is.
 */
export function rankingSplit(onset: number, changes: readonly ChangeMention[], blurSeconds: number): number {
  const latest = changes[0];
  if (!latest) return onset;
  const at = Date.parse(latest.at) / 1000;
  return onset - at <= blurSeconds ? Math.min(onset, at) : onset;
}
