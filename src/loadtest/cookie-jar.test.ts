import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CookieJar } from './cookie-jar.ts';

test('cookies set are sent back; a later Set-Cookie of the same name replaces the value', () => {
  const jar = new CookieJar();
  assert.equal(jar.header(), undefined);
  jar.store(['hf_waitingroom=abc.def; Path=/; HttpOnly; SameSite=Lax', 'hf_cart=c1; Path=/; Max-Age=3600']);
  assert.equal(jar.header(), 'hf_waitingroom=abc.def; hf_cart=c1');
  jar.store('hf_waitingroom=next; Path=/');
  assert.equal(jar.header(), 'hf_waitingroom=next; hf_cart=c1');
});

test('Max-Age 0, a past Expires and an elapsed Max-Age remove a cookie; Max-Age wins over Expires', () => {
  const now = Date.parse('2026-12-02T00:00:00Z');
  const jar = new CookieJar();
  jar.store(['a=1', 'b=2; Max-Age=10', 'c=3; Expires=Wed, 02 Dec 2026 00:01:00 GMT', 'd=4; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT'], now);
  assert.equal(jar.header(now), 'a=1; b=2; c=3; d=4');
  jar.store('a=; Max-Age=0', now);
  assert.equal(jar.header(now + 11_000), 'c=3; d=4');
  assert.equal(jar.header(now + 61_000), undefined);
  jar.store('e=5; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now);
  assert.equal(jar.header(now), undefined);
});

test('malformed lines are ignored (no name, no =)', () => {
  const jar = new CookieJar();
  jar.store(['novalue', '=anonymous', ' ; Path=/']);
  assert.equal(jar.header(), undefined);
});
