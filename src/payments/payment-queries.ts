import type { NamedQuery } from '../platform/db/database.ts';

export const PaymentQueries = {
  // From the attempt's write before the call to its outcome: the provider call's latency as the payment
  // workers lived it (retries of the call included). A scan of the table; the autoscaler reads it once a run.
  recentProviderLatency: {
    name: 'payments.recent_provider_latency',
    text: `SELECT avg(extract(epoch FROM updated_at - created_at))::float8 AS seconds, count(*)::int AS n FROM payment_attempts
           WHERE status IN ('succeeded', 'declined') AND updated_at > now() - make_interval(secs => $1)`,
  },
  acquireLease: {
    name: 'payments.acquire_lease',
    text: `UPDATE orders SET payment_lease_owner = $2, payment_lease_until = now() + make_interval(secs => $3)
           WHERE id = $1 AND (payment_lease_until IS NULL OR payment_lease_until < now() OR payment_lease_owner = $2)
           RETURNING status, total_amount, currency, payment_method`,
  },
  renewLease: {
    name: 'payments.renew_lease',
    // Only while it is still ours: a lease another worker took, or that was cleared as lapsed, is lost.
    text: `UPDATE orders SET payment_lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND payment_lease_owner = $2`,
  },
  lapsedLeases: {
    name: 'payments.lapsed_leases',
    // Taken and neither released nor renewed: the worker that held it died (or stalled past it).
    text: `SELECT id FROM orders
           WHERE status = 'pending_payment' AND payment_lease_owner IS NOT NULL AND payment_lease_until < now()
           LIMIT $1`,
  },
  clearLapsedLease: {
    name: 'payments.clear_lapsed_lease',
    text: `UPDATE orders SET payment_lease_owner = NULL, payment_lease_until = NULL
           WHERE id = $1 AND payment_lease_owner IS NOT NULL AND payment_lease_until < now()`,
  },
  releaseLease: {
    name: 'payments.release_lease',
    text: `UPDATE orders SET payment_lease_owner = NULL, payment_lease_until = NULL WHERE id = $1 AND payment_lease_owner = $2`,
  },
  orderStatus: { name: 'payments.order_status', text: `SELECT status FROM orders WHERE id = $1` },
  unresolvedAttempt: {
    name: 'payments.unresolved_attempt',
    text: `SELECT * FROM payment_attempts WHERE order_id = $1 AND status IN ('pending', 'in_doubt')
           ORDER BY attempt_no DESC LIMIT 1`,
  },
  attemptsOf: {
    name: 'payments.attempts_of',
    text: `SELECT * FROM payment_attempts WHERE order_id = $1 ORDER BY attempt_no`,
  },
  succeededAttempt: {
    name: 'payments.succeeded_attempt',
    text: `SELECT * FROM payment_attempts WHERE order_id = $1 AND status = 'succeeded'`,
  },
  insertAttempt: {
    name: 'payments.insert_attempt',
    text: `INSERT INTO payment_attempts (order_id, attempt_no, provider, amount, currency, payment_method, confirms_intent_id)
           VALUES ($1, (SELECT coalesce(max(attempt_no), 0) + 1 FROM payment_attempts WHERE order_id = $1), $2, $3, $4, $5, $6)
           RETURNING *`,
  },
  intentToConfirmAgain: {
    name: 'payments.intent_to_confirm_again',
    // The intent the order's last decline at this provider left waiting for a new payment method. Only the
    // last decline counts: if it left no intent (a definitive invalid request), a new intent is created.
    text: `SELECT provider_intent_id FROM payment_attempts WHERE order_id = $1 AND provider = $2 AND status = 'declined'
           ORDER BY attempt_no DESC LIMIT 1`,
  },
  markAttempt: {
    name: 'payments.mark_attempt',
    text: `UPDATE payment_attempts SET status = $2, provider_intent_id = coalesce($3, provider_intent_id),
             error_code = $4, decline_code = $5, error_message = coalesce($6, error_message), updated_at = now()
           WHERE id = $1`,
  },
  countAttempts: { name: 'payments.count_attempts', text: `SELECT count(*)::int AS n FROM payment_attempts WHERE order_id = $1 AND status <> 'not_sent'` },
  insertRefund: {
    name: 'payments.insert_refund',
    text: `INSERT INTO refunds (order_id, attempt_id, provider, amount, provider_refund_id, reason) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (attempt_id) DO NOTHING`,
  },
  // Idempotency-Key of a request to pay an order again (scope order-payment:<orderId>), in the table
  // checkout's keys use: a concurrent request with the same key waits on the claimed row, then replays.
  claimPayAgainKey: {
    name: 'payments.claim_pay_again_key',
    text: `INSERT INTO idempotency_records (scope, key, request_hash, response_status, response_body)
           VALUES ($1, $2, $3, 202, '{}') ON CONFLICT DO NOTHING`,
  },
  getPayAgainKey: {
    name: 'payments.get_pay_again_key',
    text: `SELECT request_hash, response_body FROM idempotency_records WHERE scope = $1 AND key = $2`,
  },
  savePayAgainResponse: {
    name: 'payments.save_pay_again_response',
    text: `UPDATE idempotency_records SET response_body = $3 WHERE scope = $1 AND key = $2`,
  },
  unpaidPastDeadline: {
    name: 'payments.unpaid_past_deadline',
    // Orders still unpaid after the deadline, with no attempt whose outcome is unknown (those must be
    // resolved first, or canceling could leave a charge without an order). A declined order holds its
    // items until the deadline its reservations carry (what its page promised the shopper).
    text: `SELECT o.id FROM orders o
           WHERE ((o.status = 'pending_payment' AND o.created_at < now() - make_interval(secs => $1))
               OR (o.status = 'payment_failed' AND o.id IN (SELECT r.order_id FROM stock_reservations r
                     WHERE r.status = 'held' AND r.expires_at <= now())))
             AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.order_id = o.id AND a.status IN ('pending', 'in_doubt'))
             AND (o.payment_lease_until IS NULL OR o.payment_lease_until < now())
           LIMIT $2`,
  },
  // Reconciliation: the order ledger of a period (each order with each of its attempts), and its findings.
  reconciliationLedger: {
    name: 'payments.reconciliation_ledger',
    text: `SELECT o.id AS order_id, o.status, o.total_amount, a.id AS attempt_id, a.status AS attempt_status, a.provider,
                  a.provider_intent_id, EXISTS (SELECT 1 FROM refunds r WHERE r.attempt_id = a.id) AS refunded
           FROM orders o LEFT JOIN payment_attempts a ON a.order_id = o.id
           WHERE o.created_at >= to_timestamp($1) - interval '1 hour'`,
  },
  insertFinding: {
    name: 'payments.insert_reconciliation_finding',
    text: `INSERT INTO reconciliation_findings (kind, provider, order_id, intent_id, details, action) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING`,
  },
  findings: {
    name: 'payments.reconciliation_findings',
    text: `SELECT id, kind, provider, order_id AS "orderId", intent_id AS "intentId", details, action, created_at AS "createdAt"
           FROM reconciliation_findings ORDER BY id DESC LIMIT $1`,
  },
} satisfies Record<string, NamedQuery>;

export interface AttemptRow {
  id: string; order_id: string; attempt_no: number; provider: string; amount: number; currency: string;
  payment_method: string; status: 'pending' | 'in_doubt' | 'not_sent' | 'succeeded' | 'declined';
  /** The existing intent this attempt confirms again (paying a declined order again); null: it creates one. */
  confirms_intent_id: string | null;
  provider_intent_id: string | null; error_code: string | null; decline_code: string | null; error_message: string | null;
  created_at: Date; updated_at: Date;
}
