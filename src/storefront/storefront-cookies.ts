// The storefront's only state lives in signed, httpOnly, SameSite=Lax cookies:
// - `hf_cart` holds the cart id, which is the cart's bearer capability (see src/cart/cart-service.ts);
// - `hf_cart_count` holds how many items that cart has, so every page's header can show the count without
//   a query (it is rewritten whenever the cart page or checkout has the cart in hand);
// - `hf_order_<orderId>`, scoped to the path /orders/<orderId>, holds that order's access token, so the
//   order page can show the order without the token ever appearing in a URL, a log or a Referer header.
// Signing means a tampered or forged value is simply ignored. SameSite=Lax keeps the cookies off
// cross-site POSTs, which is the storefront's CSRF protection for its forms.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isUuid } from '../catalog/index.ts';

export const CART_COOKIE = 'hf_cart';
export const CART_COUNT_COOKIE = 'hf_cart_count';
/** More than any cart can hold (99 per line); a larger number in the cookie is not ours. */
const MAX_CART_COUNT = 9_999;
const CART_MAX_AGE_SECONDS = 30 * 24 * 3600;
const ORDER_MAX_AGE_SECONDS = 90 * 24 * 3600;

const orderCookieName = (orderId: string) => `hf_order_${orderId}`;
const orderCookiePath = (orderId: string) => `/orders/${orderId}`;

function cookieOptions(req: FastifyRequest, path: string, maxAge: number) {
  return {
    signed: true, httpOnly: true, sameSite: 'lax' as const, path, maxAge,
    // Secure only when the request came over TLS; a local `npm start` on http must still keep its cart.
    secure: req.protocol === 'https',
  };
}

function readSigned(req: FastifyRequest, name: string): string | undefined {
  // Parsed here, on the few pages that read a cookie, rather than on every request (see storefront-module.ts).
  const header = req.headers.cookie;
  const raw = header ? req.server.parseCookie(header)[name] : undefined;
  if (!raw) return undefined;
  const unsigned = req.unsignCookie(raw);
  return unsigned.valid && unsigned.value !== null ? unsigned.value : undefined;
}

export function readCartId(req: FastifyRequest): string | undefined {
  const id = readSigned(req, CART_COOKIE);
  return id && isUuid(id) ? id : undefined;
}

export function setCartCookie(req: FastifyRequest, reply: FastifyReply, cartId: string): void {
  reply.setCookie(CART_COOKIE, cartId, cookieOptions(req, '/', CART_MAX_AGE_SECONDS));
}

export function readOrderToken(req: FastifyRequest, orderId: string): string | undefined {
  if (!isUuid(orderId)) return undefined;
  return readSigned(req, orderCookieName(orderId));
}

export function setOrderTokenCookie(req: FastifyRequest, reply: FastifyReply, orderId: string, accessToken: string): void {
  reply.setCookie(orderCookieName(orderId), accessToken, cookieOptions(req, orderCookiePath(orderId), ORDER_MAX_AGE_SECONDS));
}

/**
 * The item count the header shows, or 0. Checked for by name before any parsing: catalog and product
 * pages call this on every request, and most of them carry no cookie at all.
 */
export function readCartCount(req: FastifyRequest): number {
  if (!req.headers.cookie?.includes(CART_COUNT_COOKIE)) return 0;
  const raw = readSigned(req, CART_COUNT_COOKIE);
  const n = raw && /^\d{1,4}$/.test(raw) ? Number(raw) : 0;
  return n <= MAX_CART_COUNT ? n : 0;
}

/** Keeps the header's count in step with the cart just read or changed (no cart, or an empty one: no cookie). */
export function syncCartCountCookie(req: FastifyRequest, reply: FastifyReply, itemCount: number): void {
  if (itemCount > 0) {
    if (readCartCount(req) !== itemCount) reply.setCookie(CART_COUNT_COOKIE, String(Math.min(itemCount, MAX_CART_COUNT)), cookieOptions(req, '/', CART_MAX_AGE_SECONDS));
  } else if (req.headers.cookie?.includes(CART_COUNT_COOKIE)) {
    reply.clearCookie(CART_COUNT_COOKIE, { path: '/' });
  }
}
