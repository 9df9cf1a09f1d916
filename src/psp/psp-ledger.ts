// Named queries over the simulator's ledger (schema `psp`, migration 004-psp-ledger.sql).
import { query, type Queryable } from '../platform/db/database.ts';
import type { IntentOptions, IntentRow, RefundRow } from './psp-objects.ts';

const INTENT_COLUMNS = `seq, id, account_id, amount, amount_received, amount_refunded, currency, status, client_secret,
  description, metadata, payment_method, payment_method_token, latest_charge, last_payment_error, options,
  canceled_at, cancellation_reason, created`;

export const Q = {
  insertIntent: {
    name: 'psp.insert_intent',
    text: `INSERT INTO psp.payment_intents (id, account_id, amount, amount_received, currency, status, client_secret, description,
             metadata, payment_method, payment_method_token, latest_charge, last_payment_error, options, created)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, extract(epoch FROM now())::bigint)
           RETURNING ${INTENT_COLUMNS}`,
  },
  updateIntentConfirmed: {
    name: 'psp.update_intent_confirmed',
    text: `UPDATE psp.payment_intents SET status = $3, amount_received = $4, payment_method = $5, payment_method_token = $6,
             latest_charge = $7, last_payment_error = $8, options = $9, updated_at = now()
           WHERE account_id = $1 AND id = $2 RETURNING ${INTENT_COLUMNS}`,
  },
  cancelIntent: {
    name: 'psp.cancel_intent',
    text: `UPDATE psp.payment_intents SET status = 'canceled', canceled_at = extract(epoch FROM now())::bigint,
             cancellation_reason = $3, updated_at = now()
           WHERE account_id = $1 AND id = $2 RETURNING ${INTENT_COLUMNS}`,
  },
  getIntent: {
    name: 'psp.get_intent',
    text: `SELECT ${INTENT_COLUMNS} FROM psp.payment_intents WHERE account_id = $1 AND id = $2`,
  },
  getIntentForUpdate: {
    name: 'psp.get_intent_for_update',
    text: `SELECT ${INTENT_COLUMNS} FROM psp.payment_intents WHERE account_id = $1 AND id = $2 FOR UPDATE`,
  },
  getIntentByChargeForUpdate: {
    name: 'psp.get_intent_by_charge_for_update',
    text: `SELECT ${INTENT_COLUMNS} FROM psp.payment_intents WHERE account_id = $1 AND latest_charge = $2 FOR UPDATE`,
  },
  intentSeq: {
    name: 'psp.intent_seq',
    text: `SELECT seq FROM psp.payment_intents WHERE account_id = $1 AND id = $2`,
  },
  // Newest first, strictly older than $6 (starting_after) when given. Created bounds: gt, gte, lt, lte.
  listIntentsBefore: {
    name: 'psp.list_intents_before',
    text: `SELECT ${INTENT_COLUMNS} FROM psp.payment_intents
           WHERE account_id = $1
             AND ($2::bigint IS NULL OR created > $2) AND ($3::bigint IS NULL OR created >= $3)
             AND ($4::bigint IS NULL OR created < $4) AND ($5::bigint IS NULL OR created <= $5)
             AND ($6::bigint IS NULL OR seq < $6)
           ORDER BY seq DESC LIMIT $7`,
  },
  // ending_before: the page just newer than $6, fetched oldest first (the caller reverses it).
  listIntentsAfter: {
    name: 'psp.list_intents_after',
    text: `SELECT ${INTENT_COLUMNS} FROM psp.payment_intents
           WHERE account_id = $1
             AND ($2::bigint IS NULL OR created > $2) AND ($3::bigint IS NULL OR created >= $3)
             AND ($4::bigint IS NULL OR created < $4) AND ($5::bigint IS NULL OR created <= $5)
             AND seq > $6
           ORDER BY seq ASC LIMIT $7`,
  },
  addRefunded: {
    name: 'psp.add_refunded',
    text: `UPDATE psp.payment_intents SET amount_refunded = amount_refunded + $3, updated_at = now()
           WHERE account_id = $1 AND id = $2`,
  },
  insertRefund: {
    name: 'psp.insert_refund',
    text: `INSERT INTO psp.refunds (id, account_id, payment_intent_id, charge_id, amount, currency, status, reason, metadata, created)
           VALUES ($1, $2, $3, $4, $5, $6, 'succeeded', $7, $8, extract(epoch FROM now())::bigint)
           RETURNING *`,
  },
  getRefund: {
    name: 'psp.get_refund',
    text: `SELECT * FROM psp.refunds WHERE account_id = $1 AND id = $2`,
  },
  refundSeq: {
    name: 'psp.refund_seq',
    text: `SELECT seq FROM psp.refunds WHERE account_id = $1 AND id = $2`,
  },
  listRefundsBefore: {
    name: 'psp.list_refunds_before',
    text: `SELECT * FROM psp.refunds
           WHERE account_id = $1 AND ($2::text IS NULL OR payment_intent_id = $2) AND ($3::text IS NULL OR charge_id = $3)
             AND ($4::bigint IS NULL OR created > $4) AND ($5::bigint IS NULL OR created >= $5)
             AND ($6::bigint IS NULL OR created < $6) AND ($7::bigint IS NULL OR created <= $7)
             AND ($8::bigint IS NULL OR seq < $8)
           ORDER BY seq DESC LIMIT $9`,
  },
  listRefundsAfter: {
    name: 'psp.list_refunds_after',
    text: `SELECT * FROM psp.refunds
           WHERE account_id = $1 AND ($2::text IS NULL OR payment_intent_id = $2) AND ($3::text IS NULL OR charge_id = $3)
             AND ($4::bigint IS NULL OR created > $4) AND ($5::bigint IS NULL OR created >= $5)
             AND ($6::bigint IS NULL OR created < $6) AND ($7::bigint IS NULL OR created <= $7)
             AND seq > $8
           ORDER BY seq ASC LIMIT $9`,
  },
  // Idempotency. The advisory lock makes a concurrent request with the same key fail fast (409)
  // instead of waiting; it is released when the transaction ends, after the record is visible.
  lockKey: {
    name: 'psp.lock_idempotency_key',
    text: `SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ':' || $2, 727401004)) AS locked`,
  },
  getKey: {
    name: 'psp.get_idempotency_key',
    text: `SELECT method, path, params_sha256, response_status, response_body, request_id
           FROM psp.idempotency_keys WHERE account_id = $1 AND key = $2 AND created_at > now() - interval '24 hours'`,
  },
  saveKey: {
    name: 'psp.save_idempotency_key',
    text: `INSERT INTO psp.idempotency_keys (account_id, key, method, path, params_sha256, response_status, response_body, request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (account_id, key) DO UPDATE SET method = EXCLUDED.method, path = EXCLUDED.path,
             params_sha256 = EXCLUDED.params_sha256, response_status = EXCLUDED.response_status,
             response_body = EXCLUDED.response_body, request_id = EXCLUDED.request_id, created_at = now()`,
  },
  purgeKeys: {
    name: 'psp.purge_idempotency_keys',
    text: `DELETE FROM psp.idempotency_keys WHERE created_at < now() - interval '24 hours'`,
  },
} as const;

