// The HTTP layer's safety promises, end to end over a real socket: security headers, body size limits,
// per-IP rate limits on writes (never on reads), admin routes closed without the admin token, orders
// readable only with their own access token, and no secret ever written to the logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startTestApp, api, SHIPPING, type TestApp } from '../helpers/test-app.ts';
import { rawRequest, closeRawAgent, errorContractViolation, type RawResponse } from '../helpers/raw-http.ts';
import { adminTokenModule } from '../../src/platform/admin-token/admin-token-module.ts';

let app: TestApp;
let product: { id: string; slug: string };
let adminAuth: Record<string, string>;

before(async () => {
  // trace: the most talkative level, so the no-secrets check sees everything the app could ever log.
  app = await startTestApp({ config: { logLevel: 'trace' } });
  adminAuth = { authorization: `Bearer ${app.adminToken}` };
  const page = await api(app.url, 'GET', '/api/products?limit=1');
  product = page.json.items[0];
  const stock = await api(app.url, 'PUT', `/api/admin/products/${product.id}/stock`, { onHand: 1000 }, adminAuth);
  assert.equal(stock.status, 200, stock.text);
});

after(async () => {
  closeRawAgent();
  await app?.stop();
});

async function placeOrder(target: TestApp = app): Promise<{ orderId: string; accessToken: string }> {
  const cart = await api(target.url, 'POST', '/api/carts', {});
  const added = await api(target.url, 'POST', `/api/carts/${cart.json.id}/items`, { productId: product.id, quantity: 1 });
  assert.equal(added.status, 200, added.text);
  const placed = await api(target.url, 'POST', '/api/checkout',
    { cartId: cart.json.id, email: 'safety@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    { 'idempotency-key': randomUUID() });
  assert.equal(placed.status, 202, placed.text);
  return placed.json;
}

function assertErrorCode(res: { status: number; json?: any; text: string } | RawResponse, status: number, code: string) {
  assert.equal(res.status, status, res.text);
  const json = 'json' in res ? res.json : JSON.parse(res.text);
  assert.equal(json.error.code, code, res.text);
  assert.equal(typeof json.error.message, 'string');
}

// ------------------------------------------------------------------------------------------- headers

test('security headers (helmet) are on API responses, pages and error responses', async () => {
  const cases: [string, string, unknown?][] = [
    ['GET', '/api/products?limit=1'],
    ['GET', `/api/products/${product.slug}`],
    ['GET', '/'],
    ['GET', '/api/no-such-route'],
    ['POST', '/api/carts', '{"broken":'],
    ['GET', '/api/admin/orders'],
  ];
  for (const [method, path, body] of cases) {
    const res = await fetch(`${app.url}${path}`, {
      method, ...(body !== undefined ? { body: String(body), headers: { 'content-type': 'application/json' } } : {}),
    });
    await res.arrayBuffer();
    const h = (name: string) => res.headers.get(name) ?? '';
    const where = `${method} ${path} (${res.status})`;
    const csp = h('content-security-policy');
    assert.match(csp, /default-src 'self'/, `${where}: CSP default-src`);
    assert.match(csp, /object-src 'none'/, `${where}: CSP object-src`);
    assert.match(csp, /frame-ancestors 'self'/, `${where}: CSP frame-ancestors`);
    assert.match(csp, /base-uri 'self'/, `${where}: CSP base-uri`);
    assert.equal(h('x-content-type-options'), 'nosniff', where);
    assert.equal(h('x-frame-options'), 'SAMEORIGIN', where);
    assert.match(h('strict-transport-security'), /max-age=\d+/, where);
    assert.equal(h('referrer-policy'), 'no-referrer', where);
    assert.equal(h('cross-origin-opener-policy'), 'same-origin', where);
    assert.equal(h('cross-origin-resource-policy'), 'same-origin', where);
    assert.equal(h('x-dns-prefetch-control'), 'off', where);
    assert.equal(h('x-permitted-cross-domain-policies'), 'none', where);
    assert.equal(res.headers.get('x-powered-by'), null, `${where}: no x-powered-by`);
  }
});

test('admin and order responses are never cached', async () => {
  const order = await placeOrder();
  const mine = await api(app.url, 'GET', `/api/orders/${order.orderId}`, undefined, { authorization: `Bearer ${order.accessToken}` });
  assert.equal(mine.status, 200);
  assert.equal(mine.headers.get('cache-control'), 'no-store');
  const admin = await api(app.url, 'GET', `/api/admin/orders/${order.orderId}`, undefined, adminAuth);
  assert.equal(admin.status, 200);
  assert.equal(admin.headers.get('cache-control'), 'no-store');
});

// ---------------------------------------------------------------------------------------- body limit

test('a request body over the limit is refused with 413 BODY_TOO_LARGE, however it is framed', async () => {
  const limit = app.config.bodyLimitBytes;
  const cart = await api(app.url, 'POST', '/api/carts', {});
  const path = `/api/carts/${cart.json.id}/items`;
  const big = JSON.stringify({ productId: product.id, quantity: 1, padding: 'x'.repeat(limit) });
  assert.ok(Buffer.byteLength(big) > limit);

  const withLength = await rawRequest(app.url, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: big });
  assertErrorCode(withLength, 413, 'BODY_TOO_LARGE');

  const chunked = await rawRequest(app.url, { method: 'POST', path, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body: big });
  assertErrorCode(chunked, 413, 'BODY_TOO_LARGE');

  const form = await rawRequest(app.url, { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `padding=${'x'.repeat(limit)}` });
  assertErrorCode(form, 413, 'BODY_TOO_LARGE');

  const admin = await rawRequest(app.url, { method: 'POST', path: '/api/admin/products', headers: { ...adminAuth, 'content-type': 'application/json' }, body: JSON.stringify({ description: 'd'.repeat(limit * 2) }) });
  assertErrorCode(admin, 413, 'BODY_TOO_LARGE');

  // Just under the limit is parsed (and then refused by the schema, not by the size check).
  const under = await rawRequest(app.url, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ productId: product.id, quantity: 1, p: 'x'.repeat(limit - 200) }) });
  assertErrorCode(under, 400, 'VALIDATION_FAILED');

  // The refused requests changed nothing.
  const after = await api(app.url, 'GET', `/api/carts/${cart.json.id}`);
  assert.equal(after.json.lines.length, 0);
});

