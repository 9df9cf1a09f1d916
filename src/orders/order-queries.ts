import type { NamedQuery } from '../platform/db/database.ts';

const ORDER_COLUMNS = `id, number, status, access_token_hash, email, shipping_address, payment_method, currency,
  subtotal_amount, total_amount, cart_id, idempotency_key, created_at, updated_at`;

export const OrderQueries = {
  insertEvent: {
    name: 'orders.insert_event',
    text: `INSERT INTO order_events (order_id, type, from_status, to_status, data) VALUES ($1, $2, $3, $4, $5)`,
  },
  get: { name: 'orders.get', text: `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1` },
  getForUpdate: { name: 'orders.get_for_update', text: `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE` },
  lines: {
    name: 'orders.lines',
    text: `SELECT product_id, sku, title, unit_price_amount, quantity, line_total_amount FROM order_lines
           WHERE order_id = $1 ORDER BY sku`,
  },
  linesOfMany: {
    name: 'orders.lines_of_many',
    text: `SELECT order_id, product_id, sku, title, unit_price_amount, quantity, line_total_amount FROM order_lines
           WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, sku`,
  },
  events: {
    name: 'orders.events',
    text: `SELECT type, from_status, to_status, data, created_at FROM order_events WHERE order_id = $1 ORDER BY id`,
  },
  // How many times the order was paid again with another payment method (order_events_order_idx).
  retries: {
    name: 'orders.retries',
    text: `SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = 'payment.retried'`,
  },
  lastDecline: {
    name: 'orders.last_decline',
    text: `SELECT data FROM order_events WHERE order_id = $1 AND type = 'payment.declined' ORDER BY id DESC LIMIT 1`,
  },
  setPaymentMethod: {
    name: 'orders.set_payment_method',
    text: `UPDATE orders SET payment_method = $2, updated_at = now() WHERE id = $1`,
  },
  setStatus: {
    name: 'orders.set_status',
    text: `UPDATE orders SET status = $2, updated_at = now() WHERE id = $1`,
  },
  list: {
    name: 'orders.list',
    text: `SELECT ${ORDER_COLUMNS} FROM orders
           WHERE ($1::text IS NULL OR status = $1)
             AND ($2::text IS NULL OR lower(email) = lower($2))
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $5`,
  },
  count: {
    name: 'orders.count',
    text: `SELECT count(*)::int AS n FROM orders
           WHERE ($1::text IS NULL OR status = $1)
             AND ($2::timestamptz IS NULL OR created_at >= $2)
             AND ($3::timestamptz IS NULL OR created_at < $3)`,
  },
  countByStatus: {
    name: 'orders.count_by_status',
    text: `SELECT status, count(*)::int AS n FROM orders GROUP BY status`,
  },
} satisfies Record<string, NamedQuery>;
