// Named SQL for the catalog context.
import type { NamedQuery } from '../platform/db/database.ts';

const PRODUCT_COLUMNS = `id, slug, sku, title, description, price_amount, currency, images, categories, active,
  created_at, updated_at`;

export const CatalogQueries = {
  listBySlug: {
    name: 'catalog.list_by_slug',
    text: `SELECT ${PRODUCT_COLUMNS} FROM products
           WHERE active AND slug > $1 AND ($2::text IS NULL OR $2 = ANY(categories))
           ORDER BY slug LIMIT $3`, // the first page passes slug > '' so the plan stays an index range scan
  },
  search: {
    name: 'catalog.search',
    // Ranked full-text search; the cursor is (rank, id) of the last row seen.
    text: `SELECT ${PRODUCT_COLUMNS}, rank FROM (
             SELECT p.*, ts_rank(p.search, q)::float8 AS rank
             FROM products p, websearch_to_tsquery('english', $1) q
             WHERE p.active AND p.search @@ q AND ($4::text IS NULL OR $4 = ANY(p.categories))
           ) ranked
           WHERE ($2::float8 IS NULL OR rank < $2 OR (rank = $2 AND id > $3::uuid))
           ORDER BY rank DESC, id LIMIT $5`,
  },
  // The other sort orders: one plan each (a static statement per order, so each stays a prepared
  // statement), the search filter and the category optional, the cursor the last row's sort key and id.
  byPriceAsc: {
    name: 'catalog.by_price_asc',
    text: `SELECT ${PRODUCT_COLUMNS} FROM products
           WHERE active AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
             AND ($2::text IS NULL OR $2 = ANY(categories))
             AND ($3::bigint IS NULL OR (price_amount, id) > ($3, $4::uuid))
           ORDER BY price_amount, id LIMIT $5`,
  },
  byPriceDesc: {
    name: 'catalog.by_price_desc',
    text: `SELECT ${PRODUCT_COLUMNS} FROM products
           WHERE active AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
             AND ($2::text IS NULL OR $2 = ANY(categories))
             AND ($3::bigint IS NULL OR (price_amount, id) < ($3, $4::uuid))
           ORDER BY price_amount DESC, id DESC LIMIT $5`,
  },
  newest: {
    name: 'catalog.newest',
    // created_at travels in the cursor as PostgreSQL's own text (microseconds kept; a JS Date would drop them).
    text: `SELECT ${PRODUCT_COLUMNS}, created_at::text AS created_key FROM products
           WHERE active AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
             AND ($2::text IS NULL OR $2 = ANY(categories))
             AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $5`,
  },
  countMatching: {
    name: 'catalog.count_matching',
    text: `SELECT count(*)::int AS n FROM products
           WHERE active AND ($1::text IS NULL OR search @@ websearch_to_tsquery('english', $1))
             AND ($2::text IS NULL OR $2 = ANY(categories))`,
  },
  bySlug: { name: 'catalog.by_slug', text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE slug = $1` },
  byId: { name: 'catalog.by_id', text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = $1` },
  byIds: { name: 'catalog.by_ids', text: `SELECT ${PRODUCT_COLUMNS} FROM products WHERE id = ANY($1::uuid[])` },
  insert: {
    name: 'catalog.insert',
    text: `INSERT INTO products (slug, sku, title, description, price_amount, currency, images, categories, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${PRODUCT_COLUMNS}`,
  },
  update: {
    name: 'catalog.update',
    text: `UPDATE products SET
             slug = coalesce($2, slug), sku = coalesce($3, sku), title = coalesce($4, title),
             description = coalesce($5, description), price_amount = coalesce($6, price_amount),
             currency = coalesce($7, currency), images = coalesce($8, images),
             categories = coalesce($9, categories), active = coalesce($10, active), updated_at = now()
           WHERE id = $1 RETURNING ${PRODUCT_COLUMNS}`,
  },
  deactivate: {
    name: 'catalog.deactivate',
    text: `UPDATE products SET active = false, updated_at = now() WHERE id = $1 RETURNING id`,
  },
  count: { name: 'catalog.count', text: `SELECT count(*)::int AS n FROM products` },
  categories: {
    name: 'catalog.categories',
    text: `SELECT c AS name, count(*)::int AS products FROM products, unnest(categories) c
           WHERE active GROUP BY c ORDER BY c`,
  },
} satisfies Record<string, NamedQuery>;