test('oversized headers and over-long URLs get the error shape too', async () => {
  const headers = await rawRequest(app.url, { method: 'GET', path: '/api/products', headers: { 'x-padding': 'p'.repeat(20_000) } }).catch(() => undefined);
  // The server may reset the connection before the client has finished sending; when it answers, it
  // answers in the one error shape.
  if (headers) assertErrorCode(headers, 431, 'HEADERS_TOO_LARGE');
  const long = await rawRequest(app.url, { method: 'GET', path: `/api/carts/${'a'.repeat(300)}`, headers: {} });
  assertErrorCode(long, 414, 'URI_TOO_LONG');
  const badEncoding = await rawRequest(app.url, { method: 'GET', path: '/api/products/%E0%A4%A', headers: {} });
  assertErrorCode(badEncoding, 400, 'BAD_REQUEST');
});

// ---------------------------------------------------------------------------------------- rate limits

test('writes are rate limited per client IP with 429 RATE_LIMITED; reads never are', async () => {
  const limited = await startTestApp({ config: { rateLimitWritesPerMinute: 5 } });
  try {
    const post = (path: string, body: unknown, localAddress?: string) => rawRequest(limited.url,
      { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, 10_000, localAddress ? { localAddress } : {});
    const cartIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post('/api/carts', {});
      assert.equal(res.status, 201, `write ${i + 1} of 5 is allowed: ${res.text}`);
      assert.equal(res.headers['x-ratelimit-limit'], '5');
      cartIds.push(JSON.parse(res.text).id);
    }
    const sixth = await post('/api/carts', {});
    assertErrorCode(sixth, 429, 'RATE_LIMITED');
    assert.ok(Number(sixth.headers['retry-after']) > 0, 'Retry-After tells the client when to come back');
    // The budget is per client, across all write routes, whatever the method.
    assertErrorCode(await post(`/api/carts/${cartIds[0]}/items`, { productId: product.id, quantity: 1 }), 429, 'RATE_LIMITED');
    const patch = await rawRequest(limited.url, { method: 'PATCH', path: `/api/carts/${cartIds[0]}/items/${product.id}`, headers: { 'content-type': 'application/json' }, body: '{"quantity":1}' });
    assertErrorCode(patch, 429, 'RATE_LIMITED');
    assertErrorCode(await post('/api/checkout', {}), 429, 'RATE_LIMITED');

    // Browsing is never throttled, even for a client that is over its write budget.
    for (let i = 0; i < 40; i++) {
      const path = [`/api/products?limit=5&q=${i % 2 ? 'scarf' : ''}`, `/api/products/${product.slug}`, `/api/carts/${cartIds[i % 5]}`, '/healthz'][i % 4]!;
      const res = await rawRequest(limited.url, { method: 'GET', path, headers: {} });
      assert.equal(res.status, 200, `GET ${path}: ${res.text}`);
    }
    const head = await rawRequest(limited.url, { method: 'HEAD', path: '/api/products', headers: {} });
    assert.equal(head.status, 200);

    // Another client (another loopback address) has its own budget.
    const other = await post('/api/carts', {}, '127.0.0.2');
    assert.equal(other.status, 201, `a different IP is not limited by this one: ${other.text}`);
  } finally {
    await limited.stop();
  }
});

