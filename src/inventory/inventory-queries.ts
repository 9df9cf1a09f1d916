// Named SQL for inventory. Reservation (inventory_hold_stock, src/inventory/migrations/009, which the
// checkout function calls) is a conditional update on the stock row: it succeeds only when enough
// unreserved stock remains, so concurrent buyers serialise on the row and can never oversell (and the
// table's CHECK constraint reserved <= on_hand backs that up).
import type { NamedQuery } from '../platform/db/database.ts';

export const InventoryQueries = {
  releaseHeld: {
    name: 'inventory.release_held',
    text: `WITH released AS (
             UPDATE stock_reservations SET status = 'released'
             WHERE order_id = $1 AND status = 'held' RETURNING product_id, quantity)
           UPDATE stock_levels s SET reserved = s.reserved - r.quantity, updated_at = now()
           FROM released r WHERE s.product_id = r.product_id RETURNING s.product_id`,
  },
  commitHeld: {
    name: 'inventory.commit_held',
    text: `WITH committed AS (
             UPDATE stock_reservations SET status = 'committed'
             WHERE order_id = $1 AND status = 'held' RETURNING product_id, quantity)
           UPDATE stock_levels s SET reserved = s.reserved - c.quantity, on_hand = s.on_hand - c.quantity,
             updated_at = now()
           FROM committed c WHERE s.product_id = c.product_id RETURNING s.product_id`,
  },
  get: {
    name: 'inventory.get',
    text: `SELECT product_id, on_hand, reserved, on_hand - reserved AS available, updated_at
           FROM stock_levels WHERE product_id = $1`,
  },
  availableMany: {
    name: 'inventory.available_many',
    text: `SELECT product_id, on_hand - reserved AS available FROM stock_levels WHERE product_id = ANY($1::uuid[])`,
  },
  setOnHand: {
    name: 'inventory.set_on_hand',
    text: `INSERT INTO stock_levels (product_id, on_hand) VALUES ($1, $2)
           ON CONFLICT (product_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
           RETURNING product_id, on_hand, reserved, on_hand - reserved AS available, updated_at`,
  },
  // The payment deadline written with the order's reservations at checkout (created + TTL), judged by the
  // database clock: whether any unit is still held, and the seconds left until the deadline (negative once
  // it has passed).
  paymentDeadline: {
    name: 'inventory.payment_deadline',
    text: `SELECT min(expires_at) AS deadline, coalesce(bool_or(status = 'held'), false) AS held,
                  extract(epoch FROM min(expires_at) - now())::float8 AS seconds_left
           FROM stock_reservations WHERE order_id = $1`,
  },
  orderReservations: {
    name: 'inventory.order_reservations',
    text: `SELECT product_id, quantity, status, expires_at FROM stock_reservations WHERE order_id = $1 ORDER BY product_id`,
  },
} satisfies Record<string, NamedQuery>;
