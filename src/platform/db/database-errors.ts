// "The database cannot be reached just now" (stopped, restarting, failing over, out of connections), told
// apart from every other database error: the first is worth waiting out and is answered 503
// DATABASE_UNAVAILABLE with Retry-After; the second is a bug or a bad request. See
// docs/decisions/0014-unhandled-errors-and-database-outages.md.
import { defineErrors } from '../errors/domain-error.ts';

export const DatabaseErrors = defineErrors('database', {
  DATABASE_UNAVAILABLE: { kind: 'unavailable', message: 'The database cannot be reached just now; retry shortly.' },
  // The database answers, but every connection this process may use is busy: the request waited its
  // bounded time for one (dbPoolWaitTimeoutMs) and gives up rather than join a pile. Told apart from
  // DATABASE_UNAVAILABLE because the cure differs: load, not an outage (docs/surge-protection.md).
  DATABASE_BUSY: { kind: 'unavailable', message: 'Every database connection of the shop is busy just now; retry shortly.' },
});

// Socket errors while connecting or talking to the server (ENOENT: a Unix socket that is gone because
// the server stopped; ENOTFOUND/EAI_AGAIN: its host name does not resolve, as during a failover).
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
// SQLSTATE: class 08 connection exception; 57P01 admin_shutdown (a fast shutdown or restart), 57P02
// crash_shutdown, 57P03 cannot_connect_now (starting up, shutting down, in recovery); 53300
// too_many_connections.
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
// What pg and pg-pool throw without a code: a connection lost, a connect timeout, a client left broken.
const CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** True when err says the database cannot be reached right now (rather than that a query is wrong). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || UNAVAILABLE_SQLSTATES.has(e.code)) return true;
    if (e.code === 'ENOENT' && e.syscall === 'connect') return true;
    if (/^08[0-9A-Z]{3}$/.test(e.code)) return true;
  }
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return true;
  // A connection to a name with several addresses fails with an AggregateError of one error per address.
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isDatabaseUnavailable);
}
