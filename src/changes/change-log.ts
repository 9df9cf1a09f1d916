// The change log: a durable record of what changed in the shop (table change_events), written by the
// context that made the change and read by the control role's incidents and root-cause analysis. A change
// is recorded in the writer's own transaction when it has one (a fault set and its change event commit
// together), and every insert NOTIFYs CHANGES_CHANNEL with the new id.
import { query, type Queryable } from '../platform/db/database.ts';

export const CHANGES_CHANNEL = 'holdfast_changes';

/**
 * The kinds of change Holdfast records. A kind is `<area>.<what>`; the list is closed so that readers
 * (incidents, root-cause findings, the postmortem) can rely on it.
 */
export const CHANGE_KINDS = [
  'fault.set', 'fault.cleared',
  'config.changed',
  'process.started', 'process.stopped', 'process.exited', 'process.restarted',
  'version.changed',
  'scaling.decided',
  'waiting_room.state_changed',
  // a payments process's provider router sent new attempts to another provider account, or back to one that recovered
  'payments.failover', 'payments.failback',
  // an operator set a status page component's state by hand, or handed it back to the signals
  'status_page.override_set', 'status_page.override_cleared',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface ChangeInput {
  kind: ChangeKind;
  /** What changed: a fault's name, a setting, a role or process, the waiting room. */
  subject: string;
  /** One line a person reads in a timeline: "psp.latency set (latencyMs 2000)". */
  summary: string;
  /** Who made the change: the service (roles) of the process that recorded it, or an operator. */
  source: string;
  details?: Record<string, unknown>;
}

export interface ChangeEvent extends Required<ChangeInput> {
  id: number;
  at: string;
}

interface ChangeRow { id: number; at: Date; kind: ChangeKind; subject: string; summary: string; source: string; details: Record<string, unknown> }

const toEvent = (r: ChangeRow): ChangeEvent => ({
  id: r.id, at: r.at.toISOString(), kind: r.kind, subject: r.subject, summary: r.summary, source: r.source, details: r.details,
});

const COLUMNS = 'id, at, kind, subject, summary, source, details';

const Q = {
  record: {
    name: 'changes.record',
    text: `WITH ins AS (
             INSERT INTO change_events (kind, subject, summary, source, details) VALUES ($1, $2, $3, $4, $5)
             RETURNING ${COLUMNS})
           SELECT ins.*, pg_notify('${CHANGES_CHANNEL}', ins.id::text) FROM ins`,
  },
  between: {
    name: 'changes.between',
    text: `SELECT ${COLUMNS} FROM change_events
           WHERE at >= $1 AND at <= $2 AND ($3::text[] IS NULL OR kind = ANY($3))
           ORDER BY at, id LIMIT $4`,
  },
  after: {
    name: 'changes.after',
    text: `SELECT ${COLUMNS} FROM change_events WHERE id > $1 ORDER BY id LIMIT $2`,
  },
  lastOfSubject: {
    name: 'changes.last_of_subject',
    text: `SELECT ${COLUMNS} FROM change_events WHERE kind = $1 AND subject = $2 ORDER BY id DESC LIMIT 1`,
  },
  purgeBefore: { name: 'changes.purge_before', text: `DELETE FROM change_events WHERE at < $1` },
};

/** Texts are cut to the table's limits: a change is worth recording even when its summary is long. */
const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text) || '-';

/** Records a change (in db's transaction when db is a transaction's client). */
export async function recordChange(db: Queryable, change: ChangeInput): Promise<ChangeEvent> {
  const row = (await query<ChangeRow>(db, Q.record, [
    change.kind, cut(change.subject, 200), cut(change.summary, 500), change.source, JSON.stringify(change.details ?? {}),
  ])).rows[0]!;
  return toEvent(row);
}

export interface ChangeFilter {
  from: Date;
  to: Date;
  kinds?: readonly ChangeKind[];
  limit?: number;
}

/** Changes in a time window, oldest first. */
export async function changesBetween(db: Queryable, filter: ChangeFilter): Promise<ChangeEvent[]> {
  const rows = (await query<ChangeRow>(db, Q.between, [filter.from, filter.to, filter.kinds?.length ? filter.kinds : null, filter.limit ?? 1000])).rows;
  return rows.map(toEvent);
}

/** Changes recorded after the one with id `afterId` (a reader following the log), oldest first. */
export async function changesAfter(db: Queryable, afterId: number, limit = 500): Promise<ChangeEvent[]> {
  return (await query<ChangeRow>(db, Q.after, [afterId, limit])).rows.map(toEvent);
}

/** The newest change of a kind about a subject (e.g. the version a service last started with). */
export async function lastChange(db: Queryable, kind: ChangeKind, subject: string): Promise<ChangeEvent | undefined> {
  const row = (await query<ChangeRow>(db, Q.lastOfSubject, [kind, subject])).rows[0];
  return row ? toEvent(row) : undefined;
}

export async function purgeChangesBefore(db: Queryable, before: Date): Promise<number> {
  return (await query(db, Q.purgeBefore, [before])).rowCount ?? 0;
}
