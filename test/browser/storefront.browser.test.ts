// The storefront in a real browser (Debian's Chromium driven by playwright-core): a shopper's whole
// journey from the home page to the order status page, a declined card paid again with another one from
// the order page, the browsing part again with JavaScript turned off, and the pages at phone width. Screenshots go to reports/ (gitignored) for a human to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { listSucceededCharges } from '../../src/psp/index.ts';
import { transitionOrder } from '../../src/orders/index.ts';
import { withTransaction } from '../../src/platform/db/database.ts';

const REPORTS = path.resolve(import.meta.dirname, '../../reports');

let app: TestApp;
let browser: Browser;
let product: { id: string; slug: string; title: string };

before(async () => {
  app = await startTestApp();
  browser = await launchChromium();
  await mkdir(REPORTS, { recursive: true });
  // A product of our own with a word no demo product has, so the search finds exactly it.
  product = await createProduct(app, {
    slug: 'zephyr-wool-scarf', sku: 'ZWS', title: 'Zephyr Wool Scarf',
    description: 'A soft merino wool scarf from the Zephyr collection, knitted for long winter walks.',
    amount: 3450, categories: ['apparel', 'gifts'], stock: 40,
  });
});

async function createProduct(shop: TestApp, p: { slug: string; sku: string; title: string; description: string; amount: number; categories: string[]; stock: number }) {
  const suffix = randomBytes(4).toString('hex');
  const created = await api(shop.url, 'POST', '/api/admin/products', {
    slug: `${p.slug}-${suffix}`, sku: `${p.sku}-${suffix}`, title: p.title, description: p.description,
    price: { amount: p.amount, currency: 'USD' }, categories: p.categories, stock: p.stock,
    images: [`/images/products/${p.slug}-${suffix}.svg`],
  }, { authorization: `Bearer ${shop.adminToken}` });
  assert.equal(created.status, 201, created.text);
  return created.json as { id: string; slug: string; title: string };
}

/** Fills the checkout form as Ada would, with the given payment method. */
async function fillCheckout(page: Page, paymentMethod: string) {
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Full name').fill('Ada Lovelace');
  await page.getByLabel('Street address').fill('12 Analytical Row');
  await page.getByLabel('Town or city').fill('London');
  await page.getByLabel('Postal code').fill('N1 7AA');
  await page.getByLabel('Country').selectOption('GB');
  await page.getByLabel('Payment method').selectOption(paymentMethod);
}

after(async () => {
  await browser?.close();
  await app?.stop();
});

/** Fails the test on any console error, e.g. a resource blocked by the Content-Security-Policy. */
function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

async function assertPng(file: string) {
  const png = await readFile(file);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width >= 320 && height >= 400, `a full-size screenshot (${width}x${height})`);
  assert.ok(png.length > 15_000, `not a blank page (${png.length} bytes)`);
}

