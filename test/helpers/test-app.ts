// Starts Holdfast in-process on a real socket (port 0) against a fresh test database.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadHoldfastConfig, type Config } from '../../src/app/holdfast-config.ts';
import { startHoldfast, type RunningHoldfast } from '../../src/app/start-holdfast.ts';
import { createLogger, type Logger } from '../../src/platform/observability/logger.ts';
import type { Module, ModuleOptions } from '../../src/platform/modules/module-manager.ts';
import { httpServerModule } from '../../src/platform/http/http-server-module.ts';
import { createTestDatabase, type TestDatabase } from './test-db.ts';

export interface TestApp {
  url: string;
  adminToken: string;
  config: Config;
  logger: Logger;
  running: RunningHoldfast;
  /** The service of a module this app runs (its pool, the fault reader, the simulator's URLs, ...). */
  service<S>(module: Module<S, never, never>): S;
  db: TestDatabase;
  /** Log lines the app wrote (JSON strings), for tests that inspect logs. */
  logs: string[];
  stop(): Promise<void>;
}

export async function startTestApp(opts: { targets?: string[]; config?: Partial<Config>; options?: ModuleOptions[] } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const config = loadHoldfastConfig({}, {
    port: 0, host: '127.0.0.1', databaseUrl: db.url, adminToken, seedOnStart: false, logLevel: 'info',
    dataDir: `.holdfast-test/app-${db.name}`, rateLimitWritesPerMinute: 100_000, ...opts.config,
  });
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const logger = createLogger({ level: config.logLevel, service: 'test', destination: sink });
  const running = await startHoldfast({
    targets: opts.targets ?? ['storefront'], config, logger, serviceName: 'test', waitForDatabase: false, options: opts.options ?? [],
  });
  const http = running.manager.has(httpServerModule) ? running.manager.service(httpServerModule) : undefined;
  const address = http?.server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, adminToken, config, logger, running, db, logs,
    service: (module) => running.manager.service(module),
    stop: async () => {
      await running.stop();
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
