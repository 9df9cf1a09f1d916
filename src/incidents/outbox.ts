// Delivery of incident notifications through a durable outbox in PostgreSQL (migration 014-incidents.sql,
// docs/decisions/0020-incident-notification-outbox.md).
//
// Writing: whoever changes an incident inserts, in the same transaction, the notifications the escalation
// policy says are due (escalation.ts), one row per transition per channel; the unique key makes a replay
// after a crash insert nothing new. Delivering: one lane per channel claims its due rows with FOR UPDATE
// SKIP LOCKED (several deliverers never take the same row), spending tokens from the channel's bucket
// (so a burst of incidents cannot exceed the channel's rate limit), sends each with the channel's time
// limit, and records the answer: delivered; retried later with backoff (429, 5xx, no answer); or given
// up (the receiver refuses it as sent). A slow or failing channel holds only its own lane; detection only
// ever inserts rows, so it never waits for a channel. Per incident and channel, rows go out in order, and
// rows made moot before they were sent (a newer update, a page to an acknowledged incident) are coalesced.
import type pg from 'pg';
import { query, withTransaction, withTransactionRetried, type Queryable } from '../platform/db/database.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import { incidentConsoleUrl, type ChannelName } from './incidents-config.ts';
import {
  plannedNotifications, plannedUpdate, type EscalationClock, type EscalationPolicy, type PlannedNotification,
} from './escalation.ts';
import type {
  DeliveryResult, IncidentNotice, IncidentSeverity, IncidentState, NotificationChannel, NotificationKind,
} from './channels/notification.ts';

export interface IncidentRow {
  id: string;
  title: string;
  severity: IncidentSeverity;
  component: string;
  source: string;
  state: IncidentState;
  root_cause: string | null;
  owner: string | null;
  details: Record<string, unknown>;
  escalation_policy: EscalationPolicy;
  update_sequence: number;
  triggered_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
}

export type NotificationState = 'pending' | 'sending' | 'delivered' | 'failed' | 'superseded' | 'skipped';

export interface NotificationRow {
  id: number;
  incident_id: string;
  channel: ChannelName;
  transition: string;
  kind: NotificationKind;
  escalation_level: number | null;
  escalation_loop: number | null;
  state: NotificationState;
  occurred_at: Date;
  due_at: Date;
  lease_until: Date | null;
  attempts: number;
  last_status: number | null;
  last_answer: string | null;
  finished_at: Date | null;
}

/** Whether a channel is configured here and has a use for a kind of notice. */
export type ChannelAccepts = (channel: ChannelName, kind: NotificationKind) => boolean;

export function acceptsOf(channels: readonly NotificationChannel[]): ChannelAccepts {
  const byName = new Map(channels.map((c) => [c.name, c]));
  return (name, kind) => byName.get(name)?.accepts(kind) ?? false;
}

export function escalationClockOf(incident: IncidentRow): EscalationClock {
  return {
    state: incident.state,
    triggeredAt: incident.triggered_at.getTime(),
    acknowledgedAt: incident.acknowledged_at?.getTime() ?? null,
    resolvedAt: incident.resolved_at?.getTime() ?? null,
  };
}

const describe = (n: { kind: NotificationKind; escalation_level: number | null; escalation_loop: number | null }) => {
  if (n.kind !== 'page') return n.kind;
  if (!n.escalation_level && !n.escalation_loop) return 'page';
  return `page level ${(n.escalation_level ?? 0) + 1}${n.escalation_loop ? ` (repeat ${n.escalation_loop})` : ''}`;
};

/**
 * Inserts planned notifications that are not there yet; returns the rows it inserted. `notBefore` holds
 * a channel's first attempt back (spacing updates out). A new escalation level is written to the timeline.
 * Call it in the transaction that changed the incident.
 */
