// An incident's state changes, each in one transaction with its timeline entry and the notifications it
// makes due (the outbox), so what is recorded and what is sent can never disagree, even across a crash.
import type pg from 'pg';
import { query, withTransaction, type Queryable } from '../platform/db/database.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import type { EscalationPolicy } from './escalation.ts';
import type { IncidentSeverity } from './channels/notification.ts';
import { addStatusUpdate } from './status-page-store.ts';
import type { IncidentUpdateStatus } from './status-page.ts';
import {
  enqueueIncidentUpdate, syncIncidentNotifications, type ChannelAccepts, type IncidentRow, type NotificationRow,
} from './outbox.ts';

export interface NewIncident {
  title: string;
  severity: IncidentSeverity;
  component: string;
  source: string;
  rootCause?: string | null;
  details?: Record<string, unknown>;
  /** the policy in force now; the incident keeps it */
  policy: EscalationPolicy;
  /** when it triggered (ms since the epoch) */
  at: number;
}

export interface TimelineEntry {
  id: number;
  at: Date;
  /** triggered, alert.firing, alert.resolved, rca, notification, escalation, acknowledged, note, change, update, assigned, status_update, resolved */
  kind: string;
  summary: string;
  data: Record<string, unknown>;
}

/** In db's transaction when db is a transaction's client, else in a new one. */
function inTransaction<T>(db: Queryable, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return 'release' in db ? fn(db) : withTransaction(db, fn);
}

export async function appendTimeline(db: Queryable, incidentId: string, entry: { at: number; kind: string; summary: string; data?: Record<string, unknown> }): Promise<void> {
  await query(db, Q.appendTimeline, [incidentId, new Date(entry.at), entry.kind, entry.summary, entry.data ?? {}]);
}

export async function incidentTimeline(db: Queryable, incidentId: string): Promise<TimelineEntry[]> {
  return (await query<TimelineEntry>(db, Q.timeline, [incidentId])).rows;
}

export async function getIncident(db: Queryable, incidentId: string): Promise<IncidentRow | undefined> {
  return (await query<IncidentRow>(db, Q.get, [incidentId])).rows[0];
}

export async function incidentNotifications(db: Queryable, incidentId: string): Promise<NotificationRow[]> {
  return (await query<NotificationRow>(db, Q.notificationsOf, [incidentId])).rows;
}

/** Opens an incident: its row, the first timeline entry and the first level's pages. */
export async function openIncident(db: Queryable, input: NewIncident, accepts: ChannelAccepts): Promise<{ incident: IncidentRow; notifications: NotificationRow[] }> {
  return inTransaction(db, async (client) => {
    const incident = (await query<IncidentRow>(client, Q.insert, [
      input.title, input.severity, input.component, input.source, input.rootCause ?? null, input.details ?? {}, input.policy, new Date(input.at),
    ])).rows[0]!;
    await appendTimeline(client, incident.id, { at: input.at, kind: 'triggered', summary: `Triggered: ${input.title}`, data: { severity: input.severity, component: input.component } });
    return { incident, notifications: await syncIncidentNotifications(client, incident, input.at, accepts) };
  });
}

/**
 * Acknowledges a triggered incident: escalation stops, and each channel paged so far is told. Undefined
 * when the incident is not triggered (unknown, already acknowledged or resolved).
 */
export async function acknowledgeIncident(db: Queryable, incidentId: string, by: string, at: number, accepts: ChannelAccepts): Promise<IncidentRow | undefined> {
  return inTransaction(db, async (client) => {
    const incident = (await query<IncidentRow>(client, Q.acknowledge, [incidentId, new Date(at), by])).rows[0];
    if (!incident) return undefined;
    await appendTimeline(client, incidentId, { at, kind: 'acknowledged', summary: `Acknowledged by ${by}`, data: { by } });
    await syncIncidentNotifications(client, incident, at, accepts);
    return incident;
  });
}

