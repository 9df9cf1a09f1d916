// The ops console's sessions: the admin token is exchanged, once, for a random session id kept in an
// HttpOnly cookie; the database keeps the id's SHA-256, the session's CSRF token and its expiry, so every
// replica of the control role agrees on who is signed in and signing out ends the session everywhere.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { query, type NamedQuery, type Queryable } from '../platform/db/database.ts';

const Q = {
  create: {
    name: 'ops_console.session_create',
    text: `INSERT INTO ops_console_sessions (id_sha256, csrf_token, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
  },
  find: {
    name: 'ops_console.session_find',
    text: `SELECT csrf_token, expires_at FROM ops_console_sessions WHERE id_sha256 = $1 AND expires_at > now()`,
  },
  remove: { name: 'ops_console.session_remove', text: `DELETE FROM ops_console_sessions WHERE id_sha256 = $1` },
  purge: { name: 'ops_console.session_purge_expired', text: `DELETE FROM ops_console_sessions WHERE expires_at <= now()` },
  signedIn: {
    name: 'ops_console.sessions_signed_in',
    text: `SELECT id_sha256 FROM ops_console_sessions WHERE id_sha256 = ANY($1::text[]) AND expires_at > now()`,
  },
} satisfies Record<string, NamedQuery>;

/** A signed-in session: `key` is its id's SHA-256 (what the table keeps; it names the session without the id). */
export interface ConsoleSession { key: string; csrfToken: string; expiresAt: Date }

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Session ids are 32 random bytes in base64url: anything else is not looked up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Starts a session; returns its id (for the cookie only) and its CSRF token. Expired sessions are purged on the way. */
export async function createSession(db: Queryable, ttlSeconds: number): Promise<{ id: string; csrfToken: string }> {
  await query(db, Q.purge);
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  await query(db, Q.create, [sha256(id), csrfToken, ttlSeconds]);
  return { id, csrfToken };
}

export async function findSession(db: Queryable, id: string | undefined): Promise<ConsoleSession | undefined> {
  if (!id || !SESSION_ID.test(id)) return undefined;
  const key = sha256(id);
  const row = (await query<{ csrf_token: string; expires_at: Date }>(db, Q.find, [key])).rows[0];
  return row ? { key, csrfToken: row.csrf_token, expiresAt: row.expires_at } : undefined;
}

/** Of these sessions (keys), the ones still signed in: not signed out, not expired. */
export async function signedInSessions(db: Queryable, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  return new Set((await query<{ id_sha256: string }>(db, Q.signedIn, [keys])).rows.map((r) => r.id_sha256));
}

export async function endSession(db: Queryable, id: string | undefined): Promise<void> {
  if (id && SESSION_ID.test(id)) await query(db, Q.remove, [sha256(id)]);
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(session: Pick<ConsoleSession, 'csrfToken'>, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  const a = Buffer.from(submitted);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}
