// The incidents' service in the control role: alerts (the control plane's, Alertmanager's) open incidents
// or join an open one (incident-correlation.ts); an alert's root-cause finding updates the incident as it
// changes; when an incident's last alert resolves, the incident resolves. Operators read incidents with
// their timelines (the recorded entries, the alerts, and the change log's events around the incident),
// acknowledge, resolve and write notes. Every change is one transaction with its timeline entry and the
// notifications it makes due (the outbox, delivered by NotificationDeliverer), so detection only ever
// hands an alert over: it never waits for the database or a channel.
import type pg from 'pg';
import { query, withTransaction } from '../platform/db/database.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { changesBetween, type ChangeEvent } from '../changes/index.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import { IncidentErrors } from './incident-errors.ts';
import { CHANGES_BEFORE_MS, incidentToJoin, type OpenIncidentSummary } from './incident-correlation.ts';
import {
  acknowledgeIncident, appendTimeline, assignIncident, getIncident, incidentNotifications, incidentTimeline, openIncident, publishStatusUpdate,
  resolveIncident, updateIncident,
} from './incident-store.ts';
import type { IncidentUpdateStatus } from './status-page.ts';
import type { ChannelAccepts, IncidentRow, NotificationRow } from './outbox.ts';
import type { EscalationPolicy } from './escalation.ts';
import type { IncidentSeverity, IncidentState } from './channels/notification.ts';
import { postmortemInput, type MetricsWindow } from './postmortem-source.ts';
import type { PostmortemInput } from './postmortem.ts';

/** An alert as the incidents take it, whichever detector raised it. */
export interface AlertSignal {
  /** the alert's identity at its detector: the same on every report of one alert */
  key: string;
  name: string;
  state: 'firing' | 'resolved';
  /** what it is about: payments, payments -> provider, storefront, database, an Alertmanager label */
  component: string;
  severity: IncidentSeverity;
  summary: string;
  /** the root-cause finding's text, when there is one */
  rootCause: string | null;
  /** the finding's top candidate (payment-provider, database, ...): alerts with the same one share an incident */
  cause: string | null;
  /** who detected it (PagerDuty's payload.source): the control role, alertmanager */
  source: string;
  /** when it fired or resolved (ms since the epoch) */
  at: number;
  details?: Record<string, unknown>;
}

export interface IncidentAlert {
  alert_key: string; name: string; component: string; cause: string | null; state: 'firing' | 'resolved'; fired_at: Date; resolved_at: Date | null;
}

/** One line of an incident's timeline as the API shows it. */
export interface TimelineItem { at: string; kind: string; summary: string; data: Record<string, unknown> }

export interface IncidentView {
  id: string; title: string; severity: IncidentSeverity; component: string; source: string; state: IncidentState;
  rootCause: string | null; owner: string | null; triggeredAt: string; acknowledgedAt: string | null; acknowledgedBy: string | null;
  resolvedAt: string | null; escalationPolicy: string | null;
}

export interface IncidentDetail extends IncidentView {
  alerts: { key: string; name: string; component: string; cause: string | null; state: string; firedAt: string; resolvedAt: string | null }[];
  notifications: { channel: string; transition: string; kind: string; state: string; attempts: number; lastStatus: number | null; lastAnswer: string | null; occurredAt: string; finishedAt: string | null }[];
  timeline: TimelineItem[];
}


export function incidentView(i: IncidentRow): IncidentView {
  return {
    id: i.id, title: i.title, severity: i.severity, component: i.component, source: i.source, state: i.state,
    rootCause: i.root_cause, owner: i.owner, triggeredAt: i.triggered_at.toISOString(), acknowledgedAt: i.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: i.acknowledged_by, resolvedAt: i.resolved_at?.toISOString() ?? null, escalationPolicy: i.escalation_policy.name ?? null,
  };
}

/** The recorded timeline with the change log's events from CHANGES_BEFORE_MS before the trigger to the end, in time order. */
export function mergeTimeline(recorded: readonly { at: Date; kind: string; summary: string; data: Record<string, unknown> }[], changes: readonly ChangeEvent[]): TimelineItem[] {
  const items: TimelineItem[] = [
    ...recorded.map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: e.summary, data: e.data })),
    ...changes.map((c) => ({ at: c.at, kind: 'change', summary: c.summary, data: { changeId: c.id, kind: c.kind, subject: c.subject, source: c.source, ...c.details } })),
  ];
  // stable: recorded entries keep their order, a change at the same instant goes before them (it came first)
  return items.map((item, i) => ({ item, i, t: Date.parse(item.at), change: item.kind === 'change' ? 0 : 1 }))
    .sort((a, b) => a.t - b.t || a.change - b.change || a.i - b.i).map((x) => x.item);
}

