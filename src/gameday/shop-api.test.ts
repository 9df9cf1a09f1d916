// The game day's backlog reading is one count on the shop (GET /api/admin/orders/count), not a listing of
// every pending order 100 at a time; a shop older than the count route is still read, through its listing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ShopApi } from './shop-api.ts';

const asked: string[] = [];
let hasCountRoute = true;
const server = http.createServer((req, res) => {
  asked.push(req.url!);
  res.setHeader('content-type', 'application/json');
  const url = new URL(req.url!, 'http://shop');
  if (url.pathname === '/api/admin/orders/count') {
    if (!hasCountRoute) { res.statusCode = 400; res.end(JSON.stringify({ error: { code: 'VALIDATION_FAILED' } })); return; }
    res.end(JSON.stringify({ count: 7 }));
    return;
  }
  if (url.pathname === '/api/admin/orders') {
    // newest first: one too new, two in the window, one from before it
    res.end(JSON.stringify({
      items: [
        { id: 'o4', status: 'pending_payment', createdAt: '2026-12-01T10:00:50.000Z', updatedAt: '' },
        { id: 'o3', status: 'pending_payment', createdAt: '2026-12-01T10:00:30.000Z', updatedAt: '' },
        { id: 'o2', status: 'pending_payment', createdAt: '2026-12-01T10:00:10.000Z', updatedAt: '' },
        { id: 'o1', status: 'pending_payment', createdAt: '2026-12-01T09:59:00.000Z', updatedAt: '' },
      ],
      nextCursor: null,
    }));
    return;
  }
  res.statusCode = 404;
  res.end('{}');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const api = new ShopApi({ storefront: base, control: base, psp: [] }, 'token', []);
const from = Date.parse('2026-12-01T10:00:00.000Z');
const before = Date.parse('2026-12-01T10:00:40.000Z');

test('orders waiting for payment are counted by the shop in one request, not listed', async () => {
  asked.length = 0;
  assert.equal(await api.countOrders('pending_payment', from, before), 7);
  assert.deepEqual(asked, ['/api/admin/orders/count?status=pending_payment&createdFrom=2026-12-01T10%3A00%3A00.000Z&createdBefore=2026-12-01T10%3A00%3A40.000Z']);
});

test('a shop without the count route is read through its listing, the window applied', async () => {
  hasCountRoute = false;
  try {
    assert.equal(await api.countOrders('pending_payment', from, before), 2);
  } finally {
    hasCountRoute = true;
  }
});
