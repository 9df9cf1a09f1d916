// What the status page reads and operators write: incidents of the last days with their public updates,
// and components' states set by hand. computeStatusPage (status-page.ts) turns them, with the SLO burns,
// into the page.
import type pg from 'pg';
import { query, withTransaction, type Queryable } from '../platform/db/database.ts';
import { recordChange } from '../changes/index.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import type { IncidentSeverity, IncidentState } from './channels/notification.ts';
import { COMPONENT_STATUSES, incidentStatusNow } from './status-page.ts';
import type {
  ComponentStatusValue, IncidentUpdateStatus, SloBurnInput, StatusComponentName, StatusIncidentInput, StatusInputs, StatusOverrideInput,
} from './status-page.ts';

interface StatusIncidentRow {
  id: string; severity: IncidentSeverity; component: string; state: IncidentState; root_cause: string | null;
  triggered_at: Date; resolved_at: Date | null; root_cause_at: Date | null; worst_status: ComponentStatusValue | null;
}
interface StatusUpdateRow { incident_id: string; status: IncidentUpdateStatus; body: string; author: string | null; created_at: Date }
interface StatusOverrideRow { component: StatusComponentName; status: ComponentStatusValue; reason: string; set_by: string | null; starts_at: Date; ends_at: Date | null }

const overrideOf = (o: StatusOverrideRow): StatusOverrideInput => ({
  component: o.component, status: o.status, reason: o.reason, setBy: o.set_by, startsAt: o.starts_at.toISOString(), endsAt: o.ends_at?.toISOString() ?? null,
});

/** Incidents open now or that ended within the last `days` before now, and the overrides of that time. */
export async function loadStatusRecords(db: Queryable, now: number, days = 90): Promise<{ incidents: StatusIncidentInput[]; overrides: StatusOverrideInput[] }> {
  const at = new Date(now);
  const incidents = (await query<StatusIncidentRow>(db, Q.statusIncidents, [at, days])).rows;
  const updates = incidents.length ? (await query<StatusUpdateRow>(db, Q.statusUpdates, [incidents.map((i) => i.id)])).rows : [];
  const overrides = (await query<StatusOverrideRow>(db, Q.statusOverrides, [at, days])).rows;
  return {
    incidents: incidents.map((i) => ({
      id: i.id, severity: i.severity, component: i.component, state: i.state, rootCause: i.root_cause,
      rootCauseAt: i.root_cause_at?.toISOString() ?? null, triggeredAt: i.triggered_at.toISOString(), resolvedAt: i.resolved_at?.toISOString() ?? null,
      worstStatus: i.worst_status,
      updates: updates.filter((u) => u.incident_id === i.id).map((u) => ({ status: u.status, body: u.body, author: u.author, createdAt: u.created_at.toISOString() })),
    })),
    overrides: overrides.map(overrideOf),
  };
}

/** An operator's public update of an incident (or a drafted one they accepted). */
export async function addStatusUpdate(db: Queryable, incidentId: string, update: { status: IncidentUpdateStatus; body: string; author?: string | null; at: number }): Promise<void> {
  await query(db, Q.addStatusUpdate, [incidentId, update.status, update.body, update.author ?? null, new Date(update.at)]);
}

export interface NewStatusOverride {
  component: StatusComponentName;
  status: ComponentStatusValue;
  reason: string;
  setBy?: string | null;
  startsAt: number;
  /** when it ends by itself (back to automatic); null or absent: until cleared */
  endsAt?: number | null;
  /** the change event's source: who made the change, through which process */
  source: string;
}

/**
 * Sets a component's state by hand from `startsAt` (until `endsAt`, or until cleared), ending the one in
 * force, and records the change event in the same transaction. One writer per component at a time (every
 * control replica), so two operators' overrides cannot both stay in force.
 */
