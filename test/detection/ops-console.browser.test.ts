// The ops console in a real browser (Debian's Chromium) against Holdfast deployed as in production (one
// process per role; the console is on the control role's port) under light checkout traffic:
// - sign in with the admin token; the overview's charts draw data (the series' colour is on the canvas)
//   and move within 5 s, with no reload;
// - inject psp.latency (2000 ms, with an expiry) from the console's faults page; the alert and its root
//   cause appear on that page within 15 s, with no reload (the live stream);
// - open its incident, acknowledge it, clear the fault, resolve it; sign out;
// - a state-changing request without the session, or with a CSRF token that is not the session's, is refused.
// With HOLDFAST_SCREENSHOTS=<dir> (scripts/ops-console-screenshots.ts) it saves the pages it passes through.
// A detection test: it judges how fast a live shop notices (test/detection/); light traffic and no CPU
// fault, like the incident escalation test (the runner in main pairs such files):
// detection: light
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';
import { clearFault } from '../helpers/shop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SCREENSHOTS = process.env.HOLDFAST_SCREENSHOTS ? path.resolve(process.env.HOLDFAST_SCREENSHOTS) : undefined;
/** The detector's baseline: readings of the shop under load before the fault. */
const BASELINE_MS = 25_000;

let shop: RoleDeployment;
let load: ShopperLoad;
let browser: Browser;
before(async () => {
  shop = await startRoleDeployment();
  load = await startShopperLoad(shop, 1, 300);
  browser = await launchChromium();
  if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await load?.stop();
  await shop?.stop();
});

async function shot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `ops-console-${name}.png`), fullPage: true });
}