/** An open incident none of whose alerts fires any more is resolved after this long (see sweepQuietIncidents). */
export const QUIET_RESOLVE_MS = 5 * 60_000;

export interface ResponderOptions {
  pool: pg.Pool;
  /** the escalation policy in force (an incident keeps the one it triggered under) */
  policy: EscalationPolicy;
  accepts: ChannelAccepts;
  /** rows were written to the outbox: deliver now rather than at the next poll */
  wake?: () => void;
  logger?: Logger;
  clock?: () => number;
  /** how long a failed hand-over (the database unreachable) is retried before it is given up, logged */
  retryForMs?: number;
}

export class IncidentResponder {
  readonly #o: ResponderOptions;
  readonly #clock: () => number;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #stopping = false;

  constructor(opts: ResponderOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /**
   * Hands an alert (or its finding) over without waiting: alerts are applied one at a time, in the order
   * they came, each retried while the database is unreachable. Returns at once.
   */
  submit(signal: AlertSignal): void {
    this.#enqueue(`${signal.state} ${signal.name} (${signal.component})`, () => this.apply(signal));
  }

  /** The detector starts afresh (this control role started): its earlier alerts are closed, in turn with the alerts. */
  submitDetectorRestart(source: string): void {
    const at = this.#clock();
    this.#enqueue(`${source} restarted`, () => this.detectorRestarted(source, at));
  }

  /** Alerts still waiting (the database away) are given up: stopping must not wait for it. */
  stop(): void { this.#stopping = true; }

  /** Resolves once every alert handed over so far has been applied (tests, stopping). */
  async idle(): Promise<void> {
    while (this.#pending > 0) await this.#chain;
  }

  #enqueue(what: string, task: () => Promise<unknown>): void {
    this.#pending++;
    const started = this.#clock();
    const retryFor = this.#o.retryForMs ?? 10 * 60_000;
    this.#chain = this.#chain.then(async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await task();
          return;
        } catch (err) {
          if (this.#stopping || this.#clock() - started > retryFor) {
            this.#o.logger?.error({ err, alert: what }, 'gave up recording an alert in its incident');
            return;
          }
          if (attempt === 1) this.#o.logger?.warn({ err, alert: what }, 'could not record an alert in its incident; retrying');
          await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
        }
      }
    }).finally(() => { this.#pending--; });
  }

  /** Applies one alert report: opens, joins, updates or resolves. Returns the incident it concerns. */
  async apply(signal: AlertSignal): Promise<string | undefined> {
    const id = await withTransaction(this.#o.pool, async (client) => {
      await query(client, Q.lockCorrelation);
      const existing = (await query<{ incident_id: string }>(client, Q.incidentOfAlert, [signal.key])).rows[0]?.incident_id;
      if (signal.state === 'resolved') return this.#alertResolved(client, signal);
      if (existing) return this.#findingOf(client, existing, signal);
      const open = (await query<{ id: string; components: string[]; causes: string[]; component: string; last_activity_at: Date }>(client, Q.openWithAlerts)).rows;
      const summaries: OpenIncidentSummary[] = open.map((o) => ({ id: o.id, components: [o.component, ...o.components], causes: o.causes, lastActivityAt: o.last_activity_at.getTime() }));
      const join = incidentToJoin({ component: signal.component, cause: signal.cause, at: signal.at }, summaries);
      if (join) {
        await query(client, Q.addAlert, [join, signal.key, signal.name, signal.component, signal.cause, signal.source, new Date(signal.at)]);
        await appendTimeline(client, join, { at: signal.at, kind: 'alert.firing', summary: `${signal.name} (${signal.component}) firing, joined this incident: ${signal.summary}`, data: { alert: signal.key, component: signal.component, cause: signal.cause } });
        return join;
      }
      const { incident } = await openIncident(client, {
        title: `${signal.component}: ${signal.summary}`.slice(0, 500), severity: signal.severity, component: signal.component, source: signal.source,
        rootCause: signal.rootCause, details: { alert: signal.name, alertKey: signal.key, ...signal.details }, policy: this.#o.policy, at: signal.at,
      }, this.#o.accepts);
      await query(client, Q.addAlert, [incident.id, signal.key, signal.name, signal.component, signal.cause, signal.source, new Date(signal.at)]);
      await appendTimeline(client, incident.id, { at: signal.at, kind: 'alert.firing', summary: `${signal.name} (${signal.component}) firing: ${signal.summary}`, data: { alert: signal.key, component: signal.component } });
      if (signal.rootCause) await appendTimeline(client, incident.id, { at: signal.at, kind: 'rca', summary: `Root-cause finding: ${signal.rootCause}`, data: { alert: signal.key, cause: signal.cause } });
      this.#o.logger?.warn({ incident: { id: incident.id, title: incident.title } }, 'incident triggered');
      return incident.id;
    });
    this.#o.wake?.();
    return id;
  }

  /**
   * A report of an alert already in an incident: a new or changed finding is recorded in the timeline. It
   * becomes the incident's root cause (and is told) only when it is the finding of the alert that opened
   * the incident, or the incident has none yet: the alerts that joined later (an SLO burning, the error
   * ratio of a backlog) are consequences, and their findings would make the root cause flap.
   */
  async #findingOf(client: pg.PoolClient, incidentId: string, signal: AlertSignal): Promise<string> {
    const incident = await getIncident(client, incidentId);
    if (!signal.rootCause || !incident || incident.root_cause === signal.rootCause) return incidentId;
    await appendTimeline(client, incidentId, { at: signal.at, kind: 'rca', summary: `Root-cause finding (${signal.name}, ${signal.component}): ${signal.rootCause}`, data: { alert: signal.key, cause: signal.cause } });
    if (incident.details.alertKey === signal.key || !incident.root_cause) {
      await updateIncident(client, incidentId, { rootCause: signal.rootCause }, signal.at, this.#o.accepts);
    }
    return incidentId;
  }

  async #alertResolved(client: pg.PoolClient, signal: AlertSignal): Promise<string | undefined> {
    const ids = (await query<{ incident_id: string }>(client, Q.resolveAlert, [signal.key, new Date(signal.at)])).rows.map((r) => r.incident_id);
    for (const id of ids) {
      await appendTimeline(client, id, { at: signal.at, kind: 'alert.resolved', summary: `${signal.name} (${signal.component}) resolved`, data: { alert: signal.key } });
      const firing = (await query<{ n: number }>(client, Q.firingAlertCount, [id])).rows[0]!.n;
      if (firing === 0) await resolveIncident(client, id, signal.at, this.#o.accepts, 'Resolved: every alert of the incident has resolved');
    }
    return ids[0];
  }

  /**
   * The detector `source` starts afresh (this control role's start): the alerts it raised earlier are
   * closed in their incidents' timelines (it will never report their end). The incidents stay open: the
   * same fault raises new alerts that join them, and sweepQuietIncidents resolves those none joins.
   */
  async detectorRestarted(source: string, at = this.#clock()): Promise<number> {
    return withTransaction(this.#o.pool, async (client) => {
      await query(client, Q.lockCorrelation);
      const closed = (await query<{ incident_id: string; alert_key: string; name: string; component: string }>(client, Q.closeAlertsOfSource, [source, new Date(at)])).rows;
      for (const a of closed) {
        await appendTimeline(client, a.incident_id, { at, kind: 'alert.resolved', summary: `${a.name} (${a.component}) closed: ${source} restarted and starts its alerts afresh`, data: { alert: a.alert_key } });
      }
      return closed.length;
    });
  }

  /** Resolves open incidents whose alerts all ended more than quietMs ago (the ones detectorRestarted left open). */
  async sweepQuietIncidents(quietMs = QUIET_RESOLVE_MS, at = this.#clock()): Promise<number> {
    const ids = (await query<{ id: string }>(this.#o.pool, Q.openWithoutFiringAlerts, [new Date(at - quietMs)])).rows.map((r) => r.id);
    let resolved = 0;
    for (const id of ids) {
      const done = await resolveIncident(this.#o.pool, id, at, this.#o.accepts, `Resolved: no alert of the incident has fired for ${Math.round(quietMs / 60_000)} minutes`);
      if (done) resolved++;
    }
    if (resolved) this.#o.wake?.();
    return resolved;
  }

  async list(filter: { state?: IncidentState; limit?: number } = {}): Promise<IncidentView[]> {
    return (await query<IncidentRow>(this.#o.pool, Q.list, [filter.state ?? null, filter.limit ?? 50])).rows.map(incidentView);
  }

  async get(id: string): Promise<IncidentDetail> {
    const incident = await getIncident(this.#o.pool, id);
    if (!incident) throw IncidentErrors.INCIDENT_NOT_FOUND();
    const [recorded, alerts, notifications, changes] = await Promise.all([
      incidentTimeline(this.#o.pool, id),
      query<IncidentAlert>(this.#o.pool, Q.alertsOf, [id]).then((r) => r.rows),
      incidentNotifications(this.#o.pool, id),
      changesBetween(this.#o.pool, { from: new Date(incident.triggered_at.getTime() - CHANGES_BEFORE_MS), to: incident.resolved_at ?? new Date(this.#clock()), limit: 500 }),
    ]);
    return {
      ...incidentView(incident),
      alerts: alerts.map((a) => ({ key: a.alert_key, name: a.name, component: a.component, cause: a.cause, state: a.state, firedAt: a.fired_at.toISOString(), resolvedAt: a.resolved_at?.toISOString() ?? null })),
      notifications: notifications.map(notificationView),
      timeline: mergeTimeline(recorded, changes),
    };
  }

  async acknowledge(id: string, by: string): Promise<IncidentView> {
    const incident = await acknowledgeIncident(this.#o.pool, id, by, this.#clock(), this.#o.accepts);
    if (!incident) throw (await getIncident(this.#o.pool, id)) ? IncidentErrors.INCIDENT_NOT_TRIGGERED() : IncidentErrors.INCIDENT_NOT_FOUND();
    this.#o.wake?.();
    return incidentView(incident);
  }

  async resolve(id: string, by: string, reason?: string): Promise<IncidentView> {
    const incident = await resolveIncident(this.#o.pool, id, this.#clock(), this.#o.accepts, `Resolved by ${by}${reason ? `: ${reason}` : ''}`);
    if (!incident) throw (await getIncident(this.#o.pool, id)) ? IncidentErrors.INCIDENT_ALREADY_RESOLVED() : IncidentErrors.INCIDENT_NOT_FOUND();
    this.#o.wake?.();
    return incidentView(incident);
  }

  async assign(id: string, owner: string, by: string): Promise<IncidentView> {
    const incident = await assignIncident(this.#o.pool, id, owner, by, this.#clock());
    if (!incident) throw IncidentErrors.INCIDENT_NOT_FOUND();
    return incidentView(incident);
  }

  /**
   * Changes an open incident's severity: in the timeline, and told as an update to the channels that take
   * updates (Slack, the webhook). Not PagerDuty: its Events API v2 has no way to change an open alert's
   * severity (a second trigger with the same dedup_key only adds a log entry to the alert). The same
   * severity again changes nothing.
   */
  async setSeverity(id: string, severity: IncidentSeverity, by: string): Promise<IncidentView> {
    const current = await getIncident(this.#o.pool, id);
    if (!current) throw IncidentErrors.INCIDENT_NOT_FOUND();
    if (current.state === 'resolved') throw IncidentErrors.INCIDENT_ALREADY_RESOLVED();
    if (current.severity === severity) return incidentView(current);
    const incident = await updateIncident(this.#o.pool, id, { severity, by }, this.#clock(), this.#o.accepts);
    if (!incident) throw IncidentErrors.INCIDENT_ALREADY_RESOLVED();
    this.#o.wake?.();
    return incidentView(incident);
  }

  /** Publishes an operator's status page update of the incident (publishStatusUpdate). */
  async publishStatusUpdate(id: string, status: IncidentUpdateStatus, message: string, by: string): Promise<{ incident: IncidentView; update: { status: IncidentUpdateStatus; message: string; by: string; at: string } }> {
    const result = await publishStatusUpdate(this.#o.pool, id, { status, body: message, author: by, at: this.#clock() }, this.#o.accepts);
    if (result.outcome === 'not_found') throw IncidentErrors.INCIDENT_NOT_FOUND();
    if (result.outcome === 'after_resolution') throw IncidentErrors.STATUS_UPDATE_AFTER_RESOLUTION();
    if (status === 'resolved') this.#o.wake?.();
    const u = result.update;
    return { incident: incidentView(result.incident), update: { status: u.status, message: u.body, by: u.author, at: new Date(u.at).toISOString() } };
  }

  /** The postmortem draft's inputs; the figures from `metrics` (the control role's window) when given. */
  async postmortem(id: string, metrics: MetricsWindow | undefined): Promise<PostmortemInput> {
    return postmortemInput(this.#o.pool, id, metrics, this.#clock());
  }

  async addNote(id: string, text: string, by: string): Promise<TimelineItem> {
    if (!(await getIncident(this.#o.pool, id))) throw IncidentErrors.INCIDENT_NOT_FOUND();
    const at = this.#clock();
    await appendTimeline(this.#o.pool, id, { at, kind: 'note', summary: text, data: { by } });
    return { at: new Date(at).toISOString(), kind: 'note', summary: text, data: { by } };
  }
}

function notificationView(n: NotificationRow): IncidentDetail['notifications'][number] {
  return {
    channel: n.channel, transition: n.transition, kind: n.kind, state: n.state, attempts: n.attempts, lastStatus: n.last_status,
    lastAnswer: n.last_answer, occurredAt: n.occurred_at.toISOString(), finishedAt: n.finished_at?.toISOString() ?? null,
  };
}
