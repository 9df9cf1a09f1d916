// Anonymous carts. The cart id is a random 122-bit UUID and works as the cart's bearer capability (it is
// only ever given to the shopper who created it; the storefront keeps it in a signed cookie). Totals are
// always computed here from current prices: the client never sends a price.
import type pg from 'pg';
import type { Queryable } from '../platform/db/database.ts';
import { query, withTransaction } from '../platform/db/database.ts';
import { getProductsByIds, isUuid, type Money } from '../catalog/index.ts';
import { CartQueries as Q } from './cart-queries.ts';
import { CartErrors } from './cart-errors.ts';

export const MAX_QUANTITY_PER_LINE = 99;
export const MAX_LINES_PER_CART = 100;

export interface CartLine {
  productId: string; slug: string; sku: string; title: string; image: string | null;
  unitPrice: Money; quantity: number; lineTotal: Money; available: number; purchasable: boolean;
}

export interface Cart {
  id: string; currency: string; checkedOut: boolean; lines: CartLine[]; itemCount: number; subtotal: Money;
}

interface CartRow { id: string; currency: string; checked_out_at: Date | null }
interface LineRow {
  product_id: string; quantity: number; slug: string; sku: string; title: string; price_amount: number;
  currency: string; active: boolean; images: string[]; available: number;
}

export async function createCart(db: Queryable, currency = 'USD'): Promise<Cart> {
  const { rows } = await query<CartRow>(db, Q.create, [currency]);
  return { id: rows[0]!.id, currency, checkedOut: false, lines: [], itemCount: 0, subtotal: { amount: 0, currency } };
}

async function loadCartRow(db: Queryable, id: string, forUpdate = false): Promise<CartRow> {
  if (!isUuid(id)) throw CartErrors.CART_NOT_FOUND();
  const { rows } = await query<CartRow>(db, forUpdate ? Q.getForUpdate : Q.get, [id]);
  if (!rows[0]) throw CartErrors.CART_NOT_FOUND();
  return rows[0];
}

export async function getCart(db: Queryable, id: string, forUpdate = false): Promise<Cart> {
  const cart = await loadCartRow(db, id, forUpdate);
  const { rows } = await query<LineRow>(db, Q.lines, [id]);
  const currency = cart.currency.trim();
  const lines = rows.map((r): CartLine => ({
    productId: r.product_id, slug: r.slug, sku: r.sku, title: r.title, image: r.images[0] ?? null,
    unitPrice: { amount: r.price_amount, currency: r.currency.trim() }, quantity: r.quantity,
    lineTotal: { amount: r.price_amount * r.quantity, currency: r.currency.trim() },
    available: r.available, purchasable: r.active,
  }));
  return {
    id: cart.id, currency, checkedOut: cart.checked_out_at !== null, lines,
    itemCount: lines.reduce((n, l) => n + l.quantity, 0),
    subtotal: { amount: lines.filter((l) => l.purchasable).reduce((n, l) => n + l.lineTotal.amount, 0), currency },
  };
}

async function mutate(pool: pg.Pool, cartId: string, fn: (tx: pg.PoolClient, cart: CartRow) => Promise<void>): Promise<Cart> {
  return withTransaction(pool, async (tx) => {
    const cart = await loadCartRow(tx, cartId, true);
    if (cart.checked_out_at) throw CartErrors.CART_CHECKED_OUT();
    await fn(tx, cart);
    await query(tx, Q.touch, [cartId]);
    return getCart(tx, cartId);
  });
}

async function setLineQuantity(tx: Queryable, cart: CartRow, productId: string, quantity: number): Promise<void> {
  const product = (await getProductsByIds(tx, [productId])).get(productId);
  if (!product || !product.active) throw CartErrors.CART_PRODUCT_UNAVAILABLE(undefined, { productId });
  if (product.price.currency !== cart.currency.trim()) throw CartErrors.CART_CURRENCY_MISMATCH();
  if (quantity > MAX_QUANTITY_PER_LINE) throw CartErrors.CART_QUANTITY_LIMIT();
  await query(tx, Q.upsertLine, [cart.id, productId, quantity]);
}

/** Adds quantity of a product; adding a product already in the cart increases its line. */
export function addItem(pool: pg.Pool, cartId: string, productId: string, quantity: number): Promise<Cart> {
  return mutate(pool, cartId, async (tx, cart) => {
    const existing = (await query<{ quantity: number }>(tx, Q.lineQuantity, [cartId, productId])).rows[0]?.quantity;
    if (existing === undefined) {
      const { rows } = await query<{ n: number }>(tx, Q.lineCount, [cartId]);
      if ((rows[0]?.n ?? 0) >= MAX_LINES_PER_CART) throw CartErrors.CART_TOO_MANY_LINES();
    }
    await setLineQuantity(tx, cart, productId, (existing ?? 0) + quantity);
  });
}

/** Sets a line's quantity; 0 removes the line. */
export function updateLine(pool: pg.Pool, cartId: string, productId: string, quantity: number): Promise<Cart> {
  return mutate(pool, cartId, async (tx, cart) => {
    const existing = (await query<{ quantity: number }>(tx, Q.lineQuantity, [cartId, productId])).rows[0];
    if (!existing) throw CartErrors.CART_LINE_NOT_FOUND();
    if (quantity === 0) await query(tx, Q.deleteLine, [cartId, productId]);
    else await setLineQuantity(tx, cart, productId, quantity);
  });
}

export function removeLine(pool: pg.Pool, cartId: string, productId: string): Promise<Cart> {
  return mutate(pool, cartId, async (tx) => {
    if (!isUuid(productId)) throw CartErrors.CART_LINE_NOT_FOUND();
    const { rowCount } = await query(tx, Q.deleteLine, [cartId, productId]);
    if (!rowCount) throw CartErrors.CART_LINE_NOT_FOUND();
  });
}