export async function enqueueNotifications(
  db: Queryable, incidentId: string, planned: readonly PlannedNotification[], notBefore: ReadonlyMap<ChannelName, number> = new Map(),
): Promise<NotificationRow[]> {
  if (planned.length === 0) return [];
  const { rows } = await query<NotificationRow>(db, Q.enqueue, [
    incidentId,
    planned.map((p) => p.channel), planned.map((p) => p.transition), planned.map((p) => p.kind),
    planned.map((p) => p.level), planned.map((p) => p.loop),
    planned.map((p) => new Date(p.dueAt)), planned.map((p) => new Date(notBefore.get(p.channel) ?? p.dueAt)),
  ]);
  const escalations = new Map<string, NotificationRow[]>();
  for (const row of rows) {
    if (row.kind === 'page' && (row.escalation_level || row.escalation_loop)) {
      escalations.set(row.transition, [...(escalations.get(row.transition) ?? []), row]);
    }
  }
  for (const [transition, pages] of escalations) {
    const first = pages[0]!;
    await query(db, Q.appendTimeline, [incidentId, first.occurred_at, 'escalation',
      `Not acknowledged: escalated to ${describe(first).replace('page ', '')}; paging ${pages.map((p) => p.channel).join(', ')}`,
      { transition, channels: pages.map((p) => p.channel) }]);
  }
  return rows;
}

/** Inserts whatever the incident's policy says is due by `now` (idempotent). */
export async function syncIncidentNotifications(db: Queryable, incident: IncidentRow, now: number, accepts: ChannelAccepts): Promise<NotificationRow[]> {
  return enqueueNotifications(db, incident.id, plannedNotifications(incident.escalation_policy, escalationClockOf(incident), now, accepts));
}

/** The escalation tick: for each triggered incident, inserts the pages that fell due. Returns how many rows. */
export async function syncTriggeredIncidents(pool: pg.Pool, now: number, accepts: ChannelAccepts): Promise<number> {
  const { rows } = await query<{ id: string }>(pool, Q.triggered);
  let inserted = 0;
  for (const { id } of rows) {
    inserted += await withTransaction(pool, async (client) => {
      const incident = (await query<IncidentRow>(client, Q.getForUpdate, [id])).rows[0];
      return incident ? (await syncIncidentNotifications(client, incident, now, accepts)).length : 0;
    });
  }
  return inserted;
}

/**
 * An update of the incident (its update_sequence already counted) for every channel told so far, each
 * held back until minIntervalMs after that channel's previous update of this incident: with the
 * coalescing at delivery, a flapping root cause reaches a channel at most once per interval per incident.
 */
export async function enqueueIncidentUpdate(db: Queryable, incident: IncidentRow, now: number, accepts: ChannelAccepts, minIntervalMs: number): Promise<NotificationRow[]> {
  const planned = plannedUpdate(incident.escalation_policy, escalationClockOf(incident), now, incident.update_sequence, accepts);
  const { rows } = await query<{ channel: ChannelName; due_at: Date }>(db, Q.lastUpdates, [incident.id]);
  const notBefore = new Map(rows.map((r) => [r.channel, r.due_at.getTime() + minIntervalMs]));
  return enqueueNotifications(db, incident.id, planned, notBefore);
}

/** The notice a row stands for, from the incident as it is now (the root cause may have been found since). */
export function noticeOf(incident: IncidentRow, n: NotificationRow, consoleBaseUrl: string): IncidentNotice {
  return {
    deliveryId: `${incident.id}/${n.transition}`,
    kind: n.kind,
    transition: n.transition,
    level: n.escalation_level,
    loop: n.escalation_loop,
    consoleUrl: incidentConsoleUrl(consoleBaseUrl, incident.id),
    occurredAt: n.occurred_at.toISOString(),
    incident: {
      id: incident.id, title: incident.title, severity: incident.severity, component: incident.component, source: incident.source,
      state: incident.state, rootCause: incident.root_cause, triggeredAt: incident.triggered_at.toISOString(),
      acknowledgedAt: incident.acknowledged_at?.toISOString() ?? null, acknowledgedBy: incident.acknowledged_by,
      resolvedAt: incident.resolved_at?.toISOString() ?? null, owner: incident.owner, details: incident.details,
    },
  };
}

export interface RetryBackoff {
  /** wait after the first failed attempt */
  initialMs: number;
  /** longest wait between attempts */
  maxMs: number;
  /** attempts in all before giving up */
  maxAttempts: number;
}

