// Operator queries over the simulator ledger, for game days, reconciliation checks and the crash test:
// which succeeded charges exist for which order (metadata order_id by default), across all accounts or one.
import { query, type Queryable } from '../platform/db/database.ts';

export interface LedgerCharge {
  intentId: string;
  accountId: string;
  orderId: string | null;
  amount: number;
  amountReceived: number;
  amountRefunded: number;
  currency: string;
  chargeId: string | null;
  created: number;
}

export interface LedgerQuery {
  /** Only this account's ledger (acct_holdfast_primary, ...); default: every account. */
  accountId?: string | undefined;
  /** Only charges for this order. */
  orderId?: string | undefined;
  /** The metadata key holding the order id; default order_id. */
  metadataKey?: string | undefined;
}

interface ChargeRow { id: string; account_id: string; order_id: string | null; amount: number; amount_received: number; amount_refunded: number; currency: string; latest_charge: string | null; created: number }

const Q = {
  succeeded: {
    name: 'psp.ops_succeeded_charges',
    text: `SELECT id, account_id, metadata->>$3 AS order_id, amount, amount_received, amount_refunded, currency, latest_charge, created
           FROM psp.payment_intents
           WHERE status = 'succeeded' AND ($1::text IS NULL OR account_id = $1) AND ($2::text IS NULL OR metadata->>$3 = $2)
           ORDER BY seq`,
  },
  countByOrder: {
    name: 'psp.ops_count_by_order',
    text: `SELECT metadata->>$2 AS order_id, count(*)::int AS charges, sum(amount_received)::bigint AS amount,
                  array_agg(id ORDER BY seq) AS intent_ids, array_agg(DISTINCT account_id) AS account_ids
           FROM psp.payment_intents
           WHERE status = 'succeeded' AND ($1::text IS NULL OR account_id = $1)
           GROUP BY 1`,
  },
  summary: {
    name: 'psp.ops_summary',
    text: `SELECT account_id, status, count(*)::int AS intents, coalesce(sum(amount_received), 0)::bigint AS received,
                  coalesce(sum(amount_refunded), 0)::bigint AS refunded
           FROM psp.payment_intents GROUP BY account_id, status ORDER BY account_id, status`,
  },
};

/** Every succeeded charge (a succeeded PaymentIntent), oldest first. */
export async function listSucceededCharges(db: Queryable, q: LedgerQuery = {}): Promise<LedgerCharge[]> {
  const rows = (await query<ChargeRow>(db, Q.succeeded, [q.accountId ?? null, q.orderId ?? null, q.metadataKey ?? 'order_id'])).rows;
  return rows.map((r) => ({
    intentId: r.id, accountId: r.account_id, orderId: r.order_id, amount: r.amount, amountReceived: r.amount_received,
    amountRefunded: r.amount_refunded, currency: r.currency, chargeId: r.latest_charge, created: r.created,
  }));
}

/** How many succeeded charges an order has (across accounts unless accountId is given). */
export async function countSucceededCharges(db: Queryable, orderId: string, q: Omit<LedgerQuery, 'orderId'> = {}): Promise<number> {
  return (await listSucceededCharges(db, { ...q, orderId })).length;
}

export interface OrderCharges { orderId: string | null; charges: number; amount: number; intentIds: string[]; accountIds: string[] }

/** Succeeded charges grouped by order id: the crash test asserts charges === 1 for every paid order. */
export async function succeededChargesByOrder(db: Queryable, q: Omit<LedgerQuery, 'orderId'> = {}): Promise<Map<string | null, OrderCharges>> {
  const rows = (await query<{ order_id: string | null; charges: number; amount: number; intent_ids: string[]; account_ids: string[] }>(
    db, Q.countByOrder, [q.accountId ?? null, q.metadataKey ?? 'order_id'])).rows;
  return new Map(rows.map((r) => [r.order_id, {
    orderId: r.order_id, charges: r.charges, amount: Number(r.amount), intentIds: r.intent_ids, accountIds: r.account_ids,
  }]));
}

export interface LedgerSummaryRow { accountId: string; status: string; intents: number; received: number; refunded: number }

export async function ledgerSummary(db: Queryable): Promise<LedgerSummaryRow[]> {
  return (await query<{ account_id: string; status: string; intents: number; received: number; refunded: number }>(db, Q.summary)).rows
    .map((r) => ({ accountId: r.account_id, status: r.status, intents: r.intents, received: r.received, refunded: r.refunded }));
}
