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
  await page.getByLabel('Quantity of Zephyr Wool Scarf').fill('3');
  await page.getByRole('button', { name: 'Update' }).click();
  await page.waitForURL(`${app.url}/cart`);
  assert.equal(await page.locator('.totals dd').nth(1).textContent(), '$103.50');
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

  // The page refreshes itself while the payment is processing; once settled it says so.
  const orderId = page.url().split('/').at(-1)!;
  await app.db.pool.query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [orderId]);
  await status.getByRole('heading', { name: 'Paid: thank you!' }).waitFor({ timeout: 15_000 });

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
