import type { NamedQuery } from '../platform/db/database.ts';

export const CartQueries = {
  create: { name: 'cart.create', text: `INSERT INTO carts (currency) VALUES ($1) RETURNING id, currency, checked_out_at` },
  get: { name: 'cart.get', text: `SELECT id, currency, checked_out_at FROM carts WHERE id = $1` },
  getForUpdate: { name: 'cart.get_for_update', text: `SELECT id, currency, checked_out_at FROM carts WHERE id = $1 FOR UPDATE` },
  lines: {
    name: 'cart.lines',
    text: `SELECT l.product_id, l.quantity, p.slug, p.sku, p.title, p.price_amount, p.currency, p.active, p.images,
                  coalesce(s.on_hand - s.reserved, 0) AS available
           FROM cart_lines l JOIN products p ON p.id = l.product_id
           LEFT JOIN stock_levels s ON s.product_id = l.product_id
           WHERE l.cart_id = $1 ORDER BY l.added_at, l.product_id`,
  },
  lineCount: { name: 'cart.line_count', text: `SELECT count(*)::int AS n FROM cart_lines WHERE cart_id = $1` },
  lineQuantity: { name: 'cart.line_quantity', text: `SELECT quantity FROM cart_lines WHERE cart_id = $1 AND product_id = $2` },
  upsertLine: {
    name: 'cart.upsert_line',
    text: `INSERT INTO cart_lines (cart_id, product_id, quantity) VALUES ($1, $2, $3)
           ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity`,
  },
  deleteLine: { name: 'cart.delete_line', text: `DELETE FROM cart_lines WHERE cart_id = $1 AND product_id = $2` },
  touch: { name: 'cart.touch', text: `UPDATE carts SET updated_at = now() WHERE id = $1` },
} satisfies Record<string, NamedQuery>;