export async function setStatusOverride(pool: pg.Pool, o: NewStatusOverride): Promise<StatusOverrideInput> {
  return withTransaction(pool, async (client) => {
    await query(client, Q.lockStatusComponent, [o.component]);
    await query(client, Q.endStatusOverrides, [o.component, new Date(o.startsAt)]);
    const row = (await query<StatusOverrideRow>(client, Q.setStatusOverride, [
      o.component, o.status, o.reason, o.setBy ?? null, new Date(o.startsAt), o.endsAt ? new Date(o.endsAt) : null,
    ])).rows[0]!;
    const until = o.endsAt ? ` until ${new Date(o.endsAt).toISOString()}` : ' until cleared';
    await recordChange(client, {
      kind: 'status_page.override_set', subject: `status-page:${o.component}`, source: o.source,
      summary: `status page: ${o.component} set to ${o.status} by hand${o.setBy ? ` (${o.setBy})` : ''}${until}: ${o.reason}`,
      details: { component: o.component, status: o.status, reason: o.reason, setBy: o.setBy ?? null, endsAt: row.ends_at?.toISOString() ?? null },
    });
    return overrideOf(row);
  });
}

/**
 * Ends the component's hand-set state at `at`: the computed state shows again. Records the change event
 * when one was in force; returns how many were ended (0: nothing to clear).
 */
export async function clearStatusOverride(pool: pg.Pool, component: StatusComponentName, at: number, by: { source: string; clearedBy?: string | null }): Promise<number> {
  return withTransaction(pool, async (client) => {
    await query(client, Q.lockStatusComponent, [component]);
    const ended = (await query(client, Q.endStatusOverrides, [component, new Date(at)])).rowCount ?? 0;
    if (ended > 0) {
      await recordChange(client, {
        kind: 'status_page.override_cleared', subject: `status-page:${component}`, source: by.source,
        summary: `status page: ${component} back to automatic${by.clearedBy ? ` (${by.clearedBy})` : ''}`,
        details: { component, clearedBy: by.clearedBy ?? null },
      });
    }
    return ended;
  });
}

/** The control role's SLO burns now (rewritten every few seconds). */
export async function saveSloBurns(db: Queryable, burns: readonly SloBurnInput[], at: number): Promise<void> {
  if (burns.length === 0) return;
  await query(db, Q.saveBurns, [burns.map((b) => b.journey), burns.map((b) => b.objective), burns.map((b) => b.target), burns.map((b) => b.shortBurn), burns.map((b) => b.firing), new Date(at)]);
}

/**
 * Records, for each open incident, how bad its components are now (incidentStatusNow) when that is worse
 * than the worst recorded so far: the history then shows the incident's days in the worst state reached.
 */
export async function recordIncidentWorstStatuses(db: Queryable, burns: readonly SloBurnInput[]): Promise<void> {
  const open = (await query<{ id: string; component: string }>(db, Q.openIncidentComponents)).rows;
  if (open.length === 0) return;
  await query(db, Q.raiseWorstStatus, [open.map((i) => i.id), open.map((i) => incidentStatusNow(i.component, burns)), [...COMPONENT_STATUSES]]);
}

/** A burn not rewritten for this long is stale: no control role is measuring, and it says nothing. */
export const BURN_STALE_MS = 60_000;

/** Everything computeStatusPage reads, from the database. */
export async function loadStatusInputs(db: Queryable, now: number): Promise<StatusInputs> {
  const [records, burns, since] = await Promise.all([
    loadStatusRecords(db, now),
    query<{ journey: string; objective: 'availability' | 'latency'; target: number; short_burn: number; firing: boolean }>(db, Q.freshBurns, [new Date(now - BURN_STALE_MS)]),
    query<{ since: Date | null }>(db, Q.recordsSince),
  ]);
  return {
    now, ...records, recordsSince: since.rows[0]?.since?.toISOString() ?? null,
    burns: burns.rows.map((b) => ({ journey: b.journey, objective: b.objective, target: b.target, shortBurn: b.short_burn, firing: b.firing })),
  };
}
