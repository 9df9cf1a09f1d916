import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyStorefrontRequest, type RequestToClassify } from './request-classes.ts';

const req = (method: string, path: string, extra: Partial<RequestToClassify> = {}): RequestToClassify =>
  ({ method, path, searchOrDeepPage: false, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ...extra });

test('money first, then carts, then browsing, then searches and bots; operations are never limited', () => {
  const cases: [RequestToClassify, string | null][] = [
    [req('POST', '/api/checkout'), 'critical_plus'],
    [req('POST', '/checkout'), 'critical_plus'],
    [req('GET', '/api/orders/7f1e0c3a-0000-4000-8000-000000000001'), 'critical_plus'],
    [req('POST', '/orders/7f1e0c3a-0000-4000-8000-000000000001/payment'), 'critical_plus'],
    [req('POST', '/api/carts/abc/items'), 'critical'],
    [req('GET', '/cart'), 'critical'],
    [req('POST', '/cart/items'), 'critical'],
    [req('GET', '/'), 'sheddable_plus'],
    [req('GET', '/products/lantern'), 'sheddable_plus'],
    [req('GET', '/api/products'), 'sheddable_plus'],
    [req('GET', '/api/products', { searchOrDeepPage: true }), 'sheddable'],
    [req('GET', '/', { searchOrDeepPage: true }), 'sheddable'],
    [req('GET', '/products/lantern', { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' }), 'sheddable'],
    [req('GET', '/healthz'), null],
    [req('GET', '/metrics'), null],
    [req('PUT', '/api/admin/waiting-room'), null],
    [req('GET', '/api/ops/waiting-room'), null],
    [req('GET', '/assets/storefront.abc123.css'), null],
  ];
  for (const [r, expected] of cases) assert.equal(classifyStorefrontRequest(r), expected, `${r.method} ${r.path} ${r.userAgent}`);
});

test('a bot is not let past the checkout class: paying is paying whoever asks', () => {
  assert.equal(classifyStorefrontRequest(req('POST', '/api/checkout', { userAgent: 'python-requests/2.32' })), 'critical_plus');
});
