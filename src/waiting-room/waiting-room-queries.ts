// The waiting room's named queries (its tables and functions: migrations/015-waiting-room.sql).
import { query, type Queryable } from '../platform/db/database.ts';

const Q = {
  ensureRoom: {
    name: 'waiting_room.ensure_room',
    text: `WITH ins AS (INSERT INTO waiting_room (id, secret) VALUES (true, $1) ON CONFLICT (id) DO NOTHING RETURNING secret, settings, settings_version)
           SELECT secret, settings, settings_version FROM ins
           UNION ALL SELECT secret, settings, settings_version FROM waiting_room WHERE id AND NOT EXISTS (SELECT 1 FROM ins)`,
  },
  storeSettings: {
    name: 'waiting_room.store_settings',
    text: `UPDATE waiting_room SET settings = $1, settings_version = settings_version + 1 WHERE id RETURNING settings_version`,
  },
  arrive: {
    name: 'waiting_room.arrive',
    text: `SELECT admitted, ticket, frontier, active, admitted_last_minute, queued FROM waiting_room_arrive($1, $2, $3, $4, $5, $6, $7)`,
  },
  // The tickets follow the order of the array: the subquery hands its rows to nextval() in that order.
  takeTickets: {
    name: 'waiting_room.take_tickets',
    text: `INSERT INTO waiting_room_queue (ticket, visitor_id)
           SELECT nextval('waiting_room_tickets'), v FROM (SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS x(v, ord) ORDER BY ord) AS newcomers
           RETURNING ticket, visitor_id`,
  },
  sync: {
    name: 'waiting_room.sync',
    text: `SELECT frontier, active, admitted_last_minute, queued, replicas, settings, settings_version, state, previous_state, max_p99_ms, max_elu
           FROM waiting_room_sync($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  },
  upsertSessions: {
    name: 'waiting_room.upsert_sessions',
    text: `INSERT INTO waiting_room_sessions (visitor_id, admitted_at, expires_at)
           SELECT v, to_timestamp(a), to_timestamp(e) FROM unnest($1::text[], $2::float8[], $3::float8[]) AS x(v, a, e)
           ON CONFLICT (visitor_id) DO UPDATE SET
             admitted_at = CASE WHEN waiting_room_sessions.expires_at <= now() THEN EXCLUDED.admitted_at ELSE waiting_room_sessions.admitted_at END,
             expires_at = greatest(waiting_room_sessions.expires_at, EXCLUDED.expires_at)`,
  },
  refreshQueued: {
    name: 'waiting_room.refresh_queued',
    text: `UPDATE waiting_room_queue q SET last_seen_at = greatest(q.last_seen_at, to_timestamp(x.s))
           FROM unnest($1::bigint[], $2::float8[]) AS x(t, s) WHERE q.ticket = x.t`,
  },
  revokeSessions: {
    name: 'waiting_room.revoke_sessions',
    text: `DELETE FROM waiting_room_sessions WHERE visitor_id = ANY($1::text[])`,
  },
  leaveQueue: {
    name: 'waiting_room.leave_queue',
    text: `DELETE FROM waiting_room_queue WHERE ticket = ANY($1::bigint[])`,
  },
} as const;

export interface RoomRow { secret: string; settings: unknown; settings_version: number }

/**
 * The room's row, made with `newSecret` if there is none yet. Two processes starting at once both try to
 * make it: the second's insert waits for the first's and does nothing, and its own read, from before the
 * first committed, finds nothing either; so it asks again, and a statement after the wait sees the row.
 */
export async function ensureRoom(db: Queryable, newSecret: string): Promise<RoomRow> {
  for (let attempt = 1; ; attempt++) {
    const row = (await query<RoomRow>(db, Q.ensureRoom, [newSecret])).rows[0];
    if (row) return row;
    if (attempt === 3) throw new Error('the waiting room\'s row was neither made nor found');
  }
}

export async function storeSettings(db: Queryable, settings: unknown): Promise<number> {
  return (await query<{ settings_version: number }>(db, Q.storeSettings, [JSON.stringify(settings)])).rows[0]!.settings_version;
}

export interface SharedCounts { frontier: number; active: number; admitted_last_minute: number; queued: number }

export interface ArriveArgs {
  visitorId: string; sessionSeconds: number; totalActiveUsers: number; newUsersPerMinute: number;
  straightIn: boolean; pendingGraceSeconds: number; queuedTtlSeconds: number;
}

export async function arrive(db: Queryable, a: ArriveArgs): Promise<SharedCounts & { admitted: boolean; ticket: number }> {
  return (await query<SharedCounts & { admitted: boolean; ticket: number }>(db, Q.arrive, [
    a.visitorId, a.sessionSeconds, a.totalActiveUsers, a.newUsersPerMinute, a.straightIn, a.pendingGraceSeconds, a.queuedTtlSeconds,
  ])).rows[0]!;
}

/**
 * The next tickets, in the order of `visitorIds`, without the room's lock: for newcomers while shoppers
 * are known to be waiting. Returns each visitor's ticket.
 */
export async function takeTickets(db: Queryable, visitorIds: readonly string[]): Promise<Map<string, number>> {
  const { rows } = await query<{ ticket: number; visitor_id: string }>(db, Q.takeTickets, [visitorIds]);
  return new Map(rows.map((r) => [r.visitor_id, r.ticket]));
}

export interface SyncArgs {
  replicaId: string; advance: boolean; totalActiveUsers: number; newUsersPerMinute: number;
  /** The state the settings impose, or 'auto': queueing or not_queueing as the counts say. */
  stateFloor: string; pendingGraceSeconds: number; queuedTtlSeconds: number;
  /** This replica's shopper p99 (null: nothing served) and event-loop utilisation, for `mode: auto`. */
  p99Ms: number | null; eventLoopUtilization: number;
}

export interface SyncRow extends SharedCounts {
  replicas: number; settings: unknown; settings_version: number; state: string; previous_state: string;
  max_p99_ms: number | null; max_elu: number;
}

export async function syncRoom(db: Queryable, a: SyncArgs): Promise<SyncRow> {
  return (await query<SyncRow>(db, Q.sync, [
    a.replicaId, a.advance, a.totalActiveUsers, a.newUsersPerMinute, a.stateFloor, a.pendingGraceSeconds, a.queuedTtlSeconds,
    a.p99Ms, a.eventLoopUtilization,
  ])).rows[0]!;
}

/** One replica's batch since its last synchronisation (times in seconds since the epoch). */
export interface RoomBatch {
  sessions: Map<string, { admittedAt: number; expiresAt: number }>;
  queuedSeen: Map<number, number>;
  leftQueue: Set<number>;
  /** Sessions ended by a completed checkout (revokeSessionAfterCheckout). */
  revoked: Set<string>;
}

export async function flushBatch(db: Queryable, b: RoomBatch): Promise<void> {
  if (b.sessions.size) {
    const ids: string[] = []; const admitted: number[] = []; const expires: number[] = [];
    for (const [id, s] of b.sessions) { ids.push(id); admitted.push(s.admittedAt); expires.push(s.expiresAt); }
    await query(db, Q.upsertSessions, [ids, admitted, expires]);
  }
  if (b.queuedSeen.size) await query(db, Q.refreshQueued, [[...b.queuedSeen.keys()], [...b.queuedSeen.values()]]);
  if (b.leftQueue.size) await query(db, Q.leaveQueue, [[...b.leftQueue]]);
  // After the upserts: a session renewed and revoked in the same interval ends revoked.
  if (b.revoked.size) await query(db, Q.revokeSessions, [[...b.revoked]]);
}