/** Resolves an open incident and tells every channel that was paged. Undefined when unknown or already resolved. */
export async function resolveIncident(db: Queryable, incidentId: string, at: number, accepts: ChannelAccepts, reason = 'Resolved'): Promise<IncidentRow | undefined> {
  return inTransaction(db, async (client) => {
    const incident = (await query<IncidentRow>(client, Q.resolve, [incidentId, new Date(at)])).rows[0];
    if (!incident) return undefined;
    await appendTimeline(client, incidentId, { at, kind: 'resolved', summary: reason });
    await syncIncidentNotifications(client, incident, at, accepts);
    return incident;
  });
}

/**
 * Records a new root cause and/or severity of an open incident and notifies the channels told so far,
 * at most once per minIntervalMs per channel (a flapping finding is coalesced).
 */
export async function updateIncident(
  db: Queryable, incidentId: string, change: { rootCause?: string; severity?: IncidentSeverity; by?: string }, at: number, accepts: ChannelAccepts, minIntervalMs = 30_000,
): Promise<IncidentRow | undefined> {
  return inTransaction(db, async (client) => {
    const incident = (await query<IncidentRow>(client, Q.update, [incidentId, change.rootCause ?? null, change.severity ?? null])).rows[0];
    if (!incident) return undefined;
    const said = [change.rootCause && `root cause: ${change.rootCause}`, change.severity && `severity: ${change.severity}`].filter(Boolean).join('; ');
    await appendTimeline(client, incidentId, { at, kind: 'update', summary: `Updated${change.by ? ` by ${change.by}` : ''}: ${said}`, data: change });
    await enqueueIncidentUpdate(client, incident, at, accepts, minIntervalMs);
    return incident;
  });
}

/** Gives the incident an owner (any state: the owner also sees the postmortem through). Undefined when unknown. */
export async function assignIncident(db: Queryable, incidentId: string, owner: string, by: string, at: number): Promise<IncidentRow | undefined> {
  return inTransaction(db, async (client) => {
    const before = (await query<IncidentRow>(client, Q.getForUpdate, [incidentId])).rows[0];
    if (!before) return undefined;
    if (before.owner === owner) return before;
    const incident = (await query<IncidentRow>(client, Q.assign, [incidentId, owner])).rows[0]!;
    await appendTimeline(client, incidentId, {
      at, kind: 'assigned', summary: `Owner: ${owner} (assigned by ${by}${before.owner ? `; was ${before.owner}` : ''})`, data: { owner, previousOwner: before.owner, by },
    });
    return incident;
  });
}

export type StatusUpdateOutcome =
  | { outcome: 'published'; incident: IncidentRow; update: { status: IncidentUpdateStatus; body: string; author: string; at: number } }
  | { outcome: 'not_found' }
  | { outcome: 'after_resolution' };

/**
 * An operator's public update of an incident on the status page, in Statuspage's sense: the incident's
 * public status becomes the update's, and a `resolved` update ends the incident (every channel told so far
 * gets the resolution, as with POST /resolve). Once resolved, only a `resolved` update (a closing word) may
 * follow. Recorded in the timeline with the update, in one transaction.
 */
export async function publishStatusUpdate(
  db: Queryable, incidentId: string, update: { status: IncidentUpdateStatus; body: string; author: string; at: number }, accepts: ChannelAccepts,
): Promise<StatusUpdateOutcome> {
  return inTransaction(db, async (client) => {
    let incident = (await query<IncidentRow>(client, Q.getForUpdate, [incidentId])).rows[0];
    if (!incident) return { outcome: 'not_found' };
    if (incident.state === 'resolved' && update.status !== 'resolved') return { outcome: 'after_resolution' };
    await addStatusUpdate(client, incidentId, update);
    await appendTimeline(client, incidentId, {
      at: update.at, kind: 'status_update', summary: `Status page update (${update.status}) by ${update.author}: ${update.body}`,
      data: { status: update.status, body: update.body, by: update.author },
    });
    if (update.status === 'resolved' && incident.state !== 'resolved') {
      incident = (await resolveIncident(client, incidentId, update.at, accepts, `Resolved by ${update.author} with a status page update`))!;
    }
    return { outcome: 'published', incident, update };
  });
}
