// Stripe's idempotency for POST requests, kept 24 hours per account: the first response to a key is saved
// (status and exact body) in the same transaction as the objects the request wrote, so a crash leaves
// both or neither and a retry can never charge twice. Same key + same endpoint and parameters replays the
// saved response; different parameters is an idempotency_error; a key whose first request is still
// running is a 409. As on Stripe, nothing is saved when the request fails validation (a thrown
// StripeError): such requests are safe to retry.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { query, withTransaction } from '../platform/db/database.ts';
import { StripeErrors } from './stripe-errors.ts';
import { Q } from './psp-ledger.ts';
import type { PspAccount, PspResult } from './psp-service.ts';

export interface WriteRequest {
  idempotencyKey?: string | undefined;
  method: string;
  /** The request path without the query string (/v1/payment_intents/pi_123/confirm). */
  path: string;
  params: unknown;
  requestId: string;
}

export interface WriteResponse {
  status: number;
  /** The exact JSON text sent (and replayed). */
  bodyText: string;
  /** Set when this is a replay: the request id of the original request. */
  replayOf?: string;
}

/** Canonical JSON: object keys sorted, so parameter order does not change the fingerprint. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function paramsFingerprint(params: unknown): string {
  return createHash('sha256').update(canonical(params)).digest('hex');
}

export function validateIdempotencyKey(key: string): void {
  if (key.length > 255) throw StripeErrors.invalidRequest('Idempotency-Key must be at most 255 characters long.', 'Idempotency-Key');
}

export async function executeWrite(
  pool: pg.Pool,
  account: PspAccount,
  req: WriteRequest,
  exec: (tx: pg.PoolClient) => Promise<PspResult>,
): Promise<WriteResponse> {
  const key = req.idempotencyKey;
  if (key !== undefined) validateIdempotencyKey(key);
  return withTransaction(pool, async (tx) => {
    if (key === undefined) {
      const result = await exec(tx);
      return { status: result.status, bodyText: JSON.stringify(result.body) };
    }
    const locked = (await query<{ locked: boolean }>(tx, Q.lockKey, [account.accountId, key])).rows[0]!.locked;
    if (!locked) throw StripeErrors.idempotencyKeyInUse(key);
    const fingerprint = paramsFingerprint(req.params);
    const saved = (await query<{ method: string; path: string; params_sha256: string; response_status: number; response_body: string; request_id: string }>(
      tx, Q.getKey, [account.accountId, key])).rows[0];
    if (saved) {
      if (saved.method !== req.method || saved.path !== req.path) throw StripeErrors.idempotencyEndpointMismatch(key);
      if (saved.params_sha256 !== fingerprint) throw StripeErrors.idempotencyMismatch(key);
      return { status: saved.response_status, bodyText: saved.response_body, replayOf: saved.request_id };
    }
    const result = await exec(tx);
    const bodyText = JSON.stringify(result.body);
    await query(tx, Q.saveKey, [account.accountId, key, req.method, req.path, fingerprint, result.status, bodyText, req.requestId]);
    return { status: result.status, bodyText };
  });
}

export async function purgeIdempotencyKeys(pool: pg.Pool): Promise<number> {
  return (await query(pool, Q.purgeKeys)).rowCount ?? 0;
}
