// Issue 5, acceptance 1: a short holiday-surge against a real Holdfast (in-process, real socket, real
// PostgreSQL) writes an HTML report that renders in Chromium with its charts drawn, and the surge is
// visible in the request-rate chart. The screenshot goes to reports/ for a human to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { renderHtmlReport, runLoadTest, type RunResult } from '../../src/loadtest/index.ts';

const REPORTS = path.resolve(import.meta.dirname, '../../reports');

let app: TestApp;
let browser: Browser;
let result: RunResult;

before(async () => {
  app = await startTestApp();
  browser = await launchChromium();
  await mkdir(REPORTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

/** Points of an SVG path "M x,y L x,y ..." (all subpaths). */
function points(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
}

test('a short holiday surge writes a report whose charts render and show the surge', { timeout: 90_000 }, async () => {
  result = await runLoadTest({
    source: { kind: 'builtin', name: 'holiday-surge' }, targetUrl: app.url, overrides: { duration: 30 }, gracefulStopSec: 5,
    serverMetricsUrls: [`${app.url}/metrics`],
  });
  // The shop answered: the run measured something real before we look at the pictures.
  assert.ok(result.totals.requests > 300, `${result.totals.requests} requests`);
  assert.ok(result.totals.errorRate < 0.05, `error rate ${result.totals.errorRate}`);
  const file = path.join(REPORTS, 'loadtest-report.html');
  await writeFile(file, renderHtmlReport(result));

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  const external: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) external.push(r.url()); });
  await page.goto(pathToFileURL(file).href);
  await page.getByRole('heading', { level: 1, name: 'Load test: holiday-surge' }).waitFor();
  await page.screenshot({ path: path.join(REPORTS, 'loadtest-report.png'), fullPage: true });
  await page.locator('#chart-rate').screenshot({ path: path.join(REPORTS, 'loadtest-report-rate.png') });

  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(external, [], 'self-contained: nothing fetched');
  const charts = await page.locator('svg.chart').evaluateAll((els) => els.map((e) => {
    const box = e.getBoundingClientRect();
    return { id: e.id, width: box.width, height: box.height, paths: [...e.querySelectorAll('path[data-series]')].map((p) => ({ series: p.getAttribute('data-series'), d: p.getAttribute('d') ?? '' })) };
  }));
  assert.deepEqual(charts.slice(0, 4).map((c) => c.id), ['chart-rate', 'chart-latency', 'chart-errors', 'chart-concurrency']);
  // The server-side panels follow, from the shop's own /metrics, on the same time axis: the pool's lines
  // span the run as the client's do (x in the same plot area, from its first seconds to its last).
  const server = charts.slice(4);
  assert.ok(server.some((c) => c.id === 'server-pools'), `server panels: ${server.map((c) => c.id).join(', ')}`);
  const xs = (c: typeof charts[number]) => c.paths.flatMap((p) => points(p.d).map((q) => q.x));
  const clientX = xs(charts[0]!);
  const poolX = xs(server.find((c) => c.id === 'server-pools')!);
  assert.ok(poolX.length >= 20, `a pool reading a second (${poolX.length})`);
  assert.ok(Math.abs(Math.min(...poolX) - Math.min(...clientX)) < 60 && Math.abs(Math.max(...poolX) - Math.max(...clientX)) < 60,
    `same time axis: pool x ${Math.min(...poolX)}..${Math.max(...poolX)}, client x ${Math.min(...clientX)}..${Math.max(...clientX)}`);
  for (const c of charts.slice(0, 4)) {
    assert.ok(c.width > 600 && c.height > 150, `${c.id} is drawn at a readable size (${c.width}x${c.height})`);
    assert.ok(c.paths.some((p) => points(p.d).length >= 25), `${c.id} has a line with a point per second`);
  }

  // The surge: the rate series peaks well above its first seconds (baseline 5/s, peak 25/s arrivals).
  const rate = charts[0]!.paths.find((p) => p.series === 'requests/s')!;
  const pts = points(rate.d);
  const axisY = Math.max(...pts.map((p) => p.y));
  const height = (p: { y: number }) => axisY - p.y;
  const first = pts.slice(0, 4);
  const baseline = Math.max(...first.map(height));
  const peak = Math.max(...pts.map(height));
  assert.ok(peak > 2.5 * baseline, `the surge is visible: peak ${peak.toFixed(0)} px vs baseline ${baseline.toFixed(0)} px above the lowest point`);
  const seriesPeak = Math.max(...result.series.map((p) => p.responses / p.width));
  const seriesStart = Math.max(...result.series.slice(0, 4).map((p) => p.responses / p.width));
  assert.ok(seriesPeak > 2.5 * seriesStart, `peak ${seriesPeak}/s vs ${seriesStart}/s in the first seconds`);

  // The tables a reader acts on are there.
  await page.getByRole('heading', { name: 'Steps' }).waitFor();
  assert.ok(await page.getByRole('cell', { name: /checkout\/place-order/ }).first().isVisible());
  assert.match(await readFile(file, 'utf8'), /PASSED|FAILED/);
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  assert.ok(scrollWidth <= innerWidth, `the report scrolls sideways at 1280 px: ${scrollWidth} > ${innerWidth}`);
  await page.close();
});

