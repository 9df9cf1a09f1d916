// Which request class each storefront request belongs to, for the adaptive concurrency limit
// (src/platform/http/adaptive-concurrency.ts, decision 0017): what is shed first when the process is over
// its limit. Decided by the route's pattern (as registered), so it holds whatever file serves the route.
import type { RequestClass } from '../platform/http/adaptive-concurrency.ts';
import type { RequestToClassify } from '../platform/http/concurrency-limit.ts';
import { isShopperRoute } from '../telemetry/index.ts';

/** Crawlers and scripted clients: their pages can wait when shoppers cannot. */
const AUTOMATED_USER_AGENT = /bot\b|crawl|spider|slurp|facebookexternalhit|bingpreview|headlesschrome|python-requests|curl\//i;

const startsWithSegment = (route: string, prefix: string) => route === prefix || route.startsWith(`${prefix}/`);

/** The public status page: served from an in-memory copy, and read most when the shop is in trouble. */
const STATUS_ROUTES = new Set(['/status', '/api/status']);

/**
 * The class of a storefront request, or null for requests the limit must never refuse (health,
 * readiness, metrics, the ops and admin APIs, the OpenAPI document, static assets, the status page):
 * those answer whatever the load, or nobody can see or fix it (nor learn why the shop is slow).
 */
export function classifyStorefrontRequest(req: RequestToClassify): RequestClass | null {
  const { method, route } = req;
  if (!isShopperRoute(route) || startsWithSegment(route, '/ops') || route.startsWith('/assets/') || route.startsWith('/images/') || STATUS_ROUTES.has(route)) return null;
  // The order page's status poll: every buyer's open page asks, most of all while payments are slow (the
  // incident this shop is built against); a poll refused now is asked again a little later, and must not
  // compete with placing orders.
  if (route === '/orders/:id/status') return 'critical';
  // Money and promises already made: placing the order, its status, paying again.
  if (route === '/api/checkout' || route === '/checkout' || route.startsWith('/api/orders/') || route.startsWith('/orders/')) return 'critical_plus';
  if (startsWithSegment(route, '/api/carts') || startsWithSegment(route, '/cart')) return 'critical';
  if (AUTOMATED_USER_AGENT.test(req.userAgent ?? '')) return 'sheddable';
  if ((method === 'GET' || method === 'HEAD') && req.searchOrDeepPage) return 'sheddable';
  return 'sheddable_plus';
}
