// Which routes are a shopper's and which an operator's or a machine's. Operator and machine traffic is
// left out of the shopper journeys (SLOs, detection, the storefront's injected faults): an operator must
// be able to clear a fault, and a scrape is not a shopper.

/** Route prefixes that are not shopper traffic: the admin and ops APIs, the ops console, metrics, probes, the API document. */
export const NOT_SHOPPER_ROUTE_PREFIXES = ['/api/admin', '/api/ops', '/ops', '/metrics', '/healthz', '/readyz', '/api/openapi.json'] as const;

export function isShopperRoute(route: string): boolean {
  return !NOT_SHOPPER_ROUTE_PREFIXES.some((p) => route.startsWith(p));
}
