// Catalog: products, full-text search and cursor pagination. Knows SQL only through named queries.
import type { Queryable } from '../platform/db/database.ts';
import { query } from '../platform/db/database.ts';
import { CatalogQueries as Q } from './catalog-queries.ts';
import { CatalogErrors } from './catalog-errors.ts';
import { RequestErrors } from '../platform/errors/request-errors.ts';
import { daysInMonth } from '../platform/time/calendar.ts';

export interface Money { amount: number; currency: string }

export interface Product {
  id: string;
  slug: string;
  sku: string;
  title: string;
  description: string;
  price: Money;
  images: string[];
  categories: string[];
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

interface ProductRow {
  id: string; slug: string; sku: string; title: string; description: string; price_amount: number;
  currency: string; images: string[]; categories: string[]; active: boolean; created_at: Date; updated_at: Date;
  rank?: number;
}

function toProduct(r: ProductRow): Product {
  return {
    id: r.id, slug: r.slug, sku: r.sku, title: r.title, description: r.description,
    price: { amount: r.price_amount, currency: r.currency.trim() },
    images: r.images, categories: r.categories, active: r.active,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

/** The orders a listing can be sorted in. `relevance` is the search rank; without a search, the catalog's own order (by name). */
export const PRODUCT_SORTS = ['relevance', 'price_asc', 'price_desc', 'newest'] as const;
export type ProductSort = typeof PRODUCT_SORTS[number];

// Each order has its own cursor: the last row's sort key and id, and the order it belongs to (a cursor
// from one order handed to another would skip or repeat rows, so it is refused).
type Cursor =
  | { s: string }
  | { r: number; id: string }
  | { o: 'price_asc' | 'price_desc'; p: number; id: string }
  | { o: 'newest'; t: string; id: string };
type CursorKind = 'list' | 'search' | 'price_asc' | 'price_desc' | 'newest';

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** PostgreSQL's text form of a timestamptz, as the `newest` query writes it ("2026-12-01 21:32:54.123456+00"). */
const PG_TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?[+-](\d{2})(?::(\d{2}))?$/;

/**
 * A timestamp PostgreSQL accepts: the right shape and a real date and time (month 13, February 30th, year
 * 0 or an offset of +99 have the shape and would fail in the query's cast instead, as a 500).
 */
function isPgTimestamp(text: string): boolean {
  const m = PG_TIMESTAMP_RE.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const days = daysInMonth(year!, month!);
  return year! >= 1 && days !== undefined && day! >= 1 && day! <= days && hour! <= 23 && minute! <= 59
    && second! <= 59 && offsetHours! <= 15 && offsetMinutes! <= 59;
}

function decodeCursor(raw: string, kind: CursorKind): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>;
    // Cursors are opaque to clients but not tamper-proof: accept only what encodeCursor writes (a slug;
    // anything else, such as a NUL byte, would reach PostgreSQL as an error).
    if (kind === 'list' && typeof c.s === 'string' && c.s.length <= 200 && SLUG_RE.test(c.s)) return { s: c.s };
    if (kind === 'search' && typeof c.r === 'number' && Number.isFinite(c.r) && typeof c.id === 'string'
      && isUuid(c.id)) return { r: c.r, id: c.id };
    if ((kind === 'price_asc' || kind === 'price_desc') && c.o === kind && Number.isSafeInteger(c.p) && (c.p as number) >= 0
      && typeof c.id === 'string' && isUuid(c.id)) return { o: kind, p: c.p as number, id: c.id };
    if (kind === 'newest' && c.o === kind && typeof c.t === 'string' && isPgTimestamp(c.t)
      && typeof c.id === 'string' && isUuid(c.id)) return { o: kind, t: c.t, id: c.id };
  } catch { /* fall through */ }
  throw RequestErrors.INVALID_CURSOR();
}

export interface ProductPage {
  items: Product[];
  nextCursor: string | null;
  /** How many products match a search in all (set only for a search: a plain listing does not count). */
  total?: number;
}

export interface ListProductsOptions {
  q?: string | undefined; limit: number; cursor?: string | undefined; category?: string | undefined;
  sort?: ProductSort | undefined;
}

/** One page of a sorted listing: limit + 1 rows were asked for, so a row more means another page. */
function pageOf<R extends ProductRow>(rows: R[], limit: number, cursorOf: (last: R) => Cursor): ProductPage {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toProduct), nextCursor: rows.length > limit && last ? encodeCursor(cursorOf(last)) : null };
}

