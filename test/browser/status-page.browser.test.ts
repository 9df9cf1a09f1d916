// The public status page and the storefront's banner in a real browser (Debian's Chromium, JavaScript
// off: neither needs any): an open payments incident shows a banner on the shop's pages that links to
// /status, where payments are "Degraded performance"; once resolved, the banner is gone and every
// component is operational again. An operator's update of an incident and a component set by hand show on
// /status as a shopper reads them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { clearStatusOverride, defaultEscalationPolicy, openIncident, publishStatusUpdate, resolveIncident, setStatusOverride } from '../../src/incidents/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const REPORTS = path.resolve(import.meta.dirname, '../../reports');
const none = () => false;

let app: TestApp;
let browser: Browser;
before(async () => {
  assert.ok(existsSync(CHROMIUM), `browser tests need Chromium at ${CHROMIUM}`);
  app = await startTestApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  await mkdir(REPORTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

/**
 * Reloads the cart page until the banner is (or is not) there: the status is recomputed every 5 s. (The
 * cart page is never cached; catalog pages may be kept by the browser for their max-age, 30 s.)
 */
async function cartUntil(page: Page, bannerShown: boolean): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await page.goto(`${app.url}/cart`);
    if ((await page.locator('.status-banner').count() > 0) === bannerShown) return;
    if (Date.now() > deadline) throw new Error(`banner ${bannerShown ? 'not shown' : 'still shown'} after 15 s`);
    await page.waitForTimeout(500);
  }
}

test('a payments incident: banner on the shop, payments degraded on /status; resolved: no banner, all operational (no JavaScript)', { timeout: 90_000 }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await cartUntil(page, false);

  const { incident } = await openIncident(app.db.pool, {
    title: 'payments -> provider: provider p50 2.0 s', severity: 'critical', component: 'payments -> provider', source: 'holdfast control',
    policy: defaultEscalationPolicy([]), at: Date.now(),
  }, none);
  await cartUntil(page, true);
  const banner = page.locator('.status-banner');
  assert.equal(await banner.getAttribute('role'), 'status');
  assert.match(await banner.innerText(), /Payments are slow right now; your order is safe and will be confirmed\./);
  await page.screenshot({ path: path.join(REPORTS, 'status-banner.png'), fullPage: false });

  await banner.getByRole('link', { name: 'Service status' }).click();
  await page.waitForURL(`${app.url}/status`);
  const text = await page.locator('body').innerText();
  assert.match(text, /Payments[\s\S]*Degraded performance/i, text.slice(0, 800));
  await page.screenshot({ path: path.join(REPORTS, 'status-page-incident.png'), fullPage: true });

  await resolveIncident(app.db.pool, incident.id, Date.now(), none);
  await cartUntil(page, false);
  // a new visitor (this browser may keep the earlier /status for its max-age, 15 s)
  const fresh = await browser.newContext({ javaScriptEnabled: false });
  const later = await fresh.newPage();
  await later.goto(`${app.url}/status`);
  const after = await later.locator('body').innerText();
  assert.match(after, /All systems operational/i, after.slice(0, 800));
  await fresh.close();
  await context.close();
});

test("an operator's update and a component set by hand, on /status as a shopper reads it (no JavaScript)", { timeout: 90_000 }, async () => {
  const { incident } = await openIncident(app.db.pool, {
    title: 'search: p99 3 s', severity: 'warning', component: 'search', source: 'holdfast control', policy: defaultEscalationPolicy([]), at: Date.now() - 120_000,
  }, none);
  const published = await publishStatusUpdate(app.db.pool, incident.id, {
    status: 'identified', body: 'Search is slow because its index is being rebuilt; browsing and checkout work normally.', author: 'ana', at: Date.now(),
  }, none);
  assert.equal(published.outcome, 'published');
  await setStatusOverride(app.db.pool, {
    component: 'search', status: 'under_maintenance', reason: 'index rebuild', setBy: 'ana', startsAt: Date.now(), endsAt: Date.now() + 3_600_000, source: 'test',
  });
  // a new visitor each time (a browser may keep /status for its max-age), until the page is recomputed (5 s)
  const statusText = async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/status`);
    return { context, page, text: await page.locator('body').innerText() };
  };
  const deadline = Date.now() + 15_000;
  let seen = await statusText();
  while (!/Under maintenance/.test(seen.text) && Date.now() < deadline) {
    await seen.context.close();
    await new Promise((r) => setTimeout(r, 500));
    seen = await statusText();
  }
  const { page, text, context } = seen;
  assert.match(text, /Current incidents[\s\S]*Identified \(\d+ \w+ \d{4}, \d\d:\d\d UTC\): Search is slow because its index is being rebuilt/, text.slice(0, 1200));
  const search = page.locator('li[data-component="search"]');
  assert.match(await search.innerText(), /Search\s+Under maintenance\s+Set by our team until \d+ \w+ \d{4}, \d\d:\d\d UTC\./);
  assert.doesNotMatch(text, /index rebuild/, 'the override reason stays with the operators');
  await page.screenshot({ path: path.join(REPORTS, 'status-page-operator-update.png'), fullPage: true });
  await context.close();

  await clearStatusOverride(app.db.pool, 'search', Date.now(), { source: 'test' });
  await resolveIncident(app.db.pool, incident.id, Date.now(), none);
});