/** Pixels of the chart's canvas in the storefront series' colour (#0072b2), and the canvas as a data URL. */
async function chartPixels(page: Page, chart: string): Promise<{ series: number; image: string }> {
  return page.locator(`[data-chart="${chart}"] canvas`).evaluate((canvas: HTMLCanvasElement) => {
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let series = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 200 && Math.abs(data[i]! - 0x00) < 40 && Math.abs(data[i + 1]! - 0x72) < 40 && Math.abs(data[i + 2]! - 0xb2) < 40) series++;
    }
    return { series, image: canvas.toDataURL() };
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

test('the ops console: sign in, live charts, psp.latency injected from the console raises its alert and root cause live, the incident acknowledged and resolved, sign out; requests without the session or the CSRF token refused', { timeout: 240_000 }, async () => {
  const startedAt = Date.now();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  try {
  let reloads = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) reloads++; });

  // --- sign in (the form, as an operator would: the token is typed, never in a URL)
  await page.goto(`${shop.opsUrl}/ops`);
  assert.equal(new URL(page.url()).pathname, '/ops/sign-in');
  await shot(page, 'sign-in');
  await page.getByLabel('Admin token').fill(shop.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${shop.opsUrl}/ops`);
  assert.ok(!page.url().includes(shop.adminToken));
  assert.ok(!(await page.content()).includes(shop.adminToken), 'the token is not in the page');
  const session = (await context.cookies()).find((c) => c.name === 'hf_ops_session')!;
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');

  // --- the charts draw data and move within 5 s, without a reload
  const navigationsBefore = reloads;
  const first = await until('the rate chart draws the storefront series', 15_000, async () => {
    const p = await chartPixels(page, 'rate').catch(() => undefined);
    return p && p.series > 20 ? p : undefined;
  });
  for (const chart of ['errors', 'p99']) assert.ok(await page.locator(`[data-chart="${chart}"] canvas`).count() === 1, `${chart} chart drawn`);
  const movedAt = Date.now();
  await until('the rate chart moves', 5_000, async () => ((await chartPixels(page, 'rate')).image !== first.image ? true : undefined));
  assert.ok(Date.now() - movedAt <= 5_500);
  assert.equal(reloads, navigationsBefore, 'no reload');
  await page.getByText('Connected.').waitFor({ timeout: 5_000 });

  // --- a request without the session, or with a bad CSRF token, is refused
  const fields = { params: '{"latencyMs":2000}', ttlSeconds: '300' };
  const stranger = await browser.newContext();
  const noSession = await stranger.request.post(`${shop.opsUrl}/ops/faults/psp.latency`, { form: fields, maxRedirects: 0 });
  assert.equal(noSession.status(), 401);
  assert.equal((await noSession.json()).error.code, 'OPS_CONSOLE_SIGN_IN_REQUIRED');
  const noSessionPage = await stranger.request.get(`${shop.opsUrl}/ops`, { maxRedirects: 0 });
  assert.equal(noSessionPage.status(), 303);
  await stranger.close();
  const badCsrf = await context.request.post(`${shop.opsUrl}/ops/faults/psp.latency`, { form: { ...fields, csrf: 'not-the-session-token' }, maxRedirects: 0 });
  assert.equal(badCsrf.status(), 403);
  assert.equal((await badCsrf.json()).error.code, 'OPS_CONSOLE_CSRF_INVALID');
  const noCsrf = await context.request.post(`${shop.opsUrl}/ops/faults/psp.latency`, { form: fields, maxRedirects: 0 });
  assert.equal(noCsrf.status(), 403);

  // --- inject psp.latency from the console, after the detector has its baseline
  await sleep(Math.max(0, BASELINE_MS - (Date.now() - startedAt)));
  await page.getByRole('navigation', { name: 'Ops console' }).getByRole('link', { name: 'Faults', exact: true }).click();
  await page.waitForURL(`${shop.opsUrl}/ops/faults`);
  const fault = page.locator('#fault-psp\\.latency');
  await fault.getByLabel('Parameters (JSON object)').fill('{"latencyMs":2000}');
  await fault.getByLabel('Expires after (seconds)').fill('300');
  await fault.getByRole('button', { name: 'Inject psp.latency' }).click();
  const injectedAt = Date.now();
  await page.waitForURL(/\/ops\/faults\?done=injected/);
  await page.getByText('Fault injected').waitFor();
  const afterInjection = reloads;

  // the alert and its root cause appear on this page, live
  // (an alert raised before the fault, such as a cold start's latency burn, is not the one looked for)
  const alertId = await until('an alert raised since the fault, with its root cause', 15_000, () => page.evaluate((since) => {
    for (const li of document.querySelectorAll<HTMLElement>('[data-panel="alerts"] .alert.firing')) {
      if (Date.parse(li.dataset.since!) >= since && li.querySelector('.root-cause')) return li.dataset.alert;
    }
    return undefined;
  }, injectedAt - 2000));
  const alert = page.locator(`[data-panel="alerts"] [data-alert="${alertId}"]`);
  const seconds = (Date.now() - injectedAt) / 1000;
  const rootCause = await alert.locator('.root-cause').innerText();
  process.stdout.write(`[ops-console] alert with root cause after ${seconds.toFixed(1)} s: ${await alert.locator('h3').innerText()} | ${rootCause}\n`);
  assert.ok(seconds <= 15, `alert and root cause after ${seconds} s`);
  assert.match(rootCause, /provider/i, 'the root cause names the payment provider');
  assert.equal(reloads, afterInjection, 'the alert appeared without a reload');
  await alert.locator('summary').click();
  await shot(page, 'faults-alert');

  // the overview shows it too, with the charts of the last minutes
  await page.getByRole('navigation', { name: 'Ops console' }).getByRole('link', { name: 'Overview', exact: true }).click();
  await page.waitForURL(`${shop.opsUrl}/ops`);
  await until('the overview draws its charts', 10_000, async () => ((await chartPixels(page, 'rate').catch(() => undefined))?.series ?? 0) > 20 ? true : undefined);
  await page.locator(`[data-panel="alerts"] [data-alert="${alertId}"]`).waitFor();
  await shot(page, 'overview');

  // --- its incident: acknowledge, clear the fault, resolve
  // the incident the alert opened: the newest open one of the payments' components
  const incidentLink = page.locator('[data-panel="incidents"] li').filter({ hasText: /provider|payments/ }).first().locator('a');
  await incidentLink.waitFor({ timeout: 15_000 });
  await Promise.all([page.waitForURL(/\/ops\/incidents\/[0-9a-f-]{36}$/, { waitUntil: 'domcontentloaded' }), incidentLink.click()]);
  const incidentUrl = page.url();
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForURL(/done=acknowledged/);
  assert.equal(await page.locator('[data-incident-state]').innerText(), 'acknowledged');
  await page.getByLabel('Add a note to the timeline').fill('psp.latency injected from the console for a game day');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.waitForURL(/done=noted/);
  assert.match(await page.locator('.timeline').innerText(), /game day/);
  await shot(page, 'incident');
  await clearFault(shop.url, shop.adminToken, 'psp.latency');
  await page.getByLabel('Resolution').fill('psp.latency cleared');
  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.waitForURL(/done=resolved/);
  assert.equal(await page.locator('[data-incident-state]').innerText(), 'resolved');
  const postmortem = await context.request.get(`${incidentUrl}/postmortem`);
  assert.equal(postmortem.status(), 200);
  assert.match(await postmortem.text(), /<h1/);

  // --- the pages for running the shop, each under its heading (and pictured for the docs)
  for (const [link, heading, name] of [['Scaling', 'Scaling decisions', 'scaling'], ['Waiting room', 'Waiting room', 'waiting-room'], ['Status page', 'Status page components', 'status'], ['Payments', 'Payments', 'payments']] as const) {
    await page.getByRole('navigation', { name: 'Ops console' }).getByRole('link', { name: link, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await shot(page, name);
  }

  // --- sign out: the session is over, its pages redirect to the sign-in page
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${shop.opsUrl}/ops/sign-in`);
  await page.goto(incidentUrl);
  assert.equal(new URL(page.url()).pathname, '/ops/sign-in');
  const afterSignOut = await context.request.post(`${shop.opsUrl}/ops/faults/psp.latency`, { form: fields, maxRedirects: 0 });
  assert.equal(afterSignOut.status(), 401);
  await context.close();
  } catch (err) {
    if (page) await page.screenshot({ path: path.resolve(import.meta.dirname, '../../reports/ops-console-failure.png'), fullPage: true }).catch(() => undefined);
    throw err;
  }
});
