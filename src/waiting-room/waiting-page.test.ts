// The waiting page: what it tells the shopper, how it refreshes (with and without JavaScript), that it is
// small and self-contained, and that its script does what it says (run in a sandbox with a fake browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import type { QueueStatus } from './admission.ts';
import { describeWait, waitingPage } from './waiting-page.ts';

const NOW = Date.parse('2026-11-27T09:40:00Z');
const queued: QueueStatus = {
  phase: 'queued', position: 37, positionIsOrder: true, waitTimeKnown: true, waitTimeSeconds: 150, refreshIntervalSeconds: 20,
  queueIsFull: false, queueAll: false, eventStartsAt: null,
};

test('the place, the estimated wait and what happens next, announced politely to screen readers', () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.match(page.html, /<h1>You are in the queue<\/h1>/);
  assert.match(page.html, /<div class="status" aria-live="polite">/);
  assert.match(page.html, /<p class="place" id="position">37<\/p>/);
  assert.match(page.html, /Estimated wait: <strong id="wait">About 3 minutes\.<\/strong>/);
  assert.match(page.html, /checks for your turn by itself \(next in 20 seconds\), and takes you to the page you asked for as soon as it is your turn/);
  assert.match(page.html, /<html lang="en">/);
});

test('it refreshes by itself: a meta refresh without JavaScript, the script otherwise', () => {
  const page = waitingPage(queued, { statusCode: 429, now: NOW }).html;
  assert.match(page, /<noscript><meta http-equiv="refresh" content="20"><\/noscript>/);
  assert.match(page, /<body data-refresh="20" data-wait="0">/);
  const soon = waitingPage({ ...queued, position: 1, waitTimeSeconds: 6 }, { statusCode: 200, now: NOW }).html;
  assert.match(soon, /data-wait="6"/, 'asks again when the wait says, sooner than the interval');
});

test('statuses: the room\'s queueing status code; Retry-After on 429; a closed room is a 503 until it opens', () => {
  assert.equal(waitingPage(queued, { statusCode: 202, now: NOW }).statusCode, 202);
  const limited = waitingPage(queued, { statusCode: 429, now: NOW });
  assert.equal(limited.headers['retry-after'], '20');
  const closed = waitingPage({ ...queued, phase: 'closed', refreshIntervalSeconds: 0, eventStartsAt: NOW + 120_000 }, { statusCode: 200, now: NOW });
  assert.equal(closed.statusCode, 503);
  assert.equal(closed.headers['retry-after'], '120');
  assert.match(closed.html, /We open again at <time datetime="2026-11-27T09:42:00.000Z">09:42 UTC<\/time>/);
  assert.match(closed.html, /content="120"/);
});

test('random places, a prequeue, a full queue: each says what it is', () => {
  const random = waitingPage({ ...queued, positionIsOrder: false, position: 400 }, { statusCode: 200, now: NOW }).html;
  assert.match(random, /drawn at random among the <strong id="position">400<\/strong> shoppers waiting/);
  const prequeue = waitingPage({ ...queued, phase: 'prequeue', positionIsOrder: false, position: 12, waitTimeKnown: false, waitTimeSeconds: 0, eventStartsAt: Date.parse('2026-11-27T10:00:00Z') }, { statusCode: 200, now: NOW }).html;
  assert.match(prequeue, /<h1>The sale starts soon<\/h1>/);
  assert.match(prequeue, /It starts at <time datetime="2026-11-27T10:00:00.000Z">10:00 UTC<\/time>/);
  assert.match(prequeue, /arriving early gives no better place/);
  assert.match(prequeue, /We cannot estimate the wait right now\./);
  const full = waitingPage({ ...queued, phase: 'queue_full', queueIsFull: true, position: 5000 }, { statusCode: 200, now: NOW }).html;
  assert.match(full, /<h1>The queue is full<\/h1>/);
});