test('a shopper searches, adds to cart, checks out and sees the order status', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = watchConsole(page);

  await page.goto(`${app.url}/`);
  await page.getByRole('heading', { level: 1, name: 'All products' }).waitFor();
  assert.equal(await page.getByRole('main').getByRole('listitem').filter({ has: page.locator('.price') }).count(), 24);
  await page.screenshot({ path: path.join(REPORTS, 'storefront-home.png') });

  // Keyboard users see where they are: the first Tab lands on the skip link, with a visible outline.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    return { text: el.textContent, outline: getComputedStyle(el).outlineStyle };
  });
  assert.deepEqual(focused, { text: 'Skip to content', outline: 'solid' });

  await page.getByLabel('Search products').fill('zephyr');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { level: 1, name: 'Results for “zephyr”' }).waitFor();
  await page.getByRole('link', { name: /Zephyr Wool Scarf/ }).click();

  await page.getByRole('heading', { level: 1, name: 'Zephyr Wool Scarf' }).waitFor();
  assert.equal(await page.locator('.product .price').textContent(), '$34.50');
  assert.equal(await page.locator('.availability').textContent(), 'In stock');
  assert.equal(await page.getByRole('img', { name: 'Zephyr Wool Scarf' }).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), true, 'the generated picture loads');
  await page.screenshot({ path: path.join(REPORTS, 'storefront-product.png') });
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();

  await page.waitForURL(`${app.url}/cart`);
  await page.getByRole('heading', { level: 1, name: 'Your cart' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Zephyr Wool Scarf' }).isVisible(), true);
  assert.equal(await page.locator('.totals dd').nth(1).textContent(), '$69.00');
  const headerCart = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
  await headerCart('Cart, 2 items').waitFor({ timeout: 1_000 }); // the header counts the items, in words for a screen reader
  assert.equal(await headerCart('Cart, 2 items').locator('.cart-count').innerText(), '2', 'and as a badge for the eye');
  await page.getByLabel('Quantity of Zephyr Wool Scarf').fill('3');
  await page.getByRole('button', { name: 'Update' }).click();
  await page.waitForURL(`${app.url}/cart`);
  assert.equal(await page.locator('.totals dd').nth(1).textContent(), '$103.50');
  await headerCart('Cart, 3 items').waitFor({ timeout: 1_000 });
  // Every page's header has it, the shared ones too (rendered once, cached, and given the count as they are sent).
  await page.goto(`${app.url}/products/${product.slug}`);
  await headerCart('Cart, 3 items').waitFor({ timeout: 1_000 });
  await page.goto(`${app.url}/cart`);
  await page.screenshot({ path: path.join(REPORTS, 'storefront-cart.png') });
  await page.getByRole('link', { name: 'Go to checkout' }).click();

  await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
  await fillCheckout(page, 'pm_card_visa');
  await page.screenshot({ path: path.join(REPORTS, 'storefront-checkout.png'), fullPage: true });
  await page.getByRole('button', { name: /Place order/ }).click();

  await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
  const status = page.getByRole('status');
  await status.getByRole('heading', { name: 'Payment processing' }).waitFor();
  assert.match(await page.getByRole('heading', { level: 1 }).textContent() ?? '', /^Order #\d+$/);
  assert.equal(await page.getByText('Ada Lovelace').isVisible(), true);
  const screenshot = path.join(REPORTS, 'storefront-order.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await assertPng(screenshot);

  // The page asks for the status while the payment is processing; it shows the outcome as soon as it is
  // known. The order is paid (by the order state machine, as the payment worker does) 0.7 s after the
  // page showed "Payment processing", and the page must say "Paid" within 1.5 s of that moment.
  const orderId = page.url().split('/').at(-1)!;
  await new Promise((resolve) => setTimeout(resolve, 700));
  const paidAt = Date.now();
  await withTransaction(app.db.pool, (tx) => transitionOrder(tx, orderId, 'paid', { type: 'payment.succeeded' }));
  await status.getByRole('heading', { name: 'Paid: thank you!' }).waitFor({ timeout: 15_000 });
  const shownAfterMs = Date.now() - paidAt;
  assert.ok(shownAfterMs < 1_500, `"Paid" shown ${shownAfterMs} ms after the order was paid`);
  await headerCart('Cart').waitFor({ timeout: 1_000 }); // the cart became the order: no count

  assert.deepEqual(consoleErrors, [], 'no console errors (CSP violations included)');
  await context.close();
});

test('a declined card: the order page says so and holds the items; the same order is paid with another card, without JavaScript', { timeout: 120_000 }, async () => {
  // A shop of its own with the payment workers and the provider simulator, so the cards really are charged.
  const shop = await startTestApp({ targets: ['storefront', 'psp', 'payments'], config: { pspPort: 0 } });
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1024, height: 900 } });
  try {
    const lantern = await createProduct(shop, {
      slug: 'harbour-lantern', sku: 'HBL', title: 'Harbour Lantern', description: 'A storm lantern.', amount: 4200, categories: ['home'], stock: 10,
    });
    const stock = async () => (await api(shop.url, 'GET', `/api/admin/products/${lantern.id}/stock`, undefined, { authorization: `Bearer ${shop.adminToken}` })).json;

    const page = await context.newPage();
    await page.goto(`${shop.url}/products/${lantern.slug}`);
    await page.getByLabel('Quantity').fill('2');
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(`${shop.url}/cart`);
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await fillCheckout(page, 'pm_card_chargeDeclined');
    await page.getByRole('button', { name: /Place order/ }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    const orderUrl = page.url();
    const orderId = orderUrl.split('/').at(-1)!;

    // The page refreshes itself (a meta refresh, no script) until the payment service has an answer.
    const status = page.getByRole('status');
    await status.getByRole('heading', { name: 'Payment failed' }).waitFor({ timeout: 20_000 });
    assert.match(await status.textContent() ?? '', /Your card was declined\. Your items are held until \d{2}:\d{2} UTC; pay with another card before \d{2}:\d{2} UTC\./);
    assert.equal(await page.getByText(/order again/i).count(), 0, 'no promise of a cart that is gone');
    assert.equal((await stock()).reserved, 2, 'the items are held for the shopper');
    await page.screenshot({ path: path.join(REPORTS, 'storefront-order-declined.png'), fullPage: true });

    // Another card that is declined: the page says why, and still offers the form.
    await page.getByLabel('Payment method').selectOption('pm_card_chargeDeclinedInsufficientFunds');
    await page.getByRole('button', { name: 'Pay $84.00' }).click();
    await page.waitForURL(orderUrl);
    await status.getByText(/Your card has insufficient funds\. Your items are held until/).waitFor({ timeout: 20_000 });

    await page.getByLabel('Payment method').selectOption('pm_card_visa');
    await page.getByRole('button', { name: 'Pay $84.00' }).click();
    await page.waitForURL(orderUrl);
    await status.getByRole('heading', { name: 'Paid: thank you!' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(REPORTS, 'storefront-order-paid-again.png'), fullPage: true });

    const charges = await listSucceededCharges(shop.db.pool, { orderId });
    assert.deepEqual(charges.map((c) => c.amount), [8400], 'one charge, for the order total');
    assert.deepEqual({ onHand: (await stock()).onHand, reserved: (await stock()).reserved }, { onHand: 8, reserved: 0 }, 'the held items are sold');
  } finally {
    await context.close();
    await shop.stop();
  }
});