// --------------------------------------------------------------------------------------- API contract

test('the OpenAPI document does not require what has a default, and the server agrees', async () => {
  const doc = await api(app.url, 'GET', '/api/openapi.json');
  const list = doc.json.paths['/api/products'].get;
  const limit = list.parameters.find((p: { name: string }) => p.name === 'limit');
  assert.equal(limit.required, false, 'limit (default 24) is an optional query parameter');
  assert.equal(limit.schema.default, 24);
  const addLine = doc.json.paths['/api/carts/{id}/items'].post.requestBody.content['application/json'].schema;
  assert.ok(!addLine.required.includes('quantity'), 'quantity (default 1) is optional in the body');
  assert.ok(addLine.required.includes('productId'), 'productId has no default and stays required');
  // ... and leaving them out works
  const listed = await api(app.url, 'GET', '/api/products');
  assert.equal(listed.status, 200);
  assert.equal(listed.json.items.length, 24);
  const cart = await api(app.url, 'POST', '/api/carts', {});
  const added = await api(app.url, 'POST', `/api/carts/${cart.json.id}/items`, { productId: listed.json.items[0].id });
  assert.equal(added.status, 200, added.text);
  assert.equal(added.json.lines[0].quantity, 1);
});

// --------------------------------------------------------------------------------------- admin access

test('every admin route answers 401 UNAUTHORIZED without the admin token, and works with it', async () => {
  const doc = await api(app.url, 'GET', '/api/openapi.json');
  const adminOps: [string, string][] = [];
  for (const [path, methods] of Object.entries(doc.json.paths as Record<string, Record<string, unknown>>)) {
    if (!path.startsWith('/api/admin')) continue;
    // Ids that exist nowhere: with the token these answer 404, which is the point (not 401), and
    // nothing is changed or deleted.
    for (const method of Object.keys(methods)) adminOps.push([method.toUpperCase(), path.replace(/\{[^}]+\}/g, randomUUID())]);
  }
  assert.ok(adminOps.length >= 10, `found ${adminOps.length} admin operations`);
  const order = await placeOrder();
  const wrongCredentials: (string | undefined)[] = [
    undefined, '', 'Bearer', 'Bearer ', 'Bearer wrong', `Bearer ${app.adminToken}x`, `Bearer ${app.adminToken.slice(0, -1)}`,
    `Bearer ${app.adminToken.toUpperCase()}`, ` Bearer ${app.adminToken}x`, app.adminToken, `Basic ${Buffer.from(`admin:${app.adminToken}`).toString('base64')}`,
    `Token ${app.adminToken}`, `Bearer ${order.accessToken}`, `Bearer ${app.adminToken} ${app.adminToken}`,
  ];
  for (const [method, path] of adminOps) {
    const withBody = method !== 'GET' && method !== 'DELETE';
    for (const credential of wrongCredentials) {
      const headers: Record<string, string> = withBody ? { 'content-type': 'application/json' } : {};
      if (credential !== undefined) headers.authorization = credential;
      const res = await rawRequest(app.url, { method, path, headers, body: withBody ? '{}' : undefined });
      assertErrorCode(res, 401, 'UNAUTHORIZED');
    }
    const ok = await rawRequest(app.url, { method, path, headers: { ...adminAuth, ...(withBody ? { 'content-type': 'application/json' } : {}) }, body: withBody ? '{}' : undefined });
    assert.notEqual(ok.status, 401, `${method} ${path} with the admin token: ${ok.text}`);
    assert.equal(errorContractViolation(ok), undefined, `${method} ${path}: ${ok.text}`);
  }
});

// --------------------------------------------------------------------------------------- order access