/** 1 s doubling to 5 min, 12 attempts: 9 to 19 minutes of trying (with the jitter) before a notification is given up. */
export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialMs: 1000, maxMs: 300_000, maxAttempts: 12 };

/**
 * The wait after failed attempt number `attempt` (1 = the first): exponential, with "equal jitter" (half
 * fixed, half random) so deliverers retrying together spread out; never less than the receiver asked for.
 */
export function retryDelayMs(attempt: number, hintMs: number | null, backoff: RetryBackoff = DEFAULT_RETRY_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.round(ceiling / 2 + random() * (ceiling / 2)), hintMs ?? 0);
}

export interface DeliveryOptions {
  consoleBaseUrl: string;
  /** the clock (ms since the epoch); tests step it */
  clock?: () => number;
  /** most rows one pass claims for a channel (and sends at once) */
  batchSize?: number;
  /** how long a claimed row is the claimer's (default: the channel's time limit plus 30 s) */
  leaseMs?: number;
  backoff?: RetryBackoff;
  random?: () => number;
}

export interface DeliveryPassSummary {
  claimed: number;
  delivered: number;
  retrying: number;
  failed: number;
}

async function recordAnswer(pool: pg.Pool, row: NotificationRow, result: DeliveryResult, at: number, backoff: RetryBackoff, random: () => number): Promise<'delivered' | 'retrying' | 'failed' | 'taken-over'> {
  const what = `${row.channel}: ${describe(row)}`;
  let state: NotificationState;
  let status: number | null;
  let answer: string;
  let nextAt: Date | null = null;
  let summary: string;
  if (result.outcome === 'delivered') {
    state = 'delivered';
    status = result.status;
    answer = result.answer;
    summary = `${what} delivered (HTTP ${result.status}${result.answer ? `: ${result.answer}` : ''})`;
  } else if (result.outcome === 'retry' && row.attempts < backoff.maxAttempts) {
    state = 'pending';
    status = result.status;
    answer = result.reason;
    const wait = retryDelayMs(row.attempts, result.retryAfterMs, backoff, random);
    nextAt = new Date(at + wait);
    summary = `${what} not delivered (${result.reason}); attempt ${row.attempts}, next in ${(wait / 1000).toFixed(1)} s`;
  } else {
    state = 'failed';
    status = result.status;
    answer = result.reason;
    summary = `${what} failed: ${result.reason}${result.outcome === 'retry' ? ` (gave up after ${row.attempts} attempts)` : ' (not retried: it can never be accepted as sent)'}`;
  }
  // The answer must be kept: a transaction given up for a conflict is run again rather than leaving the
  // row `sending` (and the channel's next attempt waiting) until its lease runs out.
  return withTransactionRetried(pool, async (client) => {
    const recorded = await query(client, Q.recordAnswer, [row.id, row.attempts, state, status, answer.slice(0, 1000), nextAt, new Date(at)]);
    if (recorded.rowCount === 0) return 'taken-over';
    await query(client, Q.appendTimeline, [row.incident_id, new Date(at), 'notification', summary,
      { channel: row.channel, transition: row.transition, outcome: result.outcome, status, attempt: row.attempts }]);
    return state === 'pending' ? 'retrying' : state as 'delivered' | 'failed';
  });
}

/**
 * One delivery pass for one channel: coalesces what became moot, claims due rows within the channel's
 * token budget, sends them, records each answer. Returns what it did.
 */
