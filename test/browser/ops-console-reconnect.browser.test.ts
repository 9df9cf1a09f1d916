// The ops console's live view in a real browser (Debian's Chromium) when the control process refuses a
// stream: with room for one stream, a second page is refused (503 OPS_CONSOLE_STREAMS_EXHAUSTED), which
// closes its EventSource for good; the page says it will try again, and once the first page is closed it
// connects by itself, without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

let app: TestApp;
let browser: Browser;
before(async () => {
  app = await startTestApp({ targets: ['storefront', 'control'], config: { opsConsoleMaxStreams: 1 } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

test('a refused live view tries again by itself and connects once a stream is free', { timeout: 90_000 }, async () => {
  const context = await browser.newContext();
  const first = await context.newPage();
  await first.goto(`${app.url}/ops`);
  await first.getByLabel('Admin token').fill(app.adminToken);
  await first.getByRole('button', { name: 'Sign in' }).click();
  await first.waitForURL(`${app.url}/ops`);
  await first.getByText('Connected.').waitFor({ timeout: 15_000 });

  const second = await context.newPage();
  let reloads = 0;
  second.on('framenavigated', (frame) => { if (frame === second.mainFrame()) reloads++; });
  await second.goto(`${app.url}/ops`);
  await second.getByText(/Disconnected: trying again in \d+ s/).waitFor({ timeout: 15_000 });
  const navigations = reloads;
  await first.close();
  await second.getByText('Connected.').waitFor({ timeout: 20_000 });
  assert.equal(reloads, navigations, 'connected without a reload');
  await context.close();
});
