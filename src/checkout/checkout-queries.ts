import type { NamedQuery } from '../platform/db/database.ts';

export const CheckoutQueries = {
  claimKey: {
    name: 'checkout.claim_idempotency_key',
    // Inserting first makes a concurrent request with the same key wait on this row until we commit.
    // The response is known up front (ids are generated before the transaction); if the checkout fails,
    // the transaction rolls back and the record with it.
    text: `INSERT INTO idempotency_records (scope, key, request_hash, response_status, response_body)
           VALUES ('checkout', $1, $2, 202, $3) ON CONFLICT DO NOTHING RETURNING key`,
  },
  findKey: {
    name: 'checkout.find_idempotency_key',
    text: `SELECT request_hash, response_status, response_body FROM idempotency_records WHERE scope = 'checkout' AND key = $1`,
  },
  purgeKeys: {
    name: 'checkout.purge_idempotency_keys',
    text: `DELETE FROM idempotency_records WHERE created_at < now() - make_interval(hours => $1)`,
  },
} satisfies Record<string, NamedQuery>;
