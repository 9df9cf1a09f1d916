// Which request class each storefront request belongs to, for the adaptive concurrency limit
// (src/platform/http/adaptive-concurrency.ts): what is shed first when the process is over its limit.
// By the public routes (docs/surge-protection.md), so it holds whatever file serves them.
import type { RequestClass } from '../platform/http/adaptive-concurrency.ts';

/** Crawlers and scripted clients: their pages can wait when shoppers cannot. */
const AUTOMATED_USER_AGENT = /bot\b|crawl|spider|slurp|facebookexternalhit|bingpreview|headlesschrome|python-requests|curl\//i;

export interface RequestToClassify {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query asks for a search (`q`) or a page past the first (`cursor`): heavy reads no cache serves. */
  searchOrDeepPage: boolean;
  userAgent: string | undefined;
}

/**
 * The class of a storefront request, or null for requests the limit must never refuse (health,
 * readiness, metrics, the ops and admin APIs, the OpenAPI document, static assets): those answer whatever
 * the load, or nobody can see or fix it.
 */
export function classifyStorefrontRequest(req: RequestToClassify): RequestClass | null {
  const { method, path } = req;
  if (path === '/healthz' || path === '/readyz' || path === '/metrics' || path === '/api/openapi.json'
    || path.startsWith('/api/ops/') || path.startsWith('/api/admin/') || path === '/ops' || path.startsWith('/ops/')
    || path.startsWith('/assets/') || path.startsWith('/images/')) return null;
  // Money and promises already made: placing the order, its status, paying again.
  if (path === '/api/checkout' || path === '/checkout' || path.startsWith('/api/orders/') || path.startsWith('/orders/')) return 'critical_plus';
  if (path === '/api/carts' || path.startsWith('/api/carts/') || path === '/cart' || path.startsWith('/cart/')) return 'critical';
  if (AUTOMATED_USER_AGENT.test(req.userAgent ?? '')) return 'sheddable';
  if ((method === 'GET' || method === 'HEAD') && req.searchOrDeepPage) return 'sheddable';
  return 'sheddable_plus';
}
