// The status banner goes at the top of a shop page's main landmark, and nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withStatusBanner, statusBannerHook } from './status-banner.ts';

const PAGE = '<body><header></header><main id="main" class="wrap" tabindex="-1">\n<h1>Shop</h1></main></body>';
const BANNER = '<div class="notice info status-banner" role="status"><p>Payments are slow</p></div>';

test('inserted first in <main> of an HTML page while there is a banner', () => {
  const out = withStatusBanner('/', 'text/html; charset=utf-8', PAGE, BANNER) as string;
  assert.ok(out.includes(`tabindex="-1">\n${BANNER}\n<h1>Shop</h1>`), out);
});

test('a cached page (bytes) gets it too', () => {
  const out = withStatusBanner('/', 'text/html; charset=utf-8', Buffer.from(`<p>é</p>${PAGE}`), BANNER) as Buffer;
  assert.ok(Buffer.isBuffer(out));
  assert.ok(out.toString('utf8').includes(`tabindex="-1">\n${BANNER}\n<h1>Shop</h1>`), out.toString('utf8'));
});

test('left alone: no banner, JSON, /status itself, a stream', () => {
  assert.equal(withStatusBanner('/', 'text/html', PAGE, ''), PAGE);
  assert.equal(withStatusBanner('/api/products', 'application/json', '{"main":1}', BANNER), '{"main":1}');
  assert.equal(withStatusBanner('/status', 'text/html', PAGE, BANNER), PAGE);
  const stream = { pipe() {} };
  assert.equal(withStatusBanner('/', 'text/html', stream, BANNER), stream);
  const bytes = Buffer.from(PAGE);
  assert.equal(withStatusBanner('/', 'text/html', bytes, ''), bytes);
});

test('the hook on every response is synchronous: no promise per response, the payload handed on at once', () => {
  let banner = '';
  const hook = statusBannerHook(() => banner);
  const reply = { getHeader: () => 'text/html; charset=utf-8' };
  let handedOn: unknown;
  const returned = (hook as (...a: unknown[]) => unknown)({ url: '/' }, reply, PAGE, (_err: unknown, p: unknown) => { handedOn = p; });
  assert.equal(returned, undefined, 'an async hook returns a promise');
  assert.equal(handedOn, PAGE);
  banner = BANNER;
  hook({ url: '/' }, reply, PAGE, (_err, p) => { handedOn = p; });
  assert.ok(String(handedOn).includes(BANNER));
});
