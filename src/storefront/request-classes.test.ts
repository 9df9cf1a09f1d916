import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStorefrontRequest } from './request-classes.ts';
import type { RequestToClassify } from '../platform/http/concurrency-limit.ts';

const req = (method: string, route: string, extra: Partial<RequestToClassify> = {}): RequestToClassify =>
  ({ method, route, searchOrDeepPage: false, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ...extra });

test('money first, then carts, then browsing, then searches and bots; operations are never limited', () => {
  const cases: [RequestToClassify, string | null][] = [
    [req('POST', '/api/checkout'), 'critical_plus'],
    [req('POST', '/checkout'), 'critical_plus'],
    [req('GET', '/checkout'), 'critical_plus'],
    [req('GET', '/api/orders/:id'), 'critical_plus'],
    [req('POST', '/api/orders/:id/payment'), 'critical_plus'],
    [req('GET', '/orders/:id'), 'critical_plus'],
    // the order page's poll waits behind placing orders (it is asked again when refused)
    [req('GET', '/orders/:id/status'), 'critical'],
    [req('POST', '/orders/:id/payment'), 'critical_plus'],
    [req('POST', '/api/carts'), 'critical'],
    [req('POST', '/api/carts/:id/items'), 'critical'],
    [req('GET', '/cart'), 'critical'],
    [req('POST', '/cart/items'), 'critical'],
    [req('GET', '/'), 'sheddable_plus'],
    [req('GET', '/products/:slug'), 'sheddable_plus'],
    [req('GET', '/api/products'), 'sheddable_plus'],
    [req('GET', '/api/products/:slug'), 'sheddable_plus'],
    [req('GET', '/api/products', { searchOrDeepPage: true }), 'sheddable'],
    [req('GET', '/', { searchOrDeepPage: true }), 'sheddable'],
    [req('GET', '/products/:slug', { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' }), 'sheddable'],
    [req('GET', '/healthz'), null],
    [req('GET', '/readyz'), null],
    [req('GET', '/metrics'), null],
    [req('GET', '/api/openapi.json'), null],
    [req('GET', '/status'), null],
    [req('GET', '/api/status'), null],
    [req('PUT', '/api/admin/waiting-room'), null],
    [req('POST', '/api/admin/orders/:id/refund'), null],
    [req('GET', '/api/ops/waiting-room'), null],
    [req('GET', '/assets/storefront.:version.css'), null],
    [req('GET', '/images/products/:slug.svg'), null],
  ];
  for (const [r, expected] of cases) assert.equal(classifyStorefrontRequest(r), expected, `${r.method} ${r.route} ${r.userAgent}`);
});

test('a bot is not let past the checkout class: paying is paying whoever asks', () => {
  assert.equal(classifyStorefrontRequest(req('POST', '/api/checkout', { userAgent: 'python-requests/2.32' })), 'critical_plus');
});

test('a route that only begins like a class is not in it', () => {
  assert.equal(classifyStorefrontRequest(req('GET', '/cartography')), 'sheddable_plus');
  assert.equal(classifyStorefrontRequest(req('GET', '/operations')), 'sheddable_plus');
});
