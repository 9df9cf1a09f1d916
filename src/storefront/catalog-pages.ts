// Catalog and product pages: public, briefly cacheable, identical for every shopper but for the header's
// cart count (filled in from a cookie as the page is sent, see page-reply.ts). Two queries for the
// catalog page (the products, then their stock; categories are cached; a search also counts its matches),
// two for a product page (product, then its available stock), and each rendered page is reused for a couple of
// seconds (see src/platform/http/micro-cache.ts) so a surge on the same pages does not become a surge on the database.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { PageDeps } from './page-deps.ts';
import { listProducts, getProductBySlug, listCategories, withAvailability, PRODUCT_SORTS } from '../catalog/index.ts';
import { CATALOG_CACHE, PRODUCT_CACHE, sendHtml } from './page-reply.ts';
import { MicroCache } from '../platform/http/micro-cache.ts';
import { catalogView } from './views/catalog-view.ts';
import { productView } from './views/product-view.ts';

export const PRODUCTS_PER_PAGE = 24;
const CATEGORIES_TTL_MS = 60_000;
/** Well under the pages' Cache-Control max-age, so it adds no staleness a CDN would not. */
const RENDERED_PAGE_TTL_MS = 2_000;

/**
 * Categories change rarely and are the same for everyone, so each process keeps them for a minute
 * rather than running an aggregate query on every home page view. If the query fails the page still
 * renders, without the category filter: browsing must not depend on a nicety.
 */
function cachedCategoryNames(deps: PageDeps, log: (err: unknown) => void): () => Promise<string[]> {
  let names: string[] = [];
  let fetchedAt = 0;
  let inFlight: Promise<string[]> | null = null;
  return () => {
    if (Date.now() - fetchedAt < CATEGORIES_TTL_MS) return Promise.resolve(names);
    inFlight ??= listCategories(deps.pool)
      .then((rows) => { names = rows.map((r) => r.name); fetchedAt = Date.now(); return names; })
      .catch((err: unknown) => { log(err); return names; })
      .finally(() => { inFlight = null; });
    return inFlight;
  };
}

export function catalogPages(app: HttpServer, deps: PageDeps): void {
  const categoryNames = cachedCategoryNames(deps, (err) => app.log.warn({ err }, 'could not load categories; showing the catalog without them'));
  // Cached as encoded bytes: a hit is written to the socket without re-encoding the page.
  const catalogPagesCache = new MicroCache<Buffer>({ ttlMs: RENDERED_PAGE_TTL_MS, maxEntries: 500 });
  const productPagesCache = new MicroCache<Buffer>({ ttlMs: RENDERED_PAGE_TTL_MS, maxEntries: 2_000 });

  app.get('/', {
    schema: {
      hide: true,
      // Unknown query parameters (utm_source and friends) are ignored, not an error, on a page.
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200 })),
        category: Type.Optional(Type.String({ maxLength: 64 })),
        cursor: Type.Optional(Type.String({ maxLength: 500 })),
        sort: Type.Optional(Type.Enum(PRODUCT_SORTS)),
      }),
    },
  }, (req, reply) => {
    const q = req.query.q?.trim() ?? '';
    const category = req.query.category?.trim() || undefined;
    const cursor = req.query.cursor || undefined;
    const sort = req.query.sort === 'relevance' ? undefined : req.query.sort;
    return catalogPagesCache.serve(JSON.stringify([q, category, cursor, sort]), async () => {
      const [page, categories] = await Promise.all([
        listProducts(deps.pool, { q, category, cursor, sort, limit: PRODUCTS_PER_PAGE }),
        categoryNames(),
      ]);
      const products = await withAvailability(deps.pool, page.items, deps.lowStockThreshold);
      return Buffer.from(catalogView({ q, category, cursor, sort, products, nextCursor: page.nextCursor, total: page.total, categories }));
    }, (body) => { sendHtml(reply, 200, CATALOG_CACHE, body); });
  });

  app.get('/products/:slug', {
    schema: { hide: true, params: Type.Object({ slug: Type.String({ maxLength: 200 }) }) },
  }, (req, reply) => productPagesCache.serve(req.params.slug, async () => {
    const [product] = await withAvailability(deps.pool, [await getProductBySlug(deps.pool, req.params.slug)], deps.lowStockThreshold);
    return Buffer.from(productView(product!));
  }, (body) => { sendHtml(reply, 200, PRODUCT_CACHE, body); }));
}
