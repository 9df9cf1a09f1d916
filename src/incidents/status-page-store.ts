// What the status page reads and operators write: incidents of the last days with their public updates,
// and components' states set by hand. computeStatusPage (status-page.ts) turns them, with the SLO burns,
// into the page.
import type pg from 'pg';
import { query, withTransaction, type Queryable } from '../platform/db/database.ts';
import { IncidentQueries as Q } from './incident-queries.ts';
import type { IncidentSeverity, IncidentState } from './channels/notification.ts';
import type {
  ComponentStatusValue, IncidentUpdateStatus, SloBurnInput, StatusComponentName, StatusIncidentInput, StatusInputs, StatusOverrideInput,
} from './status-page.ts';

interface StatusIncidentRow {
  id: string; severity: IncidentSeverity; component: string; state: IncidentState; root_cause: string | null;
  triggered_at: Date; resolved_at: Date | null; root_cause_at: Date | null;
}
interface StatusUpdateRow { incident_id: string; status: IncidentUpdateStatus; body: string; author: string | null; created_at: Date }
interface StatusOverrideRow { component: StatusComponentName; status: ComponentStatusValue; reason: string; starts_at: Date; ends_at: Date | null }

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
      updates: updates.filter((u) => u.incident_id === i.id).map((u) => ({ status: u.status, body: u.body, author: u.author, createdAt: u.created_at.toISOString() })),
    })),
    overrides: overrides.map((o) => ({
      component: o.component, status: o.status, reason: o.reason, startsAt: o.starts_at.toISOString(), endsAt: o.ends_at?.toISOString() ?? null,
    })),
  };
}

/** An operator's public update of an incident (or a drafted one they accepted). */
export async function addStatusUpdate(db: Queryable, incidentId: string, update: { status: IncidentUpdateStatus; body: string; author?: string | null; at: number }): Promise<void> {
  await query(db, Q.addStatusUpdate, [incidentId, update.status, update.body, update.author ?? null, new Date(update.at)]);
}

/** Sets a component's state by hand from `startsAt` (until `endsAt`, or until cleared); ends the one in force. */
export async function setStatusOverride(pool: pg.Pool, o: { component: StatusComponentName; status: ComponentStatusValue; reason: string; setBy?: string | null; startsAt: number; endsAt?: number | null }): Promise<void> {
  await withTransaction(pool, async (client) => {
    await query(client, Q.endStatusOverrides, [o.component, new Date(o.startsAt)]);
    await query(client, Q.setStatusOverride, [o.component, o.status, o.reason, o.setBy ?? null, new Date(o.startsAt), o.endsAt ? new Date(o.endsAt) : null]);
  });
}

/** Ends the component's hand-set state at `at`: the computed state shows again. */
export async function clearStatusOverride(db: Queryable, component: StatusComponentName, at: number): Promise<void> {
  await query(db, Q.endStatusOverrides, [component, new Date(at)]);
}

/** The control role's SLO burns now (rewritten every few seconds). */
export async function saveSloBurns(db: Queryable, burns: readonly SloBurnInput[], at: number): Promise<void> {
  if (burns.length === 0) return;
  await query(db, Q.saveBurns, [burns.map((b) => b.journey), burns.map((b) => b.objective), burns.map((b) => b.target), burns.map((b) => b.shortBurn), burns.map((b) => b.firing), new Date(at)]);
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
