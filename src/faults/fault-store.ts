// Faults live in PostgreSQL (table `faults`) so that a fault set through any process reaches every role
// and replica. Writers NOTIFY on FAULTS_CHANNEL; readers (fault-reader.ts) also poll.
import { query, type Queryable } from '../platform/db/database.ts';

export const FAULTS_CHANNEL = 'holdfast_faults';

export interface StoredFault {
  name: string;
  params: Record<string, unknown>;
  updatedAt: string;
  expiresAt: string | null;
}

interface FaultRow { name: string; params: Record<string, unknown>; updated_at: Date; expires_at: Date | null }

const toFault = (r: FaultRow): StoredFault => ({
  name: r.name, params: r.params, updatedAt: r.updated_at.toISOString(), expiresAt: r.expires_at?.toISOString() ?? null,
});

const Q = {
  listActive: {
    name: 'faults.list_active',
    text: `SELECT name, params, updated_at, expires_at FROM faults WHERE expires_at IS NULL OR expires_at > now() ORDER BY name`,
  },
  getActive: {
    name: 'faults.get_active',
    text: `SELECT name, params, updated_at, expires_at FROM faults WHERE name = $1 AND (expires_at IS NULL OR expires_at > now())`,
  },
  upsert: {
    name: 'faults.upsert',
    text: `WITH up AS (
             INSERT INTO faults (name, params, updated_at, expires_at)
             VALUES ($1, $2, now(), CASE WHEN $3::int IS NULL THEN NULL ELSE now() + make_interval(secs => $3::int) END)
             ON CONFLICT (name) DO UPDATE SET params = EXCLUDED.params, updated_at = now(), expires_at = EXCLUDED.expires_at
             RETURNING name, params, updated_at, expires_at)
           SELECT up.*, pg_notify('${FAULTS_CHANNEL}', up.name) FROM up`,
  },
  remove: {
    name: 'faults.remove',
    text: `WITH del AS (DELETE FROM faults WHERE name = $1 RETURNING name)
           SELECT del.name, pg_notify('${FAULTS_CHANNEL}', del.name) FROM del`,
  },
  purgeExpired: { name: 'faults.purge_expired', text: `DELETE FROM faults WHERE expires_at <= now()` },
};

export async function listActiveFaults(db: Queryable): Promise<StoredFault[]> {
  return (await query<FaultRow>(db, Q.listActive)).rows.map(toFault);
}

export async function getActiveFault(db: Queryable, name: string): Promise<StoredFault | undefined> {
  const row = (await query<FaultRow>(db, Q.getActive, [name])).rows[0];
  return row ? toFault(row) : undefined;
}

/** Stores (or replaces) a fault; params must already be validated against its definition. */
export async function storeFault(db: Queryable, name: string, params: Record<string, unknown>, ttlSeconds?: number): Promise<StoredFault> {
  const row = (await query<FaultRow>(db, Q.upsert, [name, JSON.stringify(params), ttlSeconds ?? null])).rows[0]!;
  return toFault(row);
}

/** Clears a fault. Returns whether it was set. */
export async function removeFault(db: Queryable, name: string): Promise<boolean> {
  return ((await query(db, Q.remove, [name])).rowCount ?? 0) > 0;
}

export async function purgeExpiredFaults(db: Queryable): Promise<number> {
  return (await query(db, Q.purgeExpired)).rowCount ?? 0;
}
