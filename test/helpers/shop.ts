// Shopper and operator actions over HTTP, shared by end-to-end tests.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { api, SHIPPING } from './test-app.ts';

export interface PlacedOrder { orderId: string; accessToken: string; productId: string; slug: string; quantity: number; total: number }

/** A product with at least `minAvailable` units available (scans the catalog; the seed is deterministic). */
export async function productInStock(baseUrl: string, minAvailable = 5, skip = 0): Promise<{ id: string; slug: string; price: { amount: number }; available: number }> {
  let cursor: string | null = null;
  let skipped = 0;
  for (;;) {
    const page = await api(baseUrl, 'GET', `/api/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const p of page.json.items) {
      const detail = await api(baseUrl, 'GET', `/api/products/${p.slug}`);
      if (detail.json.available >= minAvailable && skipped++ >= skip) return detail.json;
    }
    cursor = page.json.nextCursor;
    assert.ok(cursor, `no product with ${minAvailable} units in stock`);
  }
}

export async function placeOrder(baseUrl: string, opts: { productId: string; slug?: string; quantity?: number; paymentMethod?: string; price?: number }): Promise<PlacedOrder> {
  const quantity = opts.quantity ?? 1;
  const cart = await api(baseUrl, 'POST', '/api/carts', {});
  assert.equal(cart.status, 201, cart.text);
  const added = await api(baseUrl, 'POST', `/api/carts/${cart.json.id}/items`, { productId: opts.productId, quantity });
  assert.equal(added.status, 200, added.text);
  const res = await api(baseUrl, 'POST', '/api/checkout', {
    cartId: cart.json.id, email: 'shopper@example.com', shippingAddress: SHIPPING, paymentMethod: opts.paymentMethod ?? 'pm_card_visa',
  }, { 'idempotency-key': randomUUID() });
  assert.equal(res.status, 202, res.text);
  return { orderId: res.json.orderId, accessToken: res.json.accessToken, productId: opts.productId, slug: opts.slug ?? '', quantity, total: added.json.subtotal.amount };
}

export async function orderStatus(baseUrl: string, o: { orderId: string; accessToken: string }): Promise<string> {
  const res = await api(baseUrl, 'GET', `/api/orders/${o.orderId}`, undefined, { authorization: `Bearer ${o.accessToken}` });
  assert.equal(res.status, 200, res.text);
  return res.json.status;
}

/** Polls the shopper's order page until the order leaves pending_payment (or the time is up). */
export async function waitForSettlement(baseUrl: string, o: { orderId: string; accessToken: string }, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await orderStatus(baseUrl, o);
    if (status !== 'pending_payment' || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function setFault(baseUrl: string, adminToken: string, name: string, params: Record<string, unknown>): Promise<void> {
  const res = await api(baseUrl, 'PUT', `/api/admin/faults/${name}`, params, { authorization: `Bearer ${adminToken}` });
  assert.equal(res.status, 200, res.text);
}

export async function clearFault(baseUrl: string, adminToken: string, name: string): Promise<void> {
  const res = await api(baseUrl, 'DELETE', `/api/admin/faults/${name}`, undefined, { authorization: `Bearer ${adminToken}` });
  assert.ok(res.status === 200 || res.status === 204, res.text);
}

export async function admin(baseUrl: string, adminToken: string, method: string, path: string, body?: unknown) {
  return api(baseUrl, method, path, body, { authorization: `Bearer ${adminToken}` });
}
