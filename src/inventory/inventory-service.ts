// Inventory: on-hand stock, and release and commit of the reservations checkout makes (the reservation
// itself is inventory_hold_stock, src/inventory/migrations/009, called by the checkout function).
import type { Queryable } from '../platform/db/database.ts';
import { query } from '../platform/db/database.ts';
import { InventoryQueries as Q } from './inventory-queries.ts';
import { InventoryErrors } from './inventory-errors.ts';

export interface StockLevel { productId: string; onHand: number; reserved: number; available: number; updatedAt: string }

interface StockRow { product_id: string; on_hand: number; reserved: number; available: number; updated_at: Date }
const toStock = (r: StockRow): StockLevel => ({
  productId: r.product_id, onHand: r.on_hand, reserved: r.reserved, available: r.available, updatedAt: r.updated_at.toISOString(),
});

/** Returns held stock to the shelf (order canceled, by the shopper's payment deadline or an admin). */
export async function releaseReservations(tx: Queryable, orderId: string): Promise<number> {
  return (await query(tx, Q.releaseHeld, [orderId])).rowCount ?? 0;
}

/** Turns held stock into sold stock (order paid). */
export async function commitReservations(tx: Queryable, orderId: string): Promise<number> {
  return (await query(tx, Q.commitHeld, [orderId])).rowCount ?? 0;
}

export async function getStockLevel(db: Queryable, productId: string): Promise<StockLevel> {
  const { rows } = await query<StockRow>(db, Q.get, [productId]);
  if (!rows[0]) throw InventoryErrors.STOCK_NOT_FOUND();
  return toStock(rows[0]);
}

export async function availableStock(db: Queryable, productIds: string[]): Promise<Map<string, number>> {
  if (productIds.length === 0) return new Map();
  const { rows } = await query<{ product_id: string; available: number }>(db, Q.availableMany, [productIds]);
  return new Map(rows.map((r) => [r.product_id, r.available]));
}

export async function setOnHand(db: Queryable, productId: string, onHand: number): Promise<StockLevel> {
  try {
    const { rows } = await query<StockRow>(db, Q.setOnHand, [productId, onHand]);
    return toStock(rows[0]!);
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'stock_never_oversold') {
      throw InventoryErrors.STOCK_BELOW_RESERVED();
    }
    throw err;
  }
}

/**
 * The order's payment deadline (its reservations' expiry), whether its items are still held, and the
 * seconds left until the deadline by the database clock (negative once passed; null: no reservations).
 */
export async function paymentDeadline(db: Queryable, orderId: string): Promise<{ deadline: Date | null; itemsHeld: boolean; secondsLeft: number | null }> {
  const row = (await query<{ deadline: Date | null; held: boolean; seconds_left: number | null }>(db, Q.paymentDeadline, [orderId])).rows[0];
  return { deadline: row?.deadline ?? null, itemsHeld: row?.held ?? false, secondsLeft: row?.seconds_left ?? null };
}

export async function orderReservations(db: Queryable, orderId: string) {
  return (await query<{ product_id: string; quantity: number; status: string; expires_at: Date }>(db, Q.orderReservations, [orderId])).rows
    .map((r) => ({ productId: r.product_id, quantity: r.quantity, status: r.status, expiresAt: r.expires_at.toISOString() }));
}
