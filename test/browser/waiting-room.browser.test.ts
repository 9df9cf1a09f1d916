// The waiting page in a real browser (Debian's Chromium driven by playwright-core): a shopper who arrives
// while the shop is full sees their place and the estimated wait, the page asks again by itself, and once
// there is room it lands on the page the shopper asked for, with no click. Also with JavaScript off (the
// meta refresh). Screenshots go to reports/ (gitignored).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { productWithStock } from '../helpers/route-test.ts';

const REPORTS = path.resolve(import.meta.dirname, '../../reports');

let app: TestApp;
let browser: Browser;

before(async () => {
  app = await startTestApp({
    config: { waitingRoom: { mode: 'on', totalActiveUsers: 1, newUsersPerMinute: 1, refreshIntervalSeconds: 2 }, waitingRoomSyncMs: 200 },
  });
  browser = await launchChromium();
  await mkdir(REPORTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

const setRoom = async (patch: Record<string, unknown>) => {
  const res = await api(app.url, 'PUT', '/api/admin/waiting-room', patch, { authorization: `Bearer ${app.adminToken}` });
  assert.equal(res.status, 200, res.text);
};

test('a queued shopper sees place and wait, the page refreshes itself, and lands on the product once admitted', { timeout: 90_000 }, async () => {
  // Someone is already in: the one place is taken.
  const first = await api(app.url, 'GET', '/');
  assert.equal(first.status, 200);
  const product = await productWithStock(app.db.pool, 1);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !/429/.test(msg.text())) errors.push(msg.text()); });
  let polls = 0;
  page.on('request', (req) => { if (req.headers().accept === 'application/json' && req.url().includes(`/products/${product.slug}`)) polls++; });

  const asked = `${app.url}/products/${product.slug}`;
  const res = await page.goto(asked);
  assert.equal(res?.status(), 200);
  await page.getByRole('heading', { level: 1, name: 'You are in the queue' }).waitFor();
  assert.equal((await page.locator('#position').textContent())?.trim(), '1');
  assert.match((await page.locator('#wait').textContent()) ?? '', /minute|estimate/);
  assert.equal(page.url(), asked, 'the waiting page is served at the address asked for');
  const shot = path.join(REPORTS, 'waiting-room.png');
  await page.screenshot({ path: shot, fullPage: true });
  const png = await readFile(shot);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.ok(png.readUInt32BE(16) >= 320 && png.readUInt32BE(20) >= 400, 'a full-size screenshot');
  assert.ok(png.length > 10_000, `not a blank page (${png.length} bytes)`);

  // It asks again by itself (the JSON form, no reload while still waiting).
  const deadline = Date.now() + 15_000;
  while (polls < 2 && Date.now() < deadline) await page.waitForTimeout(250);
  assert.ok(polls >= 2, `the page polled by itself (${polls} times)`);
  assert.equal(await page.getByRole('heading', { level: 1, name: 'You are in the queue' }).isVisible(), true);

  // Room opens: the page takes the shopper to the product without a click.
  await setRoom({ totalActiveUsers: 10, newUsersPerMinute: 10 });
  await page.locator('.product .price').waitFor({ timeout: 20_000 });
  assert.equal(page.url(), asked, 'the product page itself, at the address asked for');
  await page.screenshot({ path: path.join(REPORTS, 'waiting-room-admitted.png') });
  assert.deepEqual(errors, []);
  await context.close();
});

test('without JavaScript the waiting page refreshes itself with a meta refresh', { timeout: 60_000 }, async () => {
  await setRoom({ totalActiveUsers: 1, newUsersPerMinute: 1, queueAll: true });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  let loads = 0;
  page.on('load', () => { loads++; });
  await page.goto(`${app.url}/`);
  await page.getByRole('heading', { level: 1, name: 'You are in the queue' }).waitFor();
  const deadline = Date.now() + 15_000;
  while (loads < 2 && Date.now() < deadline) await page.waitForTimeout(250);
  assert.ok(loads >= 2, `the page reloaded itself (${loads} loads)`);
  await setRoom({ queueAll: false, totalActiveUsers: 10, newUsersPerMinute: 10 });
  await page.getByRole('heading', { level: 1, name: 'All products' }).waitFor({ timeout: 20_000 });
  await context.close();
});
