// The `http-server` module: Fastify on PORT with security headers, limits, one error shape, per-route
// metrics, /healthz, /readyz, /metrics and /api/openapi.json. Modules that serve routes depend on it and
// register them while they initialise; it listens when it starts. It depends on what request handlers use
// (the database, the queue), so that it stops, draining in-flight requests, before the pool closes and
// before the queue stops.
import { defineModule } from '../modules/module-manager.ts';
import type { ConcurrencyLimitConfig, ServerConfig } from '../config/platform-config.ts';
import { databaseModule } from '../db/database-module.ts';
import { migrationsModule } from '../db/migrations-module.ts';
import { databaseProbe } from '../db/database.ts';
import { queueModule } from '../queue/queue-module.ts';
import { createHttpServer, type HttpServer } from './http-server.ts';
import { registerOperationalRoutes } from './operational-routes.ts';

export interface HttpServerService {
  /** The server modules register their routes on (while they initialise). */
  server: HttpServer;
  /** Where it listens, once started. */
  url(): string | undefined;
}

/** How long a draining server keeps its listener open for requests already on their way (see stop()). */
const LISTENER_SETTLE_MS = 500;

export const httpServerModule = defineModule({
  name: 'http-server',
  deps: { database: databaseModule, migrations: migrationsModule, queue: queueModule },
  config: (c: ServerConfig & ConcurrencyLimitConfig) => ({
    host: c.host, port: c.port, reusePort: c.reusePort, bodyLimitBytes: c.bodyLimitBytes, rateLimitWritesPerMinute: c.rateLimitWritesPerMinute,
    readinessTimeoutMs: c.readinessTimeoutMs, trustProxy: c.trustProxy,
    concurrencyLimit: c.concurrencyLimitEnabled
      ? { initialLimit: c.concurrencyLimitInitial, minLimit: c.concurrencyLimitMin, maxLimit: c.concurrencyLimitMax }
      : undefined,
  }),
  init: async ({ config, deps, runtime }) => {
    const { lifecycle, logger } = runtime;
    const server = await createHttpServer({
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      rateLimitWritesPerMinute: config.rateLimitWritesPerMinute,
      trustProxy: config.trustProxy,
      openapi: { title: 'Holdfast', description: 'Storefront, checkout, admin and operations API of a Holdfast shop.' },
      // Every route gets the gate; only a role that classifies its requests (the storefront) is limited.
      concurrencyLimit: config.concurrencyLimit,
    });
    registerOperationalRoutes(server, {
      ready: () => lifecycle.ready,
      draining: () => lifecycle.draining,
      // Bounded: on a network that drops packets the pool would wait its whole connect timeout (10 s).
      databaseAnswers: databaseProbe(deps.database.pool, config.readinessTimeoutMs),
    });
    // While draining, every response closes its connection: a keep-alive client (browser, load balancer)
    // must not send its next request on a socket about to close, and an idle keep-alive socket would
    // hold server.close() open until the grace period kills the process.
    server.addHook('onSend', (_req, reply, payload, done) => {
      if (lifecycle.draining) reply.header('connection', 'close');
      done(null, payload);
    });
    let listeningUrl: string | undefined;
    return {
      service: { server, url: () => listeningUrl } satisfies HttpServerService,
      start: async () => {
        await server.ready();
        listeningUrl = await server.listen({ port: config.port, host: config.host, ...(config.reusePort ? { reusePort: true } : {}) });
        logger.info({ url: listeningUrl }, 'HTTP server listening');
      },
      stop: async () => {
        lifecycle.markDraining();
        // From here /readyz answers 503 and every response closes its connection, but the listener stays
        // open a moment: a client that connected just before SIGTERM may not have sent its request yet,
        // and close() closes every connection without a request at once, resetting a request that was
        // already on its way. Connections opened meanwhile are served (and told to close).
        await new Promise((resolve) => setTimeout(resolve, LISTENER_SETTLE_MS));
        // close() stops accepting and waits for in-flight requests; it closes the connections idle at that
        // moment only, so keep closing those that become idle (a response begun before draining).
        const sweep = setInterval(() => server.server.closeIdleConnections(), 250);
        try {
          await server.close();
        } finally {
          clearInterval(sweep);
        }
      },
    };
  },
});
