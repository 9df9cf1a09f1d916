import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MicroCache } from './micro-cache.ts';

test('concurrent misses share one render; hits are served until the entry expires', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000 });
  const cache = new MicroCache({ ttlMs: 2000, maxEntries: 10 });
  let renders = 0;
  const render = async () => { renders++; await new Promise((r) => setImmediate(r)); return `page ${renders}`; };
  const pages = await Promise.all([cache.get('a', render), cache.get('a', render), cache.get('a', render)]);
  assert.deepEqual(pages, ['page 1', 'page 1', 'page 1']);
  assert.equal(await cache.get('a', render), 'page 1');
  t.mock.timers.tick(2001);
  assert.equal(await cache.get('a', render), 'page 2', 'rendered again after the TTL');
  assert.equal(renders, 2);
});

test('errors are not cached, and the oldest entry is evicted when full', async () => {
  const cache = new MicroCache({ ttlMs: 60_000, maxEntries: 2 });
  await assert.rejects(cache.get('x', () => Promise.reject(new Error('db down'))), /db down/);
  assert.equal(await cache.get('x', async () => 'recovered'), 'recovered');
  await cache.get('y', async () => 'y');
  await cache.get('z', async () => 'z');
  assert.equal(cache.size, 2);
  assert.equal(await cache.get('x', async () => 'x rendered again'), 'x rendered again', 'x was the oldest and was evicted');
});

test('serve hands a cached page over at once, and a missing one once it is rendered', async () => {
  const cache = new MicroCache<string>({ ttlMs: 60_000, maxEntries: 10 });
  const sent: string[] = [];
  const pending = cache.serve('a', async () => 'page a', (body) => { sent.push(body); });
  assert.ok(pending instanceof Promise, 'a miss returns the pending send');
  assert.equal(sent.length, 0, 'nothing is sent before the page is rendered');
  await pending;
  assert.deepEqual(sent, ['page a']);
  const hit = cache.serve('a', async () => 'not rendered again', (body) => { sent.push(body); });
  assert.equal(hit, undefined, 'a hit returns nothing to wait for');
  assert.deepEqual(sent, ['page a', 'page a'], 'and was sent synchronously');
  await assert.rejects(cache.serve('b', () => Promise.reject(new Error('not found')), () => {}) ?? Promise.resolve(), /not found/);
});