/** What overflows: the page, and each table against the box it scrolls in. */
async function layoutAt(file: string, viewport: { width: number; height: number }, screenshot?: string) {
  const page = await browser.newPage({ viewport, isMobile: viewport.width < 500, hasTouch: viewport.width < 500 });
  await page.goto(pathToFileURL(file).href);
  await page.getByRole('heading', { level: 1 }).waitFor();
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  const layout = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    tables: [...document.querySelectorAll('table')].map((t) => ({ name: t.parentElement!.getAttribute('aria-label'), width: t.getBoundingClientRect().width, room: t.parentElement!.clientWidth, scrolls: getComputedStyle(t.parentElement!).overflowX })),
    stepName: (() => {
      // The long name's height against a short one's (one line): more means it wraps.
      const [long, short] = [...document.querySelectorAll('td code')].map((c) => c.getBoundingClientRect());
      return { lines: Math.round(long!.height / short!.height), width: Math.round(long!.width) };
    })(),
    stepsRegion: document.querySelector('[role="region"][aria-label="Steps"]')?.getAttribute('tabindex') ?? null,
  }));
  await page.close();
  return layout;
}

test('the report fits 1280 px and a phone without the page scrolling sideways; long step names wrap at their separators', { timeout: 60_000 }, async () => {
  assert.ok(result, 'the first test ran a load test');
  // The same run with a long step name and URL, as a scenario of one's own may have.
  const long = structuredClone(result);
  long.steps[0]!.key = 'checkout/place-order-for-a-returning-customer/with-gift-wrapping/and-a-note';
  long.steps[0]!.url = `${app.url}/api/products/a-very-long-product-slug-for-the-holiday-season?q=wool&category=apparel&limit=24&cursor=eyJzIjoiYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoifQ`;
  const file = path.join(REPORTS, 'loadtest-report-long-names.html');
  const html = renderHtmlReport(long);
  assert.match(html, /checkout\/<wbr>place-order-for-a-returning-customer\/<wbr>with-gift-wrapping/, 'break opportunities after the path separators');
  await writeFile(file, html);

  const wide = await layoutAt(file, { width: 1280, height: 1000 });
  assert.ok(wide.scrollWidth <= wide.innerWidth, `1280 px: the page scrolls sideways (${wide.scrollWidth} > ${wide.innerWidth})`);
  for (const t of wide.tables) assert.ok(t.width <= t.room + 0.5, `1280 px: the ${t.name} table fits its column (${t.width} > ${t.room})`);
  assert.ok(wide.stepName.lines >= 2 && wide.stepName.width < 400, `the long step name wraps (${JSON.stringify(wide.stepName)})`);

  const phone = await layoutAt(file, { width: 390, height: 844 }, path.join(REPORTS, 'loadtest-report-phone.png'));
  assert.ok(phone.scrollWidth <= phone.innerWidth, `phone: the page scrolls sideways (${phone.scrollWidth} > ${phone.innerWidth})`);
  for (const t of phone.tables) assert.ok(t.width <= t.room + 0.5 || t.scrolls === 'auto', 'phone: a table too wide scrolls in its own box');
  assert.equal(phone.stepsRegion, '0', 'that box can be scrolled from the keyboard');
});
