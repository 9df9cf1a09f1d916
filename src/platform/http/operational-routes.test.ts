// /readyz answers within its own bound when the database does not answer at all: the pool points at a
// TCP listener that accepts connections and never says a word (a network that drops packets looks the
// same to the client), so each new connection would wait the pool's whole connect timeout (10 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createLogger } from '../observability/logger.ts';
import { createHttpServer } from './http-server.ts';
import { createPool, databaseProbe } from '../db/database.ts';
import { registerOperationalRoutes } from './operational-routes.ts';

test('/readyz answers 503 "database unreachable" within its bound when the database never answers, with one probe query in flight', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => { sockets.add(socket); });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const logger = createLogger({ level: 'silent', service: 'readiness-test' });
  const pool = createPool(`postgres://holdfast:x@127.0.0.1:${port}/holdfast`, 4, 'readiness-test');
  const app = await createHttpServer({ logger, bodyLimitBytes: 65536, rateLimitWritesPerMinute: 1000 });
  registerOperationalRoutes(app, { ready: () => true, draining: () => false, databaseAnswers: databaseProbe(pool, 800) });
  await app.ready();
  try {
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(res.statusCode, 503, res.body);
    assert.deepEqual(res.json(), { status: 'unavailable', reason: 'database unreachable' });
    // The bound is 0.8 s; the pool's connect timeout, what answered before, is 10 s.
    assert.ok(seconds < 5, `answered after ${seconds} s, within its bound rather than the connect timeout`);

    // Probes while that connection is still hanging share it rather than open more.
    const more = await Promise.all(Array.from({ length: 6 }, () => app.inject({ method: 'GET', url: '/readyz' })));
    for (const r of more) assert.equal(r.statusCode, 503);
    assert.equal(pool.totalCount, 1, 'one connection attempt for all the probes');
    assert.ok(sockets.size <= 1, `connections reached the silent server: ${sockets.size}`);
    // /healthz does not touch the database.
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  } finally {
    await app.close();
    for (const s of sockets) s.destroy();
    silent.close();
    await pool.end().catch(() => {});
  }
});
