// The concurrency gate on a real Fastify server over a socket: shedding by class with 503 OVERLOADED and
// the class's Retry-After, unclassified routes never limited, and slots freed when responses end (also
// when the client goes away first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpServer, concurrencyGateOf, setRequestClassifier, type HttpServer } from './http-server.ts';
import { createLogger } from '../observability/logger.ts';
import type { RequestToClassify } from './concurrency-limit.ts';

const LIMIT = 10;

async function serverWithHeldRoutes(): Promise<{ app: HttpServer; url: string; releaseAll(): void; held(): number }> {
  const app = await createHttpServer({
    logger: createLogger({ level: 'silent', service: 'concurrency-limit-test' }), bodyLimitBytes: 65536, rateLimitWritesPerMinute: 100_000,
    concurrencyLimit: { initialLimit: LIMIT, minLimit: LIMIT, maxLimit: LIMIT },
  });
  let waiting: (() => void)[] = [];
  const hold = () => new Promise<void>((resolve) => waiting.push(resolve));
  for (const route of ['/browse', '/search', '/cart', '/checkout']) app.get(route, async () => { await hold(); return { ok: true }; });
  app.get('/healthz', async () => ({ status: 'ok' }));
  setRequestClassifier(app, (r: RequestToClassify) => ({ '/browse': 'sheddable_plus', '/search': 'sheddable', '/cart': 'critical', '/checkout': 'critical_plus' } as const)[r.route as '/browse'] ?? null);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, releaseAll: () => { const w = waiting; waiting = []; for (const r of w) r(); }, held: () => waiting.length };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), 'condition not reached in 5 s');
}

test('over the limit the lower classes get 503 OVERLOADED with their Retry-After; checkouts and health still pass', async () => {
  const { app, url, releaseAll, held } = await serverWithHeldRoutes();
  try {
    // Browsing fills what it may: 80% of the limit.
    const browsing = Array.from({ length: 8 }, () => fetch(`${url}/browse`));
    await until(() => held() === 8);
    const refused = await fetch(`${url}/browse`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(refused.headers.get('cache-control'), 'no-store');
    const body = await refused.json() as { error: { code: string; details: { requestClass: string } } };
    assert.equal(body.error.code, 'OVERLOADED');
    assert.equal(body.error.details.requestClass, 'sheddable_plus');
    const search = await fetch(`${url}/search`);
    assert.equal(search.status, 503);
    assert.equal(search.headers.get('retry-after'), '10');
    // The cart still has its 90%: one more.
    const cart = fetch(`${url}/cart`);
    await until(() => held() === 9);
    assert.equal((await fetch(`${url}/cart`)).status, 503);
    // Checkouts count only checkouts against the whole limit: all ten pass with nine lower requests in flight.
    const checkouts = Array.from({ length: LIMIT }, () => fetch(`${url}/checkout`));
    await until(() => held() === 9 + LIMIT);
    const eleventh = await fetch(`${url}/checkout`);
    assert.equal(eleventh.status, 503, 'checkouts alone fill the limit: nothing else is left to shed');
    assert.equal(eleventh.headers.get('retry-after'), '1');
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'health is never limited');
    releaseAll();
    for (const r of await Promise.all([...browsing, cart, ...checkouts])) assert.equal(r.status, 200);
    // Every slot is free again.
    await until(() => concurrencyGateOf(app)!.limiter.snapshot().inflight === 0);
    const again = fetch(`${url}/browse`);
    await until(() => held() === 1);
    releaseAll();
    assert.equal((await again).status, 200);
  } finally {
    releaseAll();
    await app.close();
  }
});

test('a client that goes away frees its slot', async () => {
  const { app, url, releaseAll, held } = await serverWithHeldRoutes();
  try {
    const controllers = Array.from({ length: 8 }, () => new AbortController());
    const gone = controllers.map((c) => fetch(`${url}/browse`, { signal: c.signal }).catch(() => undefined));
    await until(() => held() === 8);
    assert.equal((await fetch(`${url}/browse`)).status, 503);
    for (const c of controllers) c.abort();
    await Promise.all(gone);
    await until(() => concurrencyGateOf(app)!.limiter.snapshot().inflight === 0);
    releaseAll();
  } finally {
    releaseAll();
    await app.close();
  }
});