async function sortedPage(db: Queryable, opts: ListProductsOptions, q: string | null, category: string | null): Promise<ProductPage> {
  const sort = opts.sort ?? 'relevance';
  if (sort === 'price_asc' || sort === 'price_desc') {
    const c = opts.cursor ? (decodeCursor(opts.cursor, sort) as { p: number; id: string }) : null;
    const { rows } = await query<ProductRow>(db, sort === 'price_asc' ? Q.byPriceAsc : Q.byPriceDesc,
      [q, category, c?.p ?? null, c?.id ?? null, opts.limit + 1]);
    return pageOf(rows, opts.limit, (last) => ({ o: sort, p: last.price_amount, id: last.id }));
  }
  if (sort === 'newest') {
    const c = opts.cursor ? (decodeCursor(opts.cursor, 'newest') as { t: string; id: string }) : null;
    const { rows } = await query<ProductRow & { created_key: string }>(db, Q.newest, [q, category, c?.t ?? null, c?.id ?? null, opts.limit + 1]);
    return pageOf(rows, opts.limit, (last) => ({ o: 'newest', t: last.created_key, id: last.id }));
  }
  if (q) {
    const c = opts.cursor ? (decodeCursor(opts.cursor, 'search') as { r: number; id: string }) : null;
    const { rows } = await query<ProductRow>(db, Q.search, [q, c?.r ?? null, c?.id ?? null, category, opts.limit + 1]);
    return pageOf(rows, opts.limit, (last) => ({ r: last.rank ?? 0, id: last.id }));
  }
  const c = opts.cursor ? (decodeCursor(opts.cursor, 'list') as { s: string }) : null;
  const { rows } = await query<ProductRow>(db, Q.listBySlug, [c?.s ?? '', category, opts.limit + 1]);
  return pageOf(rows, opts.limit, (last) => ({ s: last.slug }));
}

/**
 * A page of products: the catalog in name order, or a search by relevance, either one sorted by price
 * or newest first instead when asked. A search also counts its matches (one more query; a plain listing,
 * the hot path, does not).
 */
export async function listProducts(db: Queryable, opts: ListProductsOptions): Promise<ProductPage> {
  const q = opts.q?.trim() || null;
  const category = opts.category?.trim() || null;
  if (!q) return sortedPage(db, opts, null, category);
  const [page, total] = await Promise.all([
    sortedPage(db, opts, q, category),
    query<{ n: number }>(db, Q.countMatching, [q, category]).then((r) => r.rows[0]?.n ?? 0),
  ]);
  return { ...page, total };
}

export async function getProductBySlug(db: Queryable, slug: string): Promise<Product> {
  const { rows } = await query<ProductRow>(db, Q.bySlug, [slug]);
  const row = rows[0];
  if (!row || !row.active) throw CatalogErrors.PRODUCT_NOT_FOUND(`No product with slug "${slug}".`);
  return toProduct(row);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean { return UUID_RE.test(s); }

/** Admin lookup: includes inactive products. */
export async function getProductById(db: Queryable, id: string): Promise<Product> {
  if (!isUuid(id)) throw CatalogErrors.PRODUCT_NOT_FOUND(`No product with id "${id}".`);
  const { rows } = await query<ProductRow>(db, Q.byId, [id]);
  if (!rows[0]) throw CatalogErrors.PRODUCT_NOT_FOUND(`No product with id "${id}".`);
  return toProduct(rows[0]);
}

export async function getProductsByIds(db: Queryable, ids: string[]): Promise<Map<string, Product>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const { rows } = await query<ProductRow>(db, Q.byIds, [valid]);
  return new Map(rows.map((r) => [r.id, toProduct(r)]));
}

export interface ProductInput {
  slug: string; sku: string; title: string; description?: string | undefined; price: Money;
  images?: string[] | undefined; categories?: string[] | undefined; active?: boolean | undefined;
}

function mapUniqueViolation(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'products_slug_key') throw CatalogErrors.PRODUCT_SLUG_TAKEN();
  if (e.code === '23505' && e.constraint === 'products_sku_key') throw CatalogErrors.PRODUCT_SKU_TAKEN();
  throw err;
}

export async function createProduct(db: Queryable, p: ProductInput): Promise<Product> {
  try {
    const { rows } = await query<ProductRow>(db, Q.insert, [
      p.slug, p.sku, p.title, p.description ?? '', p.price.amount, p.price.currency,
      p.images ?? [], p.categories ?? [], p.active ?? true,
    ]);
    return toProduct(rows[0]!);
  } catch (err) {
    return mapUniqueViolation(err);
  }
}

export async function updateProduct(db: Queryable, id: string, p: Partial<ProductInput>): Promise<Product> {
  if (!isUuid(id)) throw CatalogErrors.PRODUCT_NOT_FOUND();
  try {
    const { rows } = await query<ProductRow>(db, Q.update, [
      id, p.slug ?? null, p.sku ?? null, p.title ?? null, p.description ?? null, p.price?.amount ?? null,
      p.price?.currency ?? null, p.images ?? null, p.categories ?? null, p.active ?? null,
    ]);
    if (!rows[0]) throw CatalogErrors.PRODUCT_NOT_FOUND();
    return toProduct(rows[0]);
  } catch (err) {
    return mapUniqueViolation(err);
  }
}

/** Products are never hard-deleted (orders reference them); they are taken off sale. */
export async function deactivateProduct(db: Queryable, id: string): Promise<void> {
  if (!isUuid(id)) throw CatalogErrors.PRODUCT_NOT_FOUND();
  const { rowCount } = await query(db, Q.deactivate, [id]);
  if (!rowCount) throw CatalogErrors.PRODUCT_NOT_FOUND();
}

export async function countProducts(db: Queryable): Promise<number> {
  const { rows } = await query<{ n: number }>(db, Q.count);
  return rows[0]?.n ?? 0;
}

export async function listCategories(db: Queryable): Promise<{ name: string; products: number }[]> {
  return (await query<{ name: string; products: number }>(db, Q.categories)).rows;
}
