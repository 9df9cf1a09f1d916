// How storefront pages answer: HTML with an explicit caching policy on every response.
import type { FastifyReply } from 'fastify';

/** Catalog pages are the same for everyone: shared caches (CDN, proxies) may keep them briefly. */
export const CATALOG_CACHE = 'public, max-age=30';
/** Product pages show live availability, so they are cached for less time. */
export const PRODUCT_CACHE = 'public, max-age=10';
/** Cart, checkout and order pages are personal: never stored anywhere. */
export const PERSONAL = 'no-store';
/** Content-addressed or deterministic assets. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

export function sendHtml(reply: FastifyReply, statusCode: number, cacheControl: string, body: string | Buffer): FastifyReply {
  return reply.code(statusCode).header('cache-control', cacheControl).type('text/html; charset=utf-8').send(body);
}

/** POST-redirect-GET: 303 makes the browser GET the target, so reload never re-posts the form. */
export function redirectAfterPost(reply: FastifyReply, location: string): FastifyReply {
  return reply.header('cache-control', PERSONAL).redirect(location, 303);
}
