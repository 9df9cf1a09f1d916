// An incident's state changes, each in one transaction with its timeline entry and the notifications it
// makes due (the outbox), so what is recorded and what is sent can never disagree, even across a crash.
import type pg from 'pg';
import { query, withTransaction, type Queryable } from '../platform/db/database.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import type { EscalationPolicy } from './escalation.ts';
import type { IncidentSeverity } from './channels/notification.ts';
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
  /** triggered, alert.firing, alert.resolved, rca, notification, escalation, acknowledged, note, change, update, resolved */
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
  db: Queryable, incidentId: string, change: { rootCause?: string; severity?: IncidentSeverity }, at: number, accepts: ChannelAccepts, minIntervalMs = 30_000,
): Promise<IncidentRow | undefined> {
  return inTransaction(db, async (client) => {
    const incident = (await query<IncidentRow>(client, Q.update, [incidentId, change.rootCause ?? null, change.severity ?? null])).rows[0];
    if (!incident) return undefined;
    const said = [change.rootCause && `root cause: ${change.rootCause}`, change.severity && `severity: ${change.severity}`].filter(Boolean).join('; ');
    await appendTimeline(client, incidentId, { at, kind: 'update', summary: `Updated: ${said}`, data: change });
    await enqueueIncidentUpdate(client, incident, at, accepts, minIntervalMs);
    return incident;
  });
}
