// A route plugin on Holdfast's HTTP server (schemas, error mapping, limits), against a fresh test database
// cloned from the migrated and seeded template, answered with Fastify's inject(): no socket, no other
// module. For the contract of each route (status codes, error codes, the happy path); the socket
// end-to-end tests stay for what crosses processes.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createHttpServer, type HttpServer } from '../../src/platform/http/http-server.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { PgBossJobQueue } from '../../src/platform/queue/pg-boss-queue.ts';
import type { JobQueue } from '../../src/platform/queue/job-queue.ts';
import { paymentQueueDefinitions } from '../../src/payments/index.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

export interface RouteTest {
  app: HttpServer;
  db: TestDatabase;
  /** The durable queue with the payment queues declared (when asked for). */
  queue: JobQueue;
  adminToken: string;
  adminTokenSha256: string;
  /** `app.inject()` with a JSON body and headers; the answer's status, JSON body and headers. */
  call(method: string, url: string, opts?: { body?: unknown; headers?: Record<string, string>; admin?: boolean }): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply { status: number; json: any; headers: Record<string, unknown>; body: string }

/** Registers routes (a plugin of one context) on a fresh server; `queue`: start the payment queues (checkout, paying again). */
export async function routeTest(register: (app: HttpServer, t: Omit<RouteTest, 'app' | 'call' | 'close'>) => void | Promise<void>, opts: { queue?: boolean } = {}): Promise<RouteTest> {
  const db = await createTestDatabase();
  const logger = createLogger({ level: 'silent', service: 'route-test' });
  const app = await createHttpServer({ logger, bodyLimitBytes: 65536, rateLimitWritesPerMinute: 100_000 });
  let queue: PgBossJobQueue | undefined;
  if (opts.queue) {
    queue = new PgBossJobQueue({ connectionString: db.url, pool: db.pool, supervise: false, poolMax: 2, applicationName: 'route-test', logger });
    await queue.start();
    await queue.declareQueues(paymentQueueDefinitions({ retryLimit: 1, retryDelaySeconds: 1, expireInSeconds: 60, heartbeatSeconds: 10 }));
  }
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const adminTokenSha256 = createHash('sha256').update(adminToken).digest('hex');
  const noQueue = new Proxy({}, { get: () => { throw new Error('this route test started no queue: routeTest(..., { queue: true })'); } }) as JobQueue;
  await register(app, { db, queue: queue ?? noQueue, adminToken, adminTokenSha256 });
  await app.ready();
  return {
    app, db, queue: queue ?? noQueue, adminToken, adminTokenSha256,
    async call(method, url, o = {}) {
      const res = await app.inject({
        method: method as 'GET', url,
        headers: { ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(o.admin ? { authorization: `Bearer ${adminToken}` } : {}), ...o.headers },
        ...(o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}),
      });
      let json: unknown;
      try { json = res.body ? JSON.parse(res.body) : undefined; } catch { json = undefined; }
      return { status: res.statusCode, json, headers: res.headers, body: res.body };
    },
    async close() {
      await app.close();
      await queue?.boss.stop({ graceful: false }).catch(() => {});
      await db.drop();
    },
  };
}

/** A product of the seeded catalog with at least `minAvailable` units available. */
export async function productWithStock(db: pg.Pool | TestDatabase, minAvailable = 5): Promise<{ id: string; slug: string; price: number }> {
  const pool = 'pool' in db ? db.pool : db;
  const { rows } = await pool.query<{ id: string; slug: string; price: number }>(
    `SELECT p.id, p.slug, p.price_amount::int AS price FROM products p JOIN stock_levels s ON s.product_id = p.id
     WHERE p.active AND s.on_hand - s.reserved >= $1 ORDER BY p.slug LIMIT 1`, [minAvailable]);
  if (!rows[0]) throw new Error(`no product with ${minAvailable} units`);
  return rows[0];
}

export const SHIPPING = { name: 'Ada Lovelace', line1: '12 Analytical Row', city: 'London', postalCode: 'N1 7AA', country: 'GB' };

export const idempotencyKey = () => randomUUID();
