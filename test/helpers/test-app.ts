// Starts Holdfast in-process on a real socket (port 0) against a fresh test database.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadHoldfastConfig, type Config } from '../../src/app/holdfast-config.ts';
import { createLogger } from '../../src/platform/observability/logger.ts';
import { buildModuleManager, type AppContext } from '../../src/app/holdfast-modules.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

export interface TestApp {
  url: string;
  adminToken: string;
  ctx: AppContext;
  db: TestDatabase;
  /** Log lines the app wrote (JSON strings), for tests that inspect logs. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestApp(opts: { targets?: string[]; config?: Partial<Config>; context?: Partial<AppContext> } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const config = loadHoldfastConfig({}, {
    port: 0, host: '127.0.0.1', databaseUrl: db.url, adminToken, seedOnStart: false, logLevel: 'info',
    dataDir: `.holdfast-test/app-${db.name}`, rateLimitWritesPerMinute: 100_000, ...opts.config,
  });
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const logger = createLogger({ level: config.logLevel, service: 'test', destination: sink });
  const ctx: AppContext = { ...opts.context, config, logger, draining: false, ready: false };
  const mm = buildModuleManager();
  await mm.start(opts.targets ?? ['storefront'], ctx);
  ctx.ready = true;
  const address = ctx.server!.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, adminToken, ctx, db, logs,
    stop: async () => {
      await mm.stop();
      await db.drop();
    },
  };
}

/** Small fetch wrapper for JSON APIs. */
export async function api(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

export const SHIPPING = { name: 'Ada Lovelace', line1: '12 Analytical Row', city: 'London', postalCode: 'N1 7AA', country: 'GB' };
