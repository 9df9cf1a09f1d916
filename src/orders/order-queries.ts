import type { NamedQuery } from '../platform/db/database.ts';

const ORDER_COLUMNS = `id, number, status, access_token_hash, email, shipping_address, payment_method, currency,
  subtotal_amount, total_amount, cart_id, idempotency_key, created_at, updated_at`;

export const OrderQueries = {
  insertWithLinesAndEvent: {
    name: 'orders.insert_with_lines_and_event',
    // The order, its price-snapshot lines and its first event in one round trip.
    text: `WITH o AS (
             INSERT INTO orders (id, status, access_token_hash, email, shipping_address, payment_method, currency,
               subtotal_amount, total_amount, cart_id, idempotency_key)
             VALUES ($1, 'pending_payment', $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${ORDER_COLUMNS}),
           l AS (
             INSERT INTO order_lines (order_id, product_id, sku, title, unit_price_amount, quantity, line_total_amount)
             SELECT $1, * FROM unnest($11::uuid[], $12::text[], $13::text[], $14::bigint[], $15::int[], $16::bigint[])),
           e AS (
             INSERT INTO order_events (order_id, type, from_status, to_status, data)
             SELECT id, 'order.created', NULL, 'pending_payment', $17 FROM o)
           SELECT * FROM o`,
  },
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
  events: {
    name: 'orders.events',
    text: `SELECT type, from_status, to_status, data, created_at FROM order_events WHERE order_id = $1 ORDER BY id`,
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
  countByStatus: {
    name: 'orders.count_by_status',
    text: `SELECT status, count(*)::int AS n FROM orders GROUP BY status`,
  },
} satisfies Record<string, NamedQuery>;
