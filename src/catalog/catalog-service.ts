// Catalog: products, full-text search and cursor pagination. Knows SQL only through named queries.
import type { Queryable } from '../platform/db/database.ts';
import { query } from '../platform/db/database.ts';
import { CatalogQueries as Q } from './catalog-queries.ts';
import { CatalogErrors } from './catalog-errors.ts';
import { RequestErrors } from '../platform/errors/request-errors.ts';

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

type Cursor = { s: string } | { r: number; id: string };

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

const SLUG_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function decodeCursor(raw: string, kind: 'list' | 'search'): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Record<string, unknown>;
    // Cursors are opaque to clients but not tamper-proof: accept only what encodeCursor writes (a slug;
    // anything else, such as a NUL byte, would reach PostgreSQL as an error).
    if (kind === 'list' && typeof c.s === 'string' && c.s.length <= 200 && SLUG_RE.test(c.s)) return { s: c.s };
    if (kind === 'search' && typeof c.r === 'number' && Number.isFinite(c.r) && typeof c.id === 'string'
      && isUuid(c.id)) return { r: c.r, id: c.id };
  } catch { /* fall through */ }
  throw RequestErrors.INVALID_CURSOR();
}

export interface ProductPage { items: Product[]; nextCursor: string | null }

export async function listProducts(
  db: Queryable,
  opts: { q?: string | undefined; limit: number; cursor?: string | undefined; category?: string | undefined },
): Promise<ProductPage> {
  const q = opts.q?.trim();
  const category = opts.category?.trim() || null;
  if (q) {
    const c = opts.cursor ? (decodeCursor(opts.cursor, 'search') as { r: number; id: string }) : null;
    const { rows } = await query<ProductRow>(db, Q.search, [q, c?.r ?? null, c?.id ?? null, category, opts.limit + 1]);
    const page = rows.slice(0, opts.limit);
    const last = page.at(-1);
    return {
      items: page.map(toProduct),
      nextCursor: rows.length > opts.limit && last ? encodeCursor({ r: last.rank ?? 0, id: last.id }) : null,
    };
  }
  const c = opts.cursor ? (decodeCursor(opts.cursor, 'list') as { s: string }) : null;
  const { rows } = await query<ProductRow>(db, Q.listBySlug, [c?.s ?? '', category, opts.limit + 1]);
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    items: page.map(toProduct),
    nextCursor: rows.length > opts.limit && last ? encodeCursor({ s: last.slug }) : null,
  };
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