test('an order is readable only with its own access token', async () => {
  const a = await placeOrder();
  const b = await placeOrder();
  const get = (id: string, authorization?: string) => api(app.url, 'GET', `/api/orders/${id}`, undefined, authorization !== undefined ? { authorization } : {});

  assertErrorCode(await get(a.orderId), 401, 'ORDER_TOKEN_REQUIRED');
  assertErrorCode(await get(a.orderId, ''), 401, 'ORDER_TOKEN_REQUIRED');
  assertErrorCode(await get(a.orderId, 'Bearer'), 401, 'ORDER_TOKEN_REQUIRED');
  assertErrorCode(await get(a.orderId, a.accessToken), 401, 'ORDER_TOKEN_REQUIRED');
  // Wrong token, another order's token, the admin token: all look exactly like "no such order", so a
  // token cannot be tested against ids, nor ids enumerated.
  const notFound = await get(a.orderId, 'Bearer wrong');
  assertErrorCode(notFound, 404, 'ORDER_NOT_FOUND');
  for (const token of [b.accessToken, app.adminToken, `${a.accessToken}x`, a.accessToken.slice(0, -1), a.accessToken.toUpperCase()]) {
    const res = await get(a.orderId, `Bearer ${token}`);
    assertErrorCode(res, 404, 'ORDER_NOT_FOUND');
    assert.equal(res.json.error.message, notFound.json.error.message);
  }
  const unknown = await get(randomUUID(), `Bearer ${a.accessToken}`);
  assertErrorCode(unknown, 404, 'ORDER_NOT_FOUND');
  assert.equal(unknown.json.error.message, notFound.json.error.message);
  // Never from the URL, where it would end up in access logs and browser history.
  assertErrorCode(await api(app.url, 'GET', `/api/orders/${a.orderId}?accessToken=${a.accessToken}`), 401, 'ORDER_TOKEN_REQUIRED');

  const mine = await get(a.orderId, `Bearer ${a.accessToken}`);
  assert.equal(mine.status, 200);
  assert.equal(mine.json.id, a.orderId);
  assert.equal((await get(b.orderId, `bearer ${b.accessToken}`)).status, 200, 'the auth scheme is case-insensitive');
  // An order token opens its order and nothing else.
  assertErrorCode(await api(app.url, 'GET', `/api/admin/orders/${a.orderId}`, undefined, { authorization: `Bearer ${a.accessToken}` }), 401, 'UNAUTHORIZED');
  // Only a hash of the token is stored.
  const stored = await app.db.pool.query('SELECT count(*)::int AS n FROM orders WHERE access_token_hash = $1', [a.accessToken]);
  assert.equal(stored.rows[0].n, 0);
});

// ------------------------------------------------------------------------------------------ log hygiene

test('no secret reaches the logs: admin token, order access tokens, Authorization headers', async () => {
  const logStart = app.logs.length;
  const order = await placeOrder();
  const orderAuth = { authorization: `Bearer ${order.accessToken}` };
  assert.equal((await api(app.url, 'GET', `/api/orders/${order.orderId}`, undefined, orderAuth)).status, 200);
  assert.equal((await api(app.url, 'GET', '/api/admin/orders?limit=5', undefined, adminAuth)).status, 200);
  assert.equal((await api(app.url, 'GET', `/api/admin/orders/${order.orderId}`, undefined, adminAuth)).status, 200);
  assert.equal((await api(app.url, 'PUT', `/api/admin/products/${product.id}/stock`, { onHand: 999 }, adminAuth)).status, 200);
  assert.equal((await api(app.url, 'POST', `/api/admin/orders/${order.orderId}/cancel`, { reason: 'log hygiene test' }, adminAuth)).status, 200);
  // Failure paths are where secrets usually leak: errors logged with the request attached.
  await api(app.url, 'POST', '/api/admin/products', '{"malformed":', adminAuth);
  await api(app.url, 'GET', `/api/admin/products/${'z'.repeat(300)}`, undefined, adminAuth);
  await api(app.url, 'GET', '/api/admin/orders?limit=abc', undefined, adminAuth);
  await api(app.url, 'GET', '/api/no-such-route', undefined, adminAuth);
  await api(app.url, 'GET', `/api/orders/${order.orderId}`, undefined, { authorization: `Bearer ${order.accessToken}x` });
  await api(app.url, 'POST', '/api/checkout', { cartId: randomUUID(), email: 'x@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' }, { ...orderAuth, 'idempotency-key': randomUUID() });
  await rawRequest(app.url, { method: 'GET', path: '/api/admin/orders', headers: { ...adminAuth, 'x-padding': 'p'.repeat(20_000) } }).catch(() => undefined);
  await rawRequest(app.url, { method: 'GET', path: '/api/admin/%zz', headers: adminAuth });
  await new Promise((r) => setTimeout(r, 200)); // let the logger flush

  const logged = app.logs.join('\n');
  assert.ok(app.logs.length > logStart || logged.length > 0, 'logs were captured at all');
  const secrets: [string, string][] = [
    ['admin token', app.adminToken],
    ['admin token digest (also the cookie secret)', app.service(adminTokenModule).sha256],
    ['order access token', order.accessToken],
    ['Authorization header (admin)', adminAuth.authorization!],
    ['Authorization header (order)', orderAuth.authorization],
  ];
  for (const [what, secret] of secrets) {
    assert.ok(!logged.includes(secret), `the ${what} appears in the logs:\n${app.logs.filter((l) => l.includes(secret)).slice(0, 3).join('\n')}`);
  }
  // Buffers (e.g. a parser error's raw packet) are logged as byte arrays: look for the token there too.
  const asBytes = [...Buffer.from(app.adminToken.slice(0, 12))].join(',');
  assert.ok(!logged.includes(asBytes), 'the admin token appears in the logs as raw bytes');
});
