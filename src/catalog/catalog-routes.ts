import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses, MoneySchema } from '../platform/http/schemas.ts';
import { listProducts, getProductBySlug, PRODUCT_SORTS } from './catalog-service.ts';
import { AVAILABILITIES, withAvailability } from './product-availability.ts';
import { MicroCache } from '../platform/http/micro-cache.ts';

/**
 * Catalog listings are the same for every shopper and already public for 5 s (Cache-Control); holding
 * them for 2 s in process means a surge of browsers costs one query per distinct page per 2 s.
 */
const LISTING_CACHE_TTL_MS = 2000;

export const ProductSchema = Type.Object({
  id: Type.String(), slug: Type.String(), sku: Type.String(), title: Type.String(), description: Type.String(),
  price: MoneySchema, images: Type.Array(Type.String()), categories: Type.Array(Type.String()),
  active: Type.Boolean(), createdAt: Type.String(), updatedAt: Type.String(),
  available: Type.Optional(Type.Integer({ description: 'Units that can be ordered now' })),
  availability: Type.Optional(Type.Enum(AVAILABILITIES, {
    description: 'sold_out at 0 units, low_stock up to HOLDFAST_LOW_STOCK_THRESHOLD, else in_stock',
  })),
});

export function catalogRoutes(app: HttpServer, deps: { pool: pg.Pool; lowStockThreshold: number }): void {
  // Holds the serialized JSON bytes: a hit costs neither a query nor a serialization nor an encoding.
  const listings = new MicroCache<Buffer>({ ttlMs: LISTING_CACHE_TTL_MS, maxEntries: 1000 });
  app.get('/api/products', {
    schema: {
      tags: ['catalog'], summary: 'List or search products (cursor pagination)',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })),
        category: Type.Optional(Type.String({ maxLength: 64 })),
        limit: Type.Integer({ minimum: 1, maximum: 100, default: 24 }),
        cursor: Type.Optional(Type.String({ maxLength: 500 })),
        sort: Type.Optional(Type.Enum(PRODUCT_SORTS, {
          description: 'relevance (the default: search rank, or by name without q), price_asc, price_desc or newest; a cursor belongs to its sort order',
        })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          items: Type.Array(ProductSchema), nextCursor: Type.Union([Type.String(), Type.Null()]),
          total: Type.Optional(Type.Integer({ description: 'How many products match the search in all (only with q)' })),
        }),
        ...errorResponses(400),
      },
    },
  }, (req, reply) => {
    const { q, category, limit, cursor, sort } = req.query;
    // Bytes with a JSON content type are sent as they are (serialized once, when cached). Availability is
    // cached with the page: at most 2 s old, inside the 5 s the response may be cached anyway.
    return listings.serve(JSON.stringify([q, category, limit, cursor, sort]), async () => {
      const page = await listProducts(deps.pool, req.query);
      return Buffer.from(JSON.stringify({ ...page, items: await withAvailability(deps.pool, page.items, deps.lowStockThreshold) }));
    },
      (body) => { reply.header('cache-control', 'public, max-age=5').type('application/json; charset=utf-8').send(body as never); });
  });

  app.get('/api/products/:slug', {
    schema: {
      tags: ['catalog'], summary: 'One product by slug, with available stock',
      params: Type.Object({ slug: Type.String({ maxLength: 200 }) }),
      response: { 200: ProductSchema, ...errorResponses(404) },
    },
  }, async (req, reply) => {
    const [product] = await withAvailability(deps.pool, [await getProductBySlug(deps.pool, req.params.slug)], deps.lowStockThreshold);
    reply.header('cache-control', 'public, max-age=5');
    return product!;
  });
}