test('the grid and search results mark sold-out and low-stock products', { timeout: 60_000 }, async () => {
  const soldOut = await createProduct(app, { slug: 'quillon-lamp-sold', sku: 'QLS', title: 'Quillon Lamp', description: 'Gone for now.', amount: 5000, categories: ['home'], stock: 0 });
  const few = await createProduct(app, { slug: 'quillon-vase-few', sku: 'QVF', title: 'Quillon Vase', description: 'Nearly gone.', amount: 2500, categories: ['home'], stock: 2 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors = watchConsole(page);
  // Newest first: the products just made lead the grid.
  await page.goto(`${app.url}/?sort=newest`);
  const grid = page.getByRole('main').getByRole('list').filter({ has: page.locator('.product-card') });
  const firstCards = grid.getByRole('link');
  assert.equal(await firstCards.nth(0).getAttribute('href'), `/products/${few.slug}`);
  assert.match(await firstCards.nth(0).innerText(), /Quillon Vase\s+\$25\.00\s+Only 2 left/);
  assert.equal(await firstCards.nth(1).getAttribute('href'), `/products/${soldOut.slug}`);
  assert.match(await firstCards.nth(1).innerText(), /Quillon Lamp\s+\$50\.00\s+Sold out/);
  assert.equal(await page.getByRole('link', { name: /Quillon Lamp .*Sold out/ }).isVisible(), true, 'the marker is part of what the link says');
  assert.equal(await page.locator(`.product-card.sold-out a[href="/products/${soldOut.slug}"] img`).evaluate((img) => Number(getComputedStyle(img).opacity)) < 1, true, 'the picture is dimmed');
  await page.screenshot({ path: path.join(REPORTS, 'storefront-grid-stock.png') });

  await page.getByLabel('Search products').fill('quillon');
  await page.getByLabel('Sort by').selectOption('price_asc');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { level: 1, name: 'Results for “quillon”' }).waitFor();
  assert.equal(await page.locator('.result-count').textContent(), '2 products found');
  assert.deepEqual(await grid.getByRole('heading', { level: 2 }).allTextContents(), ['Quillon Vase', 'Quillon Lamp'], 'cheapest first');
  assert.equal(await page.getByRole('link', { name: /Quillon Lamp .*Sold out/ }).isVisible(), true);
  assert.deepEqual(consoleErrors, []);
  await context.close();
});

test('an order paid by the payment workers within a second shows "Paid" within 1.5 s of being paid, dates in the shopper\'s locale; a decline offers another card as soon as it is known', { timeout: 120_000 }, async () => {
  const shop = await startTestApp({ targets: ['storefront', 'psp', 'payments'], config: { pspPort: 0 } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE', timezoneId: 'Europe/Berlin' });
  try {
    const kettle = await createProduct(shop, { slug: 'copper-kettle', sku: 'CK', title: 'Copper Kettle', description: 'A kettle.', amount: 3900, categories: ['home'], stock: 10 });
    const page = await context.newPage();
    const consoleErrors = watchConsole(page);
    const polls: number[] = []; // when each status answer arrived: in the message if it takes too long
    page.on('response', (res) => { if (res.url().endsWith('/status')) polls.push(Date.now()); });
    await page.goto(`${shop.url}/products/${kettle.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(`${shop.url}/cart`);
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await fillCheckout(page, 'pm_card_visa');
    await page.getByRole('button', { name: /Place order/ }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    await page.getByRole('status').getByRole('heading', { name: 'Paid: thank you!' }).waitFor({ timeout: 10_000 });
    const shownAt = Date.now();
    const orderId = page.url().split('/').at(-1)!;
    const { rows } = await shop.db.pool.query<{ placed: Date; paid: Date }>(
      `SELECT o.created_at AS placed, e.created_at AS paid FROM orders o JOIN order_events e ON e.order_id = o.id AND e.to_status = 'paid' WHERE o.id = $1`, [orderId]);
    const { placed, paid } = rows[0]!;
    assert.ok(paid.getTime() - placed.getTime() < 1_000, `paid ${paid.getTime() - placed.getTime()} ms after it was placed`);
    assert.ok(shownAt - paid.getTime() < 1_500, `"Paid" shown ${shownAt - paid.getTime()} ms after the order was paid `
      + `(status answers at ${polls.map((t) => t - paid.getTime()).join(', ')} ms from then)`);

    // The placing date in the shopper's language and zone; the exact instant stays in the markup.
    const placedTime = page.locator('.meta time');
    assert.equal(await placedTime.getAttribute('datetime'), placed.toISOString());
    const shown = await placedTime.textContent() ?? '';
    assert.doesNotMatch(shown, /UTC|GMT/, shown);
    const month = new Intl.DateTimeFormat('de-DE', { month: 'long', timeZone: 'Europe/Berlin' }).format(placed);
    assert.ok(shown.includes(month) && shown.includes(String(placed.getUTCFullYear())), `"${shown}" is a German date`);

    // A declined card: the page offers to pay the same order with another card once the decline is known.
    await page.goto(`${shop.url}/products/${kettle.slug}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.waitForURL(`${shop.url}/cart`);
    await page.getByRole('link', { name: 'Go to checkout' }).click();
    await fillCheckout(page, 'pm_card_chargeDeclined');
    await page.getByRole('button', { name: /Place order/ }).click();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: 'Pay with another card' }).waitFor({ timeout: 10_000 });
    const offeredAt = Date.now();
    const declined = (await shop.db.pool.query<{ at: Date }>(
      `SELECT created_at AS at FROM order_events WHERE order_id = $1 AND to_status = 'payment_failed'`, [page.url().split('/').at(-1)!])).rows[0]!.at;
    assert.ok(offeredAt - declined.getTime() < 1_500, `another card offered ${offeredAt - declined.getTime()} ms after the decline`);
    assert.match(await page.getByRole('status').textContent() ?? '', /Your card was declined\./);
    assert.equal(await page.getByRole('status').locator('time').first().evaluate((el) => /UTC/.test(el.textContent ?? '')), false, 'the deadline in the shopper\'s zone');
    assert.deepEqual(consoleErrors, []);
  } finally {
    await context.close();
    await shop.stop();
  }
});

test('browsing works with JavaScript turned off, down to adding to the cart', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1024, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${app.url}/`);
  await page.getByRole('heading', { level: 1, name: 'All products' }).waitFor();
  await page.getByRole('link', { name: /Next page/ }).click();
  await page.waitForURL(/cursor=/);
  await page.getByRole('link', { name: 'apparel', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Apparel' }).waitFor();
  await page.getByLabel('Search products').fill('zephyr scarf');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('heading', { level: 1, name: 'Results for “zephyr scarf” in apparel' }).waitFor();
  await page.getByRole('link', { name: /Zephyr Wool Scarf/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Zephyr Wool Scarf' }).waitFor();
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.waitForURL(`${app.url}/cart`);
  assert.equal(await page.getByRole('link', { name: 'Zephyr Wool Scarf' }).isVisible(), true);
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByRole('button', { name: /Place order/ }).waitFor();
  await context.close();
});

/** Whether the page scrolls sideways: what the shopper would have to do to read it. */
const scrollsSideways = (page: Page) => page.evaluate(() => ({
  scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
}));

test('phone checkout: the order summary before "Place order", a readable payment selector, nothing scrolls sideways', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await context.newPage();
  await page.goto(`${app.url}/products/${product.slug}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.waitForURL(`${app.url}/cart`);
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await page.getByRole('heading', { level: 1, name: 'Checkout' }).waitFor();
  await fillCheckout(page, 'pm_card_chargeDeclinedInsufficientFunds');
  const { scrollWidth, innerWidth } = await scrollsSideways(page);
  assert.ok(scrollWidth <= innerWidth, `checkout scrolls sideways: ${scrollWidth} > ${innerWidth}`);
  const summary = await page.getByRole('complementary', { name: 'Order summary' }).boundingBox();
  const button = await page.getByRole('button', { name: /Place order/ }).boundingBox();
  assert.ok(summary && button && summary.y + summary.height <= button.y, 'the summary comes before the button');
  // The chosen card's whole name shows in the selector (its longest one chosen), inside the screen.
  const selector = await page.getByLabel('Payment method').evaluate((el: HTMLSelectElement) => {
    const style = getComputedStyle(el);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const box = el.getBoundingClientRect();
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return { text: el.selectedOptions[0]!.text, textWidth: ctx.measureText(el.selectedOptions[0]!.text).width, room, right: box.right, fontSize: parseFloat(style.fontSize) };
  });
  assert.ok(selector.textWidth <= selector.room, `"${selector.text}" fits its selector (${selector.textWidth.toFixed(0)} of ${selector.room.toFixed(0)} px)`);
  assert.ok(selector.right <= 390 && selector.fontSize >= 16, 'on screen, at a readable size');
  const screenshot = path.join(REPORTS, 'storefront-checkout-phone.png');
  await page.screenshot({ path: screenshot, fullPage: true });
  await assertPng(screenshot);
  await context.close();
});

test('pages fit a phone screen without sideways scrolling', { timeout: 60_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  for (const target of ['/', `/products/${product.slug}`, '/cart', '/checkout']) {
    await page.goto(`${app.url}${target}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${target} overflows the viewport by ${overflow}px`);
  }
  await page.goto(`${app.url}/products/${product.slug}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.waitForURL(`${app.url}/cart`);
  await page.screenshot({ path: path.join(REPORTS, 'storefront-cart-mobile.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the filled cart overflows by ${overflow}px`);
  await context.close();
});