export async function deliverDueNotifications(pool: pg.Pool, channel: NotificationChannel, opts: DeliveryOptions): Promise<DeliveryPassSummary> {
  const clock = opts.clock ?? Date.now;
  const backoff = opts.backoff ?? DEFAULT_RETRY_BACKOFF;
  const random = opts.random ?? Math.random;
  const summary: DeliveryPassSummary = { claimed: 0, delivered: 0, retrying: 0, failed: 0 };
  const now = new Date(clock());
  for (const q of [Q.supersedeMootPages, Q.supersedeReplaced, Q.skipNeverTold]) await query(pool, q, [channel.name, now]);

  const claimed = await withTransaction(pool, async (client) => {
    const { perSecond, burst } = channel.rateLimit;
    await query(client, Q.ensureBudget, [channel.name, burst, now]);
    const available = Number((await query<{ available: number }>(client, Q.lockBudget, [channel.name, now, perSecond, burst])).rows[0]!.available);
    const limit = Math.min(opts.batchSize ?? 10, Math.floor(available));
    if (limit <= 0) return [];
    const { rows } = await query<NotificationRow>(client, Q.claim, [channel.name, now, limit, new Date(now.getTime() + (opts.leaseMs ?? channel.timeoutMs + 30_000))]);
    await query(client, Q.spendBudget, [channel.name, available - rows.length, now]);
    return rows;
  });
  summary.claimed = claimed.length;
  if (claimed.length === 0) return summary;

  const { rows: incidents } = await query<IncidentRow>(pool, Q.getMany, [[...new Set(claimed.map((r) => r.incident_id))]]);
  const byId = new Map(incidents.map((i) => [i.id, i]));
  await Promise.all(claimed.map(async (row) => {
    const incident = byId.get(row.incident_id)!;
    let result: DeliveryResult;
    try {
      result = await channel.send(noticeOf(incident, row, opts.consoleBaseUrl));
    } catch (err) {
      result = { outcome: 'retry', status: null, retryAfterMs: null, reason: `sending failed: ${(err as Error).message}` };
    }
    const outcome = await recordAnswer(pool, row, result, clock(), backoff, random);
    if (outcome !== 'taken-over') summary[outcome]++;
  }));
  return summary;
}

/** Rows per channel and state (and the oldest waiting row's due time): for metrics and the console. */
export async function notificationStats(db: Queryable): Promise<{ channel: ChannelName; state: NotificationState; n: number; oldest_due: Date | null }[]> {
  return (await query<{ channel: ChannelName; state: NotificationState; n: number; oldest_due: Date | null }>(db, Q.stats)).rows;
}

export interface DelivererOptions extends DeliveryOptions {
  pool: pg.Pool;
  channels: readonly NotificationChannel[];
  /** how often an idle lane looks for due rows, and the escalation tick */
  pollMs?: number;
  /** told about each failed pass (the database unreachable...); the lane waits and tries again */
  onError?: (err: unknown, task: string) => void;
}

/**
 * Runs delivery: one lane per channel, each looping over deliverDueNotifications on its own, so a channel
 * that hangs until its time limit delays nothing else; and the escalation tick, which inserts pages as
 * they fall due. Any number of deliverers may run against one database.
 */
export class NotificationDeliverer {
  readonly #opts: DelivererOptions;
  readonly #accepts: ChannelAccepts;
  #stopped = true;
  #running: Promise<void>[] = [];
  #wakers = new Set<() => void>();

  constructor(opts: DelivererOptions) {
    this.#opts = opts;
    this.#accepts = acceptsOf(opts.channels);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#running = [
      ...this.#opts.channels.map((channel) => this.#loop(`deliver ${channel.name}`, async () => (await deliverDueNotifications(this.#opts.pool, channel, this.#opts)).claimed > 0)),
      this.#loop('escalate', async () => { await syncTriggeredIncidents(this.#opts.pool, (this.#opts.clock ?? Date.now)(), this.#accepts); return false; }),
    ];
  }

  /** Rows were just written: look now rather than at the next poll. */
  wake(): void {
    for (const wake of this.#wakers) wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await Promise.all(this.#running);
    this.#running = [];
  }

  /** Runs pass until stopped; again at once when it did something, else after the poll interval. */
  async #loop(task: string, pass: () => Promise<boolean>): Promise<void> {
    const pollMs = this.#opts.pollMs ?? 500;
    let failures = 0;
    while (!this.#stopped) {
      let busy = false;
      try {
        busy = await pass();
        failures = 0;
      } catch (err) {
        failures++;
        this.#opts.onError?.(err, task);
      }
      if (busy || this.#stopped) continue;
      await this.#sleep(failures ? Math.min(10_000, pollMs * 2 ** failures) : pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.#wakers.delete(done); resolve(); };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
    });
  }
}