test('the address asked for is shown as text, escaped and shortened', () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW, requestedPath: '/products/"><script>alert(1)</script>' }).html;
  assert.match(page, /\(<code>\/products\/&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/code>\)/);
  assert.equal(page.match(/<script>/g)?.length, 1, 'only the page\'s own script');
  const long = waitingPage(queued, { statusCode: 200, now: NOW, requestedPath: `/${'a'.repeat(500)}` }).html;
  assert.ok(!long.includes('a'.repeat(100)));
});

test('small and self-contained: a few KB, nothing to fetch', () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW }).html;
  assert.ok(Buffer.byteLength(page) < 5000, `${Buffer.byteLength(page)} bytes`);
  assert.doesNotMatch(page, /<link rel="stylesheet"|<img|src="|@import|url\(/);
});

/** Runs the page's script against a fake browser; returns what it did. */
function runScript(page: string, answers: { status: number; body?: unknown }[]) {
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
  const attrs = Object.fromEntries([...page.matchAll(/data-(refresh|wait)="(\d+)"/g)].map((m) => [`data-${m[1]}`, m[2]]));
  const timers: { fn: () => void; ms: number }[] = [];
  const log: string[] = [];
  const nodes: Record<string, { textContent: string }> = { position: { textContent: '37' }, wait: { textContent: '' } };
  const context = {
    document: { body: { getAttribute: (n: string) => attrs[n] ?? null }, getElementById: (id: string) => nodes[id] ?? null },
    location: { href: 'http://shop.test/products/lantern', reload: () => log.push('reload') },
    setTimeout: (fn: () => void, ms: number) => { timers.push({ fn, ms }); log.push(`wait ${ms}`); },
    fetch: (url: string, init: { headers: Record<string, string> }) => {
      log.push(`fetch ${url} ${init.headers.Accept}`);
      const a = answers.shift()!;
      return Promise.resolve({ status: a.status, json: () => Promise.resolve(a.body) });
    },
    Number, String, Math, Promise,
  };
  vm.runInNewContext(script, context);
  return { log, nodes, tick: async () => { timers.shift()!.fn(); await new Promise((r) => setImmediate(r)); } };
}

test('the script: asks for the JSON form, updates the place in the page, and reloads when the turn comes', async () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW }).html;
  const waiting = { error: { code: 'WAITING_ROOM' }, waitingRoom: { inWaitingRoom: true, position: 4, waitTimeKnown: true, waitTimeSeconds: 30, refreshIntervalSeconds: 20, queueIsFull: false, queueAll: false } };
  const browser = runScript(page, [{ status: 429, body: waiting }, { status: 200 }]);
  assert.deepEqual(browser.log, ['wait 20000']);
  await browser.tick();
  assert.equal(browser.nodes.position!.textContent, '4');
  assert.equal(browser.nodes.wait!.textContent, 'Less than a minute.');
  assert.deepEqual(browser.log.slice(1), ['fetch http://shop.test/products/lantern application/json', 'wait 20000']);
  await browser.tick();
  assert.equal(browser.log.at(-1), 'reload', 'admitted: the real page');
});

test('the script: a busy shop (5xx) or a failed request is asked again after the interval, not at once', async () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW }).html;
  const busy = runScript(page, [{ status: 503 }]);
  await busy.tick();
  assert.deepEqual(busy.log.slice(-1), ['wait 20000']);
  await busy.tick();
  assert.equal(busy.log.at(-1), 'reload');
});

test('the script\'s words for the wait are the page\'s', () => {
  const page = waitingPage(queued, { statusCode: 200, now: NOW }).html;
  const script = /<script>([\s\S]*?)<\/script>/.exec(page)![1]!;
  const wait = /function wait\(s,k\)\{[\s\S]*?\}\n/.exec(script)![0];
  const scriptWait = vm.runInNewContext(`${wait}; wait`, { Math }) as (s: number, k: boolean) => string;
  for (const [s, k] of [[0, false], [0, true], [59, true], [60, true], [89, true], [150, true], [3599, true], [5400, true], [36000, true]] as const) {
    assert.equal(scriptWait(s, k), describeWait(s, k), `${s} s`);
  }
});
