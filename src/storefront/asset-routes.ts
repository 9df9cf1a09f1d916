// The stylesheet, the script and the generated product pictures: no database, long cache lifetimes.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import { SCRIPT, SCRIPT_VERSION, STYLESHEET, STYLESHEET_VERSION } from './storefront-assets.ts';
import { productImageSvg } from './product-image.ts';
import { IMMUTABLE, PERSONAL, sendHtml } from './page-reply.ts';
import { notFoundView } from './views/error-view.ts';

const SLUG = /^[a-z0-9][a-z0-9-]{0,119}$/;
const PICTURE_CACHE = 'public, max-age=604800';

export function assetRoutes(app: HttpServer): void {
  app.get('/assets/storefront.:version.css', {
    schema: { hide: true, params: Type.Object({ version: Type.String({ maxLength: 64 }) }) },
  }, async (req, reply) => {
    // An old version (a page cached from before a deploy) still gets today's CSS, just not for a year.
    const cacheControl = req.params.version === STYLESHEET_VERSION ? IMMUTABLE : 'public, max-age=300';
    return reply.header('cache-control', cacheControl).type('text/css; charset=utf-8').send(STYLESHEET);
  });

  app.get('/assets/storefront.:version.js', {
    schema: { hide: true, params: Type.Object({ version: Type.String({ maxLength: 64 }) }) },
  }, async (req, reply) => {
    const cacheControl = req.params.version === SCRIPT_VERSION ? IMMUTABLE : 'public, max-age=300';
    return reply.header('cache-control', cacheControl).type('text/javascript; charset=utf-8').send(SCRIPT);
  });

  app.get('/images/products/:slug.svg', {
    schema: { hide: true, params: Type.Object({ slug: Type.String({ maxLength: 200 }) }) },
  }, async (req, reply) => {
    if (!SLUG.test(req.params.slug)) return sendHtml(reply, 404, PERSONAL, notFoundView());
    return reply.header('cache-control', PICTURE_CACHE).type('image/svg+xml; charset=utf-8').send(productImageSvg(req.params.slug));
  });
}
