import type { NamedQuery } from '../platform/db/database.ts';

export const CheckoutQueries = {
  placeOrder: {
    name: 'checkout.place_order',
    // The whole checkout transaction (src/checkout/migrations/012): claim the key or replay, lock and validate
    // the cart, reserve stock, write the order with its price snapshot, lines and first event, close the
    // cart and enqueue the payment job. Run on its own it is one transaction in one round trip.
    text: `SELECT replayed, response FROM holdfast_place_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
  },
  purgeKeys: {
    name: 'checkout.purge_idempotency_keys',
    text: `DELETE FROM idempotency_records WHERE created_at < now() - make_interval(hours => $1)`,
  },
} satisfies Record<string, NamedQuery>;
