// Holdfast's modules and targets. Each role is a module; shared infrastructure (database, migrations,
// queue, HTTP server) are modules the roles depend on. See docs/architecture.md.
import type pg from 'pg';
import { ModuleManager } from '../platform/modules/module-manager.ts';
import type { Config } from './holdfast-config.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { startEmbeddedPostgres } from '../platform/db/embedded-postgres.ts';
import { createPool, ensureDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { PgBossJobQueue } from '../platform/queue/pg-boss-queue.ts';
import { createHttpServer, type HttpServer } from '../platform/http/http-server.ts';
import { registerPoolMetrics, metricsSettings } from '../platform/observability/metrics.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import { startTracing } from '../platform/observability/tracing.ts';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { countProducts, seedDemoCatalog } from '../catalog/index.ts';
import { paymentQueueDefinitions } from '../payments/index.ts';
import { ProviderRouter, type ProviderAccount } from '../payments/provider-router.ts';
import { DEFAULT_RESILIENCE } from '../payments/provider-resilience.ts';
import { startPaymentWorkers } from '../payments/payment-worker.ts';
import { leaseSecondsFor } from '../payments/payment-service.ts';
import { resolveAdminToken } from '../platform/admin-token/admin-token.ts';
import { registerOperationalRoutes } from './operational-routes.ts';
import { ensureDatabaseWhenReachable } from './database-at-start.ts';
import { registerStorefront, startStorefrontHousekeeping } from '../storefront/storefront-role.ts';
import { faultsModule, installStorefrontFaults, paymentJobFault, startDelayProxy, type DelayProxy, type FaultReader } from '../faults/index.ts';
import { pspModule, simulatorClientAccounts, type PspServer } from '../psp/index.ts';
import { controlModule, type ControlPlane, type ControlSettings } from '../control/index.ts';

/** What modules share: config in, resources out (filled as modules initialise). */
export interface AppContext {
  config: Config;
  logger: Logger;
  /** The modules this process runs, dependencies first (set before any is initialised). */
  modules?: readonly string[];
  /** A serving process (holdfast start) waits for an unreachable DATABASE_URL server; a one-shot command fails. */
  waitForDatabase?: boolean;
  /** Set during shutdown so /readyz reports not-ready and load balancers stop routing here. */
  draining: boolean;
  ready: boolean;
  databaseUrl?: string;
  pool?: pg.Pool;
  queue?: PgBossJobQueue;
  server?: HttpServer;
  adminTokenSha256?: string;
  listeningUrl?: string;
  /** Provider accounts served by an in-process psp role (set when it starts; used by payments). */
  pspAccounts?: ProviderAccount[];
  /** The cached fault-injection reader (faults module). */
  faults?: FaultReader;
  /** Bound URL of each in-process simulator account, by name (primary, secondary). */
  pspUrls?: Record<string, string>;
  pspServers?: PspServer[];
  paymentRouter?: ProviderRouter;
  /** Overrides of the control role's settings (tests; env and defaults otherwise). */
  controlSettings?: Partial<ControlSettings>;
  /** Route payments -> provider through a local proxy so network.latency can delay it (HOLDFAST_NETWORK_FAULT_PROXY=1). */
  networkFaultProxy?: boolean;
  /** The control role: metrics window, alerts, root-cause findings (control module). */
  control?: ControlPlane;
  /** Where spans go instead of OTLP (tests pass an in-memory exporter). */
  spanExporter?: SpanExporter;
}

/** The provider accounts payments should use: configured ones, else the simulator's (in this process or beside it). */
export function resolveProviderAccounts(ctx: AppContext): ProviderAccount[] {
  if (ctx.config.paymentProviders.length > 0) return ctx.config.paymentProviders;
  return ctx.pspAccounts ?? simulatorClientAccounts(ctx.config);
}

/**
 * Puts a local TCP proxy in the path of every plain-HTTP provider account (the simulator), when enabled:
 * it delays traffic while the network.latency fault is set for payments-provider, and only pipes otherwise.
 */
async function proxyProviderAccounts(ctx: AppContext): Promise<DelayProxy[]> {
  // Opt-in: a proxy accepts the connection before it knows whether the provider will, so "connection
  // refused" (safe to fail over) would arrive as a reset (outcome unknown); only in a fault-injection
  // run is that price worth paying.
  const enabled = ctx.networkFaultProxy ?? ctx.config.networkFaultProxy;
  if (!enabled || !ctx.faults || ctx.paymentRouter) return [];
  const faults = ctx.faults;
  const delay = () => {
    const f = faults.get('network.latency');
    return f && f.between === 'payments-provider' ? f.delayMs : 0;
  };
  const proxies: DelayProxy[] = [];
  const accounts = await Promise.all(resolveProviderAccounts(ctx).map(async (a) => {
    if (!a.baseUrl.startsWith('http://')) return a;
    const proxy = await startDelayProxy(a.baseUrl, delay);
    proxies.push(proxy);
    return { ...a, baseUrl: proxy.url };
  }));
  paymentRouterOf(ctx, accounts);
  return proxies;
}

function paymentRouterOf(ctx: AppContext, accounts?: ProviderAccount[]): ProviderRouter {
  ctx.paymentRouter ??= new ProviderRouter(accounts ?? resolveProviderAccounts(ctx), {
    ...DEFAULT_RESILIENCE,
    timeoutMs: ctx.config.providerTimeoutMs, slowCallMs: ctx.config.providerSlowCallMs,
    maxConcurrent: ctx.config.providerMaxConcurrent, breakerHalfOpenAfterMs: ctx.config.providerBreakerHalfOpenAfterMs,
  }, ctx.logger);
  return ctx.paymentRouter;
}

/** How long a draining server keeps its listener open for requests already on their way (see stop()). */
const LISTENER_SETTLE_MS = 500;

export const ROLE_TARGETS = ['storefront', 'payments', 'psp', 'control'] as const;

export function buildModuleManager(): ModuleManager<AppContext> {
  const mm = new ModuleManager<AppContext>();

  // First to start and last to stop, so spans recorded while the other modules drain are still exported.
  mm.register({
    name: 'telemetry',
    init: (ctx) => {
      metricsSettings.httpEnabled = ctx.config.metricsEnabled;
      metricsSettings.dbEnabled = ctx.config.metricsEnabled;
      if (!ctx.config.tracingEnabled) return;
      const tracing = startTracing({
        serviceName: String(ctx.logger.bindings().service ?? 'holdfast'),
        endpoint: ctx.config.otlpTracesEndpoint, exporter: ctx.spanExporter,
        sampleRatio: ctx.config.tracingSampleRatio, maxTracesPerSecond: ctx.config.tracingMaxTracesPerSecond,
        maxQueueSize: ctx.config.tracingMaxQueueSize,
      });
      if (!tracing) {
        ctx.logger.warn('tracingEnabled is set but otlpTracesEndpoint is not: tracing stays off');
        return;
      }
      ctx.logger.info({ endpoint: ctx.config.otlpTracesEndpoint, sampleRatio: ctx.config.tracingSampleRatio, maxTracesPerSecond: ctx.config.tracingMaxTracesPerSecond }, 'tracing on');
      return { stop: () => tracing.shutdown() };
    },
  });

  mm.register({
    name: 'database',
    init: async (ctx) => {
      let stopEmbedded: (() => Promise<void>) | undefined;
      if (ctx.config.databaseUrl) {
        ctx.databaseUrl = ctx.config.databaseUrl;
        // An external server may come later than this process: wait for it (an embedded one that fails
        // to start, below, is a fast exit 1 with its reason: waiting would not fix a taken port).
        if (ctx.waitForDatabase) await ensureDatabaseWhenReachable(ctx, ctx.databaseUrl);
        else await ensureDatabase(ctx.databaseUrl);
      } else {
        const pgServer = await startEmbeddedPostgres({
          dataDir: ctx.config.dataDir, port: ctx.config.embeddedPostgresPort,
          log: (line) => ctx.logger.debug({ component: 'embedded-postgres' }, line),
        });
        ctx.logger.info({ port: ctx.config.embeddedPostgresPort, reused: !pgServer.owned }, 'embedded PostgreSQL ready');
        const url = new URL(pgServer.connectionString);
        url.pathname = '/holdfast';
        ctx.databaseUrl = url.toString();
        if (pgServer.owned) stopEmbedded = pgServer.stop;
        await ensureDatabase(ctx.databaseUrl);
      }
      const pool = createPool(ctx.databaseUrl, ctx.config.dbPoolMax, 'holdfast');
      registerPoolMetrics('main', pool);
      ctx.pool = pool;
      return {
        stop: async () => {
          await pool.end();
          await stopEmbedded?.();
        },
      };
    },
  });

  mm.register({
    name: 'migrations',
    dependsOn: ['database'],
    init: async (ctx) => {
      const result = await migrate(ctx.pool!);
      if (result.applied.length) ctx.logger.info({ applied: result.applied }, 'migrations applied');
      const admin = await resolveAdminToken(ctx.pool!, ctx.config.adminToken, ctx.config.dataDir);
      ctx.adminTokenSha256 = admin.sha256;
      if (admin.generated) {
        // Printed once, on purpose, to the terminal (not the JSON log): the operator needs it.
        process.stdout.write(`\nAdmin token (generated; also saved to ${admin.file}):\n  HOLDFAST_ADMIN_TOKEN=${admin.generated}\n\n`);
      }
    },
  });

  mm.register({
    name: 'demo-catalog',
    dependsOn: ['migrations'],
    init: async (ctx) => {
      if (!ctx.config.seedOnStart || ctx.config.seedProductCount === 0) return;
      if ((await countProducts(ctx.pool!)) > 0) return;
      const n = await seedDemoCatalog(ctx.pool!, ctx.config.seedProductCount);
      ctx.logger.info({ products: n }, 'demo catalog seeded');
    },
  });

  mm.register({
    name: 'queue',
    dependsOn: ['migrations'],
    init: (ctx) => {
      // Every process supervises (expires stalled jobs so a killed worker's job is retried); pg-boss makes
      // concurrent supervisors safe.
      const queue = new PgBossJobQueue({
        connectionString: ctx.databaseUrl!, pool: ctx.pool!, supervise: true, poolMax: 4, applicationName: 'holdfast-queue', logger: ctx.logger,
      });
      ctx.queue = queue;
      return {
        start: async () => {
          await queue.start();
          await queue.declareQueues(paymentQueueDefinitions({
            retryLimit: ctx.config.paymentJobRetryLimit, retryDelaySeconds: ctx.config.paymentJobRetryDelaySeconds,
            expireInSeconds: ctx.config.paymentJobExpireSeconds, heartbeatSeconds: ctx.config.paymentJobHeartbeatSeconds,
          }));
        },
        stop: () => queue.stop(),
      };
    },
  });

  mm.register({
    name: 'http-server',
    // Depends on what request handlers use (the database, the queue) so that it stops, draining in-flight
    // requests, before the pool closes and before the queue stops (an admin route sends jobs outside a tx).
    dependsOn: ['migrations', 'queue'],
    init: async (ctx) => {
      const server = await createHttpServer({
        logger: ctx.logger,
        bodyLimitBytes: ctx.config.bodyLimitBytes,
        rateLimitWritesPerMinute: ctx.config.rateLimitWritesPerMinute,
        cookieSecret: ctx.adminTokenSha256!,
        openapi: { title: 'Holdfast', description: 'Storefront, checkout, admin and operations API of a Holdfast shop.' },
      });
      registerOperationalRoutes(server, ctx);
      // While draining, every response closes its connection: a keep-alive client (browser, load balancer)
      // must not send its next request on a socket about to close, and an idle keep-alive socket would
      // hold server.close() open until the grace period kills the process.
      server.addHook('onSend', (_req, reply, payload, done) => {
        if (ctx.draining) reply.header('connection', 'close');
        done(null, payload);
      });
      ctx.server = server;
      return {
        start: async () => {
          await server.ready();
          const address = await server.listen({ port: ctx.config.port, host: ctx.config.host });
          ctx.listeningUrl = address;
          ctx.logger.info({ url: address }, 'HTTP server listening');
        },
        stop: async () => {
          ctx.draining = true;
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

  mm.register({
    name: 'storefront',
    dependsOn: ['http-server', 'queue', 'demo-catalog', 'faults'],
    init: async (ctx) => {
      installStorefrontFaults(ctx.server!, ctx.faults);
      await registerStorefront(ctx.server!, {
        pool: ctx.pool!, queue: ctx.queue!, config: ctx.config, adminTokenSha256: ctx.adminTokenSha256!,
        paymentRouter: () => paymentRouterOf(ctx),
      });
      let housekeeping: { stop(): void } | undefined;
      return {
        start: async () => { housekeeping = startStorefrontHousekeeping(ctx.pool!, ctx.logger); },
        stop: async () => { housekeeping?.stop(); },
      };
    },
  });

  // Roles whose capabilities arrive with later issues: they start and stop cleanly and are listed.
  mm.register({
    name: 'payments',
    dependsOn: ['queue', 'http-server', 'faults'],
    init: (ctx) => {
      let workers: ReturnType<typeof startPaymentWorkers> | undefined;
      let proxies: DelayProxy[] = [];
      return {
        start: async () => {
          // Resolved at start, not init: an in-process psp role has bound its ports by now.
          proxies = await proxyProviderAccounts(ctx);
          const router = paymentRouterOf(ctx);
          workers = startPaymentWorkers(ctx.pool!, ctx.queue!, router, ctx.logger, {
            concurrency: ctx.config.paymentWorkerConcurrency,
            // Lapses before the queue can retry a dead worker's job, renewed while the worker lives.
            leaseSeconds: leaseSecondsFor(ctx.config.paymentJobHeartbeatSeconds),
            resolveTimeoutMs: Math.max(ctx.config.providerTimeoutMs * 4, 10_000),
            deadlineSeconds: ctx.config.reservationTtlSeconds,
            reconcileIntervalSeconds: ctx.config.reconcileIntervalSeconds,
            beforeJob: paymentJobFault(ctx.faults),
          });
          await workers.ready;
          ctx.logger.info({ providers: router.status().map((p) => `${p.name}=${p.baseUrl}`), concurrency: ctx.config.paymentWorkerConcurrency }, 'payment workers started');
        },
        stop: async () => {
          await workers?.stop();
          await ctx.paymentRouter?.close();
          await Promise.all(proxies.map((p) => p.close()));
        },
      };
    },
  });
  mm.register(faultsModule());
  mm.register(pspModule());
  mm.register(controlModule());

  for (const role of ROLE_TARGETS) mm.defineTarget(role, ['telemetry', role]);
  // psp first: in one process, payments then finds the simulator's bound ports.
  mm.defineTarget('all', ['telemetry', 'psp', 'storefront', 'payments', 'control']);
  return mm;
}
