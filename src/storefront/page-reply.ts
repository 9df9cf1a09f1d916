// How storefront pages answer: HTML with an explicit caching policy on every response.
import type { FastifyReply } from 'fastify';
import { readCartCount } from './storefront-cookies.ts';
import { CART_LINK_SLOT, cartLink } from './views/layout-view.ts';

/** Catalog pages are the same for everyone: shared caches (CDN, proxies) may keep them briefly. */
export const CATALOG_CACHE = 'public, max-age=30';
/** Product pages show live availability, so they are cached for less time. */
export const PRODUCT_CACHE = 'public, max-age=10';
/** Cart, checkout and order pages are personal: never stored anywhere. */
export const PERSONAL = 'no-store';
/** Content-addressed or deterministic assets. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** A page the shopper's cart count personalises may be kept by their browser only, and asked for again each time. */
const PERSONALISED = 'private, no-cache';
const SLOT_BYTES = Buffer.from(CART_LINK_SLOT);

/** The page with the header's cart count filled in (the slot the layout leaves when it does not know the count). */
function withCartCount(body: string | Buffer, count: number): string | Buffer {
  const badge = cartLink(count);
  if (typeof body === 'string') return body.replace(CART_LINK_SLOT, badge);
  const at = body.indexOf(SLOT_BYTES);
  return at < 0 ? body : Buffer.concat([body.subarray(0, at), Buffer.from(badge), body.subarray(at + SLOT_BYTES.length)]);
}

/**
 * Sends a page. The header's cart count comes from the `hf_cart_count` cookie: a shared page (catalog,
 * product) stays the same bytes for every shopper without a cart, cached in process and by CDNs
 * (`Vary: Cookie`), and a shopper with a cart gets it with their count, for their browser only.
 */
export function sendHtml(reply: FastifyReply, statusCode: number, cacheControl: string, body: string | Buffer): FastifyReply {
  const shared = cacheControl.startsWith('public');
  const count = readCartCount(reply.request);
  if (shared) reply.header('vary', 'Cookie');
  return reply.code(statusCode).header('cache-control', count > 0 && shared ? PERSONALISED : cacheControl)
    .type('text/html; charset=utf-8').send(count > 0 ? withCartCount(body, count) : body);
}

/** POST-redirect-GET: 303 makes the browser GET the target, so reload never re-posts the form. */
export function redirectAfterPost(reply: FastifyReply, location: string): FastifyReply {
  return reply.header('cache-control', PERSONAL).redirect(location, 303);
}
