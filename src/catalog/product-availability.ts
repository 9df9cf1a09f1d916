// What a listing tells a shopper about stock: in stock, low (a few left) or sold out. The catalog owns the
// words and the threshold; the numbers are inventory's (on hand less what checkouts hold).
import type { Queryable } from '../platform/db/database.ts';
import { availableStock } from '../inventory/index.ts';
import type { Product } from './catalog-service.ts';

export const AVAILABILITIES = ['in_stock', 'low_stock', 'sold_out'] as const;
export type Availability = typeof AVAILABILITIES[number];

export interface ListedProduct extends Product {
  /** Units a shopper can still order now. */
  available: number;
  availability: Availability;
}

/** Sold out at 0, low stock from 1 up to the threshold (inclusive), in stock above it. */
export function availabilityOf(available: number, lowStockThreshold: number): Availability {
  if (available <= 0) return 'sold_out';
  return available <= lowStockThreshold ? 'low_stock' : 'in_stock';
}

/** The products with their stock, in one query for the whole page (a product without stock is sold out). */
export async function withAvailability(db: Queryable, products: Product[], lowStockThreshold: number): Promise<ListedProduct[]> {
  const stock = await availableStock(db, products.map((p) => p.id));
  return products.map((p) => {
    const available = Math.max(0, stock.get(p.id) ?? 0);
    return { ...p, available, availability: availabilityOf(available, lowStockThreshold) };
  });
}