export interface NewIntent {
  id: string; accountId: string; amount: number; amountReceived: number; currency: string; status: string;
  clientSecret: string; description: string | null; metadata: Record<string, string>; paymentMethod: string | null;
  paymentMethodToken: string | null; latestCharge: string | null; lastPaymentError: Record<string, unknown> | null;
  options: IntentOptions;
}

export async function insertIntent(db: Queryable, i: NewIntent): Promise<IntentRow> {
  return (await query<IntentRow>(db, Q.insertIntent, [
    i.id, i.accountId, i.amount, i.amountReceived, i.currency, i.status, i.clientSecret, i.description,
    JSON.stringify(i.metadata), i.paymentMethod, i.paymentMethodToken, i.latestCharge,
    i.lastPaymentError ? JSON.stringify(i.lastPaymentError) : null, JSON.stringify(i.options),
  ])).rows[0]!;
}

export async function getIntent(db: Queryable, accountId: string, id: string, forUpdate = false): Promise<IntentRow | undefined> {
  return (await query<IntentRow>(db, forUpdate ? Q.getIntentForUpdate : Q.getIntent, [accountId, id])).rows[0];
}

export interface CreatedRange { gt?: number | undefined; gte?: number | undefined; lt?: number | undefined; lte?: number | undefined }

export async function listIntents(db: Queryable, accountId: string, p: {
  created: CreatedRange; startingAfterSeq?: number | undefined; endingBeforeSeq?: number | undefined; limit: number;
}): Promise<{ rows: IntentRow[]; hasMore: boolean }> {
  const c = p.created;
  const bounds = [c.gt ?? null, c.gte ?? null, c.lt ?? null, c.lte ?? null];
  if (p.endingBeforeSeq !== undefined) {
    const rows = (await query<IntentRow>(db, Q.listIntentsAfter, [accountId, ...bounds, p.endingBeforeSeq, p.limit + 1])).rows;
    const hasMore = rows.length > p.limit;
    return { rows: rows.slice(0, p.limit).reverse(), hasMore };
  }
  const rows = (await query<IntentRow>(db, Q.listIntentsBefore, [accountId, ...bounds, p.startingAfterSeq ?? null, p.limit + 1])).rows;
  return { rows: rows.slice(0, p.limit), hasMore: rows.length > p.limit };
}

export async function listRefunds(db: Queryable, accountId: string, p: {
  paymentIntent?: string | undefined; charge?: string | undefined; created: CreatedRange;
  startingAfterSeq?: number | undefined; endingBeforeSeq?: number | undefined; limit: number;
}): Promise<{ rows: RefundRow[]; hasMore: boolean }> {
  const c = p.created;
  const head = [accountId, p.paymentIntent ?? null, p.charge ?? null, c.gt ?? null, c.gte ?? null, c.lt ?? null, c.lte ?? null];
  if (p.endingBeforeSeq !== undefined) {
    const rows = (await query<RefundRow>(db, Q.listRefundsAfter, [...head, p.endingBeforeSeq, p.limit + 1])).rows;
    return { rows: rows.slice(0, p.limit).reverse(), hasMore: rows.length > p.limit };
  }
  const rows = (await query<RefundRow>(db, Q.listRefundsBefore, [...head, p.startingAfterSeq ?? null, p.limit + 1])).rows;
  return { rows: rows.slice(0, p.limit), hasMore: rows.length > p.limit };
}
