// The server-rendered storefront over real HTTP with plain fetch: no JavaScript, cookies carried by hand,
// exactly what a browser without scripts (or a crawler, or a CDN) sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
before(async () => { app = await startTestApp(); });
after(async () => { await app.stop(); });

/** A shopper's browser: a cookie jar and form posts, redirects not followed so each step is visible. */
class Shopper {
  readonly cookies = new Map<string, string>();
  readonly setCookieHeaders: string[] = [];

  async get(path: string, accept = 'text/html') {
    return this.request('GET', path, undefined, accept);
  }

  async post(path: string, form: Record<string, string>) {
    return this.request('POST', path, new URLSearchParams(form).toString());
  }

  async request(method: string, path: string, body?: string, accept = 'text/html') {
    const headers: Record<string, string> = { accept };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(`${app.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    const setCookies = res.headers.getSetCookie();
    for (const header of setCookies) {
      this.setCookieHeaders.push(header);
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(header)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: res.status, headers: res.headers, text: await res.text(), setCookies };
  }
}

const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
const hiddenValue = (page: string, name: string) => decode(new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '');
const productCards = (page: string) => [...page.matchAll(/<li class="product-card[^"]*"><a href="\/products\/([^"]+)"/g)].map((m) => m[1]!);
/** The header's cart link, as a browser without CSS would read it. */
/** The header's cart link, as a screen reader names it. */
const headerCart = (page: string) => {
  const link = /<li><a href="\/cart"([^>]*)>([\s\S]*?)<\/a><\/li>/.exec(page);
  return decode(/aria-label="([^"]+)"/.exec(link?.[1] ?? '')?.[1] ?? link?.[2]?.replace(/<[^>]+>|<!--[\s\S]*?-->/g, '') ?? '');
};
const nextPageHref = (page: string) => {
  const m = /<a href="([^"]+)" rel="next">Next page/.exec(page);
  return m ? decode(m[1]!) : null;
};

async function createProduct(fields: { title: string; stock: number; amount?: number; categories?: string[] }) {
  const suffix = randomBytes(4).toString('hex');
  const res = await api(app.url, 'POST', '/api/admin/products', {
    slug: `storefront-test-${suffix}`, sku: `SFT-${suffix}`, title: fields.title, description: 'A product made by the storefront tests.',
    price: { amount: fields.amount ?? 1250, currency: 'USD' }, categories: fields.categories ?? ['home'], stock: fields.stock,
    images: [`/images/products/storefront-test-${suffix}.svg`],
  }, { authorization: `Bearer ${app.adminToken}` });
  assert.equal(res.status, 201, res.text);
  return res.json as { id: string; slug: string; title: string };
}

const CHECKOUT_FORM = {
  email: 'grace@example.com', name: 'Grace Hopper', line1: '1 Compiler Way', line2: '', city: 'Arlington', region: 'VA',
  postalCode: '22201', country: 'US', paymentMethod: 'pm_card_visa',
};

async function shopperWithCart(productId: string, quantity: number) {
  const shopper = new Shopper();
  const added = await shopper.post('/cart/items', { productId, quantity: String(quantity) });
  assert.equal(added.status, 303, added.text);
  return shopper;
}

async function checkoutForm(shopper: Shopper) {
  const form = await shopper.get('/checkout');
  assert.equal(form.status, 200);
  const idempotencyKey = hiddenValue(form.text, 'idempotencyKey');
  assert.match(idempotencyKey, /^[0-9a-f-]{36}$/, 'the form carries a fresh idempotency key');
  return { ...CHECKOUT_FORM, idempotencyKey };
}

test('the home page lists the catalog, pages with Next page links, and is publicly cacheable without cookies', async () => {
  const shopper = new Shopper();
  const home = await shopper.get('/');
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
  assert.match(home.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
  assert.deepEqual(home.setCookies, [], 'catalog pages never set cookies (a CDN can cache them)');
  assert.match(home.text, /<header[\s\S]*<main id="main"[\s\S]*<footer/, 'header, main and footer landmarks');
  assert.match(home.text, /<label for="q">Search products<\/label>/);
  const first = productCards(home.text);
  assert.equal(first.length, 24);
  assert.match(home.text, /<p class="price">\$\d+\.\d{2}<\/p>/, 'prices formatted from minor units');

  const next = nextPageHref(home.text);
  assert.ok(next, 'a Next page link');
  assert.match(next, /^\/\?cursor=/);
  const second = await shopper.get(next);
  assert.equal(second.status, 200);
  const secondCards = productCards(second.text);
  assert.equal(secondCards.length, 24);
  assert.equal(secondCards.filter((s) => first.includes(s)).length, 0, 'pages do not overlap');
  assert.ok(secondCards[0]! > first.at(-1)!, 'the second page continues where the first ended');
  assert.match(second.text, /First page/);

  const badCursor = await shopper.get('/?cursor=not-a-cursor');
  assert.equal(badCursor.status, 400);
  assert.match(badCursor.headers.get('content-type') ?? '', /text\/html/, 'a bad cursor is an HTML page, not JSON');
  assert.match(badCursor.text, /pagination cursor/);
});

test('search and the category filter narrow the catalog; search results page too', async () => {
  const shopper = new Shopper();
  const search = await shopper.get('/?q=scarf');
  assert.equal(search.status, 200);
  assert.match(search.text, /<h1>Results for “scarf”<\/h1>/);
  assert.match(search.text, /value="scarf"/, 'the search box keeps the query');
  const titles = [...search.text.matchAll(/<h2>([^<]+)<\/h2><p class="price">/g)].map((m) => m[1]!);
  assert.ok(titles.length > 0);
  for (const title of titles) assert.match(title, /Scarf/);
  const next = nextPageHref(search.text);
  assert.ok(next?.includes('q=scarf'), 'the Next page link keeps the query');
  const page2 = await shopper.get(next!);
  assert.equal(page2.status, 200);
  assert.ok(productCards(page2.text).length > 0);

  const toys = await shopper.get('/?category=toys');
  assert.equal(toys.status, 200);
  assert.match(toys.text, /aria-current="page">toys<\/a>/);
  assert.match(toys.text, /<option value="toys" selected>/);
  const { rows } = await app.db.pool.query(`SELECT slug FROM products WHERE active AND 'toys' = ANY(categories) ORDER BY slug LIMIT 24`);
  assert.deepEqual(productCards(toys.text), rows.map((r: { slug: string }) => r.slug));

  const none = await shopper.get('/?q=zzzxqnothing');
  assert.equal(none.status, 200);
  assert.match(none.text, /No products found/);
});

test('the product page shows price, availability and an add-to-cart form; unknown pages are HTML 404s', async () => {
  const product = await createProduct({ title: 'Storefront Test Lantern', stock: 7, amount: 4999 });
  const shopper = new Shopper();
  const page = await shopper.get(`/products/${product.slug}`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('cache-control') ?? '', /^public, max-age=\d+$/);
  assert.deepEqual(page.setCookies, []);
  assert.match(page.text, /<h1>Storefront Test Lantern<\/h1>/);
  assert.match(page.text, /<p class="price">\$49\.99<\/p>/);
  assert.match(page.text, /Only 7 left/);
  assert.match(page.text, /<img src="\/images\/products\/storefront-test-[0-9a-f]+\.svg" alt="Storefront Test Lantern"/);
  assert.match(page.text, /<form class="add-to-cart" method="post" action="\/cart\/items">/);
  assert.match(page.text, /<label for="quantity">Quantity<\/label>/);

  const soldOutProduct = await createProduct({ title: 'Storefront Test Sold Out Lantern', stock: 0 });
  const soldOut = await shopper.get(`/products/${soldOutProduct.slug}`);
  assert.match(soldOut.text, /Out of stock/);
  assert.doesNotMatch(soldOut.text, /action="\/cart\/items"/, 'no add-to-cart form when sold out');

  const missing = await shopper.get('/products/no-such-product');
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type') ?? '', /text\/html/);
  assert.match(missing.text, /Page not found/);

  const unknown = await shopper.get('/no/such/page');
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /Page not found/, 'browsers get an HTML 404 page');
  const unknownApi = await shopper.get('/no/such/page', 'application/json');
  assert.equal(JSON.parse(unknownApi.text).error.code, 'NOT_FOUND', 'API clients keep the JSON error');
  const unknownUnderApi = await shopper.get('/api/nope');
  assert.equal(JSON.parse(unknownUnderApi.text).error.code, 'NOT_FOUND');
});

test('cart: add via form, cookie is signed, httpOnly and SameSite=Lax; update and remove lines (POST-redirect-GET)', async () => {
  const product = await createProduct({ title: 'Storefront Test Mug', stock: 50, amount: 1250 });
  const shopper = new Shopper();
  const empty = await shopper.get('/cart');
  assert.equal(empty.status, 200);
  assert.match(empty.text, /Your cart is empty/);
  assert.deepEqual(empty.setCookies, [], 'looking at an empty cart creates nothing');

  const added = await shopper.post('/cart/items', { productId: product.id, quantity: '2' });
  assert.equal(added.status, 303);
  assert.equal(added.headers.get('location'), '/cart');
  const cartCookie = added.setCookies.find((c) => c.startsWith('hf_cart='));
  assert.ok(cartCookie, 'the cart cookie is set');
  assert.match(cartCookie, /HttpOnly/i);
  assert.match(cartCookie, /SameSite=Lax/i);
  assert.match(cartCookie, /Path=\//);
  assert.match(shopper.cookies.get('hf_cart')!, /^[0-9a-f-]{36}\.[A-Za-z0-9+/_=%-]+$/, 'the cart id is signed');

  const cart = await shopper.get('/cart');
  assert.equal(cart.status, 200);
  assert.equal(cart.headers.get('cache-control'), 'no-store');
  assert.match(cart.text, /Storefront Test Mug/);
  assert.match(cart.text, /<dt>Subtotal<\/dt><dd>\$25\.00<\/dd>/);

  const again = await shopper.post('/cart/items', { productId: product.id, quantity: '1' });
  assert.equal(again.status, 303);
  assert.equal(again.setCookies.length, 0, 'the same cart is reused');
  assert.match((await shopper.get('/cart')).text, /<dd>\$37\.50<\/dd>/);

  const updated = await shopper.post(`/cart/lines/${product.id}`, { quantity: '5' });
  assert.equal(updated.status, 303);
  assert.match((await shopper.get('/cart')).text, /<dd>\$62\.50<\/dd>/);

  const tooMany = await shopper.post(`/cart/lines/${product.id}`, { quantity: '100' });
  assert.equal(tooMany.status, 400);
  assert.match(tooMany.text, /Choose a quantity from 0 to 99/);
  const badAdd = await shopper.post('/cart/items', { productId: product.id, quantity: '0' });
  assert.equal(badAdd.status, 400);
  assert.match(badAdd.text, /Choose a quantity from 1 to 99/);
  const unknownProduct = await shopper.post('/cart/items', { productId: '00000000-0000-4000-8000-000000000000', quantity: '1' });
  assert.equal(unknownProduct.status, 422);
  assert.match(unknownProduct.text, /not for sale/);

  const forged = new Shopper();
  forged.cookies.set('hf_cart', shopper.cookies.get('hf_cart')!.split('.')[0]!);
  assert.match((await forged.get('/cart')).text, /Your cart is empty/, 'an unsigned cart id is ignored');

  const removed = await shopper.post(`/cart/lines/${product.id}/remove`, {});
  assert.equal(removed.status, 303);
  assert.match((await shopper.get('/cart')).text, /Your cart is empty/);
  const removedTwice = await shopper.post(`/cart/lines/${product.id}/remove`, {});
  assert.equal(removedTwice.status, 303, 'a second click on Remove is harmless');
});

test('checkout via form: order page shows Payment processing, token only in an order-scoped cookie', async () => {
  const product = await createProduct({ title: 'Storefront Test Blanket', stock: 20, amount: 8900 });
  const shopper = await shopperWithCart(product.id, 2);
  const form = await checkoutForm(shopper);
  const page = await shopper.get('/checkout');
  assert.equal(page.headers.get('cache-control'), 'no-store');
  for (const field of ['email', 'name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'paymentMethod']) {
    assert.match(page.text, new RegExp(`<label for="${field}">`), `a label for ${field}`);
  }
  for (const pm of ['pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_chargeDeclinedInsufficientFunds']) {
    assert.match(page.text, new RegExp(`<option value="${pm}"`));
  }
  assert.notEqual(hiddenValue(page.text, 'idempotencyKey'), form.idempotencyKey, 'every render gets a new key');

  const placed = await shopper.post('/checkout', form);
  assert.equal(placed.status, 303, placed.text);
  const location = placed.headers.get('location')!;
  const orderId = /^\/orders\/([0-9a-f-]{36})$/.exec(location)?.[1];
  assert.ok(orderId, `redirects to the order page (${location}), with no token in the URL`);
  const orderCookie = placed.setCookies.find((c) => c.startsWith(`hf_order_${orderId}=`));
  assert.ok(orderCookie);
  assert.match(orderCookie, new RegExp(`Path=/orders/${orderId}`), 'the token cookie is scoped to this order');
  assert.match(orderCookie, /HttpOnly/i);
  assert.match(orderCookie, /SameSite=Lax/i);

  const order = await shopper.get(location);
  assert.equal(order.status, 200);
  assert.equal(order.headers.get('cache-control'), 'no-store');
  assert.match(order.text, /Payment processing/);
  assert.match(order.text, /<meta http-equiv="refresh" content="\d+">/);
  assert.match(order.text, /2 × \$89\.00/);
  assert.match(order.text, /<dt>Total<\/dt><dd>\$178\.00<\/dd>/);
  assert.match(order.text, /Grace Hopper/);

  const { rows } = await app.db.pool.query('SELECT status, email FROM orders WHERE id = $1', [orderId]);
  assert.deepEqual(rows[0], { status: 'pending_payment', email: 'grace@example.com' });
  assert.match((await shopper.get('/cart')).text, /Your cart is empty/, 'the ordered cart is done');

  const stranger = new Shopper();
  const strangerView = await stranger.get(location);
  assert.equal(strangerView.status, 404, 'nobody else can read the order by its URL');
  assert.doesNotMatch(strangerView.text, /Grace Hopper/);
  const tampered = new Shopper();
  tampered.cookies.set(`hf_order_${orderId}`, `${shopper.cookies.get(`hf_order_${orderId}`)!.split('.')[0]}.forged`);
  assert.equal((await tampered.get(location)).status, 404);

  // The honest status for every state the payment service can settle the order in.
  const expectations: [string, RegExp][] = [
    ['paid', /Paid: thank you!/], ['payment_failed', /Payment failed/], ['canceled', /Canceled/], ['refunded', /Refunded/],
  ];
  for (const [status, text] of expectations) {
    await app.db.pool.query('UPDATE orders SET status = $2 WHERE id = $1', [orderId, status]);
    const settled = await shopper.get(location);
    assert.match(settled.text, text);
    assert.doesNotMatch(settled.text, /http-equiv="refresh"/, `no refresh once ${status}`);
  }

  // A new add after ordering starts a new cart.
  const next = await shopper.post('/cart/items', { productId: product.id, quantity: '1' });
  assert.equal(next.status, 303);
  assert.ok(next.setCookies.some((c) => c.startsWith('hf_cart=')), 'a fresh cart cookie');
});

test('a double submit of the same checkout form places one order', async () => {
  const product = await createProduct({ title: 'Storefront Test Candle', stock: 20 });
  const shopper = await shopperWithCart(product.id, 1);
  const form = await checkoutForm(shopper);
  const [first, second] = await Promise.all([shopper.post('/checkout', form), shopper.post('/checkout', form)]);
  assert.equal(first.status, 303, first.text);
  assert.equal(second.status, 303, second.text);
  assert.equal(first.headers.get('location'), second.headers.get('location'), 'both land on the same order');
  const third = await shopper.post('/checkout', form);
  assert.equal(third.headers.get('location'), first.headers.get('location'), 'a later resubmit too');
  const cartId = shopper.cookies.get('hf_cart')!.split('.')[0];
  const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders WHERE cart_id = $1', [cartId]);
  assert.equal(rows[0].n, 1);
  const stock = await app.db.pool.query('SELECT reserved FROM stock_levels WHERE product_id = $1', [product.id]);
  assert.equal(stock.rows[0].reserved, 1, 'stock reserved once');
});

test('a declined order offers a form to pay with another card: POST-redirect-GET, no JavaScript, honest wording', async () => {
  const product = await createProduct({ title: 'Storefront Test Lantern', stock: 5 });
  const shopper = await shopperWithCart(product.id, 2);
  const placed = await shopper.post('/checkout', { ...(await checkoutForm(shopper)), paymentMethod: 'pm_card_chargeDeclined' });
  assert.equal(placed.status, 303, placed.text);
  const location = placed.headers.get('location')!;
  const orderId = location.split('/').at(-1)!;
  // What the payment service records for a decline (this app runs no payment workers; the whole journey
  // with real payments is in test/browser/storefront.browser.test.ts and test/e2e/pay-again.test.ts).
  await app.db.pool.query(`UPDATE orders SET status = 'payment_failed' WHERE id = $1`, [orderId]);
  await app.db.pool.query(`INSERT INTO order_events (order_id, type, from_status, to_status, data) VALUES ($1, 'payment.declined', 'pending_payment', 'payment_failed', $2)`,
    [orderId, JSON.stringify({ code: 'card_declined', declineCode: 'insufficient_funds', message: 'Your card has insufficient funds.' })]);
  const deadline = (await app.db.pool.query<{ t: Date }>('SELECT min(expires_at) AS t FROM stock_reservations WHERE order_id = $1', [orderId])).rows[0]!.t;

  const page = await shopper.get(location);
  assert.equal(page.status, 200);
  const clock = (t: Date) => `<time datetime="${t.toISOString()}" data-format="time">${t.toISOString().slice(11, 16)} UTC</time>`;
  const closes = new Date(deadline.getTime() - 30_000);
  assert.ok(page.text.includes(`Your card has insufficient funds. Your items are held until ${clock(deadline)}; pay with another card before ${clock(closes)}.`), page.text);
  assert.match(page.text, /5 more cards can be tried on this order\./);
  assert.doesNotMatch(page.text, /order again/i, 'no promise of a cart that is gone');
  assert.ok(page.text.includes(`<form method="post" action="/orders/${orderId}/payment"`));
  assert.match(page.text, /<select id="paymentMethod" name="paymentMethod"/, 'the checkout payment selector');
  assert.match(page.text, /Pay \$25\.00/);
  assert.doesNotMatch(page.text, /http-equiv="refresh"/);
  const key = hiddenValue(page.text, 'idempotencyKey');
  assert.match(key, /^[0-9a-f-]{36}$/);

  const bad = await shopper.post(`${location}/payment`, { paymentMethod: 'visa', idempotencyKey: key });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /Choose a payment method/);
  assert.match(bad.text, /aria-invalid="true"/);
  const stranger = await new Shopper().post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: key });
  assert.equal(stranger.status, 404, 'only the browser that placed the order can pay it');

  // A double submit of the form starts one payment; both land on the order page.
  const [first, second] = await Promise.all([
    shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: key }),
    shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: key }),
  ]);
  assert.deepEqual([first.status, second.status], [303, 303], `${first.text} ${second.text}`);
  assert.equal(first.headers.get('location'), location);
  assert.match((await shopper.get(location)).text, /Payment processing/);
  const events = await app.db.pool.query(`SELECT count(*)::int AS n FROM order_events WHERE order_id = $1 AND type = 'payment.retried'`, [orderId]);
  assert.equal(events.rows[0].n, 1, 'one retry');
  const row = await app.db.pool.query('SELECT status, payment_method FROM orders WHERE id = $1', [orderId]);
  assert.deepEqual(row.rows[0], { status: 'pending_payment', payment_method: 'pm_card_visa' });
  const another = await shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: 'another-form' });
  assert.equal(another.status, 409);
  assert.match(another.text, /This order is not waiting for a card/);
  assert.match(another.text, /Payment processing/);

  // Less than 30 s before the deadline: no form (a retry then could be canceled before it was tried).
  await app.db.pool.query(`UPDATE orders SET status = 'payment_failed' WHERE id = $1`, [orderId]);
  await app.db.pool.query(`UPDATE stock_reservations SET expires_at = now() + interval '20 seconds' WHERE order_id = $1`, [orderId]);
  const closing = await shopper.get(location);
  assert.match(closing.text, /The time to pay with another card is over; the items are released at <time/);
  assert.doesNotMatch(closing.text, /<form method="post" action="\/orders/);
  const tooClose = await shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: 'closing-form' });
  assert.equal(tooClose.status, 409);
  assert.match(tooClose.text, /Too late to pay this order/);

  // Paid again as many times as one order can be (5 by default): no form, and the page says why.
  await app.db.pool.query(`UPDATE stock_reservations SET expires_at = now() + interval '10 minutes' WHERE order_id = $1`, [orderId]);
  await app.db.pool.query(`INSERT INTO order_events (order_id, type, from_status, to_status, data)
                           SELECT $1, 'payment.retried', 'payment_failed', 'pending_payment', '{}' FROM generate_series(1, 4)`, [orderId]);
  const exhausted = await shopper.get(location);
  assert.match(exhausted.text, /This order has been tried with 6 cards, the most one order can be, so it cannot be paid with another card\. Nothing was charged/);
  assert.doesNotMatch(exhausted.text, /<form method="post" action="\/orders/);
  const sixth = await shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: 'sixth-form' });
  assert.equal(sixth.status, 409);
  assert.match(sixth.text, /No more cards can be tried on this order/);

  // Past the deadline: no form; the order is canceled and its items released.
  await app.db.pool.query(`UPDATE orders SET status = 'payment_failed' WHERE id = $1`, [orderId]);
  await app.db.pool.query(`UPDATE stock_reservations SET expires_at = now() - interval '1 second' WHERE order_id = $1`, [orderId]);
  const late = await shopper.get(location);
  assert.match(late.text, /The time to pay with another card has passed, so the items were released/);
  assert.doesNotMatch(late.text, /<form method="post" action="\/orders/);
  const tooLate = await shopper.post(`${location}/payment`, { paymentMethod: 'pm_card_visa', idempotencyKey: 'late-form' });
  assert.equal(tooLate.status, 409);
  assert.match(tooLate.text, /Too late to pay this order/);
  await app.db.pool.query(`UPDATE orders SET status = 'canceled' WHERE id = $1`, [orderId]);
  assert.match((await shopper.get(location)).text, /This order was canceled and its items were released/);
});

test('out of stock at checkout re-renders the form with a 409 and a clear message', async () => {
  const product = await createProduct({ title: 'Storefront Test Sled', stock: 1 });
  const shopper = await shopperWithCart(product.id, 2);
  const form = await checkoutForm(shopper);
  const res = await shopper.post('/checkout', form);
  assert.equal(res.status, 409);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(res.text, /Not enough stock/);
  assert.match(res.text, /“Storefront Test Sled”/);
  assert.match(res.text, /Only 1 left/);
  assert.match(res.text, /value="grace@example.com"/, 'what the shopper typed is kept');
  assert.equal(hiddenValue(res.text, 'idempotencyKey'), form.idempotencyKey, 'nothing was stored, so the key is reused');
  const { rows } = await app.db.pool.query('SELECT on_hand, reserved FROM stock_levels WHERE product_id = $1', [product.id]);
  assert.deepEqual(rows[0], { on_hand: 1, reserved: 0 });

  const emptyShopper = new Shopper();
  const empty = await emptyShopper.post('/checkout', { ...form, idempotencyKey: 'another-key' });
  assert.equal(empty.status, 422);
  assert.match(empty.text, /Your cart is empty/);
});

test('invalid checkout fields re-render the form with every problem, labelled, and a 400', async () => {
  const product = await createProduct({ title: 'Storefront Test Kite', stock: 5 });
  const shopper = await shopperWithCart(product.id, 1);
  const form = await checkoutForm(shopper);
  const res = await shopper.post('/checkout', { ...form, email: 'not-an-email', name: '  ', country: 'usa' });
  assert.equal(res.status, 400);
  assert.match(res.text, /role="alert"/);
  assert.match(res.text, /<a href="#email">Enter an email address/);
  assert.match(res.text, /<a href="#name">Enter the name/);
  assert.match(res.text, /<a href="#country">Choose a country/);
  assert.match(res.text, /id="email" name="email"[^>]*value="not-an-email"[^>]*aria-invalid="true" aria-describedby="email-error"/);
  assert.doesNotMatch(res.text, /<a href="#city">/, 'valid fields are not flagged');

  const garbage = await shopper.request('POST', '/checkout', 'email=a@b.co&unexpected=1');
  assert.equal(garbage.status, 400);
  assert.match(garbage.headers.get('content-type') ?? '', /text\/html/);
  assert.match(garbage.text, /The form could not be read|Enter/);
  const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders WHERE email = $1', ['not-an-email']);
  assert.equal(rows[0].n, 0);
});

test('user-controlled text is escaped everywhere it is shown', async () => {
  const product = await createProduct({ title: '<script>alert("pwned")</script> Mug & "Co"', stock: 5, categories: ['<b>bold</b>'] });
  const shopper = new Shopper();
  const page = await shopper.get(`/products/${product.slug}`);
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /<script>alert/);
  assert.match(page.text, /<h1>&lt;script&gt;alert\(&quot;pwned&quot;\)&lt;\/script&gt; Mug &amp; &quot;Co&quot;<\/h1>/);
  assert.match(page.text, /alt="&lt;script&gt;alert\(&quot;pwned&quot;\)/);
  assert.doesNotMatch(page.text, /<b>bold<\/b>/);

  const search = await shopper.get(`/?q=${encodeURIComponent('"><script>alert(1)</script>')}`);
  assert.equal(search.status, 200);
  assert.doesNotMatch(search.text, /<script>alert\(1\)/);
  assert.match(search.text, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);

  await shopper.post('/cart/items', { productId: product.id, quantity: '1' });
  const cart = await shopper.get('/cart');
  assert.doesNotMatch(cart.text, /<script>alert/);
  const form = await checkoutForm(shopper);
  const rejected = await shopper.post('/checkout', { ...form, email: '"><script>alert(2)</script>' });
  assert.equal(rejected.status, 400);
  assert.doesNotMatch(rejected.text, /<script>alert\(2\)/);
  const placed = await shopper.post('/checkout', { ...form, name: '<img src=x onerror=alert(3)>' });
  assert.equal(placed.status, 303);
  const order = await shopper.get(placed.headers.get('location')!);
  assert.doesNotMatch(order.text, /<img src=x/);
  assert.match(order.text, /&lt;img src=x onerror=alert\(3\)&gt;/);
});

test('the stylesheet and product pictures are served with long cache lifetimes', async () => {
  const shopper = new Shopper();
  const home = await shopper.get('/');
  const cssHref = /<link rel="stylesheet" href="([^"]+)">/.exec(home.text)?.[1];
  assert.match(cssHref ?? '', /^\/assets\/storefront\.[0-9a-f]{12}\.css$/);
  const css = await shopper.get(cssHref!, 'text/css');
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  assert.equal(css.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.match(css.text, /:focus-visible/);

  const slug = productCards(home.text)[0]!;
  const picture = await shopper.get(`/images/products/${slug}.svg`, 'image/*');
  assert.equal(picture.status, 200);
  assert.match(picture.headers.get('content-type') ?? '', /^image\/svg\+xml/);
  assert.match(picture.headers.get('cache-control') ?? '', /^public, max-age=\d{5,}/);
  assert.match(picture.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal((await shopper.get(`/images/products/${slug}.svg`, 'image/*')).text, picture.text, 'deterministic');
  assert.notEqual((await shopper.get('/images/products/another-thing-00002.svg', 'image/*')).text, picture.text);
  assert.equal((await shopper.get('/images/products/Bad%20Slug.svg', 'image/*')).status, 404);
});

test('search results and the grid mark sold-out and low-stock products, count a search\'s matches and sort by price or newest; a bad sort is a 400 page', async () => {
  const soldOut = await createProduct({ title: 'Storefront Test Quillwort Sold', stock: 0, amount: 3000 });
  const low = await createProduct({ title: 'Storefront Test Quillwort Few', stock: 2, amount: 1000 });
  const plenty = await createProduct({ title: 'Storefront Test Quillwort Many', stock: 80, amount: 2000 });
  const shopper = new Shopper();
  const found = await shopper.get('/?q=quillwort');
  assert.equal(found.status, 200);
  assert.match(found.text, /<p class="result-count">3 products found<\/p>/);
  const card = (slug: string) => new RegExp(`<li class="product-card ([a-z-]+)"><a href="/products/${slug}">[\\s\\S]*?</li>`).exec(found.text);
  assert.equal(card(soldOut.slug)?.[1], 'sold-out');
  assert.match(card(soldOut.slug)![0], /<p class="stock sold-out">Sold out<\/p>/);
  assert.equal(card(low.slug)?.[1], 'low-stock');
  assert.match(card(low.slug)![0], /<p class="stock low-stock">Only 2 left<\/p>/);
  assert.equal(card(plenty.slug)?.[1], 'in-stock');
  assert.doesNotMatch(card(plenty.slug)![0], /class="stock/);

  assert.deepEqual(productCards((await shopper.get('/?q=quillwort&sort=price_asc')).text), [low.slug, plenty.slug, soldOut.slug]);
  assert.deepEqual(productCards((await shopper.get('/?q=quillwort&sort=price_desc')).text), [soldOut.slug, plenty.slug, low.slug]);
  const newest = await shopper.get('/?q=quillwort&sort=newest');
  assert.deepEqual(productCards(newest.text), [plenty.slug, low.slug, soldOut.slug]);
  assert.match(newest.text, /<option value="newest" selected>Newest<\/option>/, 'the chosen order stays selected');
  assert.match(newest.text, /<a href="\/\?q=quillwort&amp;category=home&amp;sort=newest"/, 'category links keep the order');
  assert.doesNotMatch((await shopper.get('/')).text, /result-count/, 'the plain catalog is not counted');

  const bad = await shopper.get('/?sort=cheapest');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /The address of this page is not valid/);
  const badCursor = await shopper.get(`/?sort=newest&cursor=${Buffer.from('{"s":"a"}').toString('base64url')}`);
  assert.equal(badCursor.status, 400);
  assert.match(badCursor.text, /The pagination cursor is malformed/);
});

test('the header counts the items in the cart on every page, from a signed cookie; shared pages stay shared for shoppers without one', async () => {
  const product = await createProduct({ title: 'Storefront Test Counted Mug', stock: 50 });
  const anonymous = await new Shopper().get(`/products/${product.slug}`);
  assert.equal(headerCart(anonymous.text), 'Cart');
  assert.equal(anonymous.headers.get('vary'), 'Cookie', 'a shared cache keys the page by cookie');

  const shopper = await shopperWithCart(product.id, 2);
  const cart = await shopper.get('/cart');
  assert.equal(headerCart(cart.text), 'Cart, 2 items');
  const countCookie = cart.setCookies.find((c) => c.startsWith('hf_cart_count='));
  assert.ok(countCookie, 'the cart page writes the count');
  assert.match(countCookie, /HttpOnly/i);
  assert.match(shopper.cookies.get('hf_cart_count')!, /^2\.[A-Za-z0-9+/_=%-]+$/, 'signed');

  // Pages rendered once for everyone (and cached in process) carry this shopper's count, for them alone.
  for (const path of ['/', `/products/${product.slug}`, '/products/no-such-product']) {
    const page = await shopper.get(path);
    assert.equal(headerCart(page.text), 'Cart, 2 items', path);
    if (page.status === 200) assert.equal(page.headers.get('cache-control'), 'private, no-cache', path);
  }
  assert.equal(headerCart((await new Shopper().get('/')).text), 'Cart', 'the next shopper does not see it');

  await shopper.post('/cart/items', { productId: product.id, quantity: '3' });
  assert.equal(headerCart((await shopper.get('/cart')).text), 'Cart, 5 items');
  assert.equal(headerCart((await shopper.get('/')).text), 'Cart, 5 items');

  // A forged count is ignored.
  const forger = new Shopper();
  forger.cookies.set('hf_cart_count', '42.forged');
  assert.equal(headerCart((await forger.get('/')).text), 'Cart');

  // Once ordered, the count is gone.
  const placed = await shopper.post('/checkout', await checkoutForm(shopper));
  assert.equal(placed.status, 303);
  assert.equal(shopper.cookies.has('hf_cart_count'), false);
  assert.equal(headerCart((await shopper.get('/')).text), 'Cart');
});

test('the order page\'s status endpoint: the status as JSON for the browser holding the order cookie, a 404 for anyone else; the page polls it', async () => {
  const product = await createProduct({ title: 'Storefront Test Polled Lantern', stock: 5 });
  const shopper = await shopperWithCart(product.id, 1);
  const placed = await shopper.post('/checkout', await checkoutForm(shopper));
  const location = placed.headers.get('location')!;
  const orderId = location.split('/').at(-1)!;

  const page = await shopper.get(location);
  assert.match(page.text, new RegExp(`data-status="pending_payment" data-status-url="/orders/${orderId}/status"`));
  assert.match(page.text, /<script src="\/assets\/storefront\.[0-9a-f]{12}\.js" defer><\/script>/);
  assert.match(page.text, /<noscript><meta http-equiv="refresh" content="3"><\/noscript>/, 'without scripts the page still refreshes');
  assert.match(page.text, /Placed <time datetime="[^"]+" data-format="datetime">\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} UTC<\/time>/, 'a readable date');

  const pending = await shopper.get(`/orders/${orderId}/status`, 'application/json');
  assert.equal(pending.status, 200);
  assert.equal(pending.headers.get('cache-control'), 'no-store');
  assert.deepEqual(JSON.parse(pending.text), { status: 'pending_payment' });
  await app.db.pool.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [orderId]);
  assert.deepEqual(JSON.parse((await shopper.get(`/orders/${orderId}/status`, 'application/json')).text), { status: 'paid' });
  const paid = await shopper.get(location);
  assert.doesNotMatch(paid.text, /data-status-url/, 'nothing left to poll');

  for (const path of [`/orders/${orderId}/status`, '/orders/not-an-id/status', '/orders/00000000-0000-0000-0000-000000000000/status']) {
    const res = await new Shopper().get(path, 'application/json');
    assert.equal(res.status, 404, path);
    assert.equal(JSON.parse(res.text).error.code, 'ORDER_NOT_FOUND', path);
  }

  const script = await shopper.get(/<script src="([^"]+)"/.exec(page.text)![1]!, '*/*');
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
});
