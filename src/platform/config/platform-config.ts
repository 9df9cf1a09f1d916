// The settings of platform's mechanisms: the HTTP server, the database, the admin token and telemetry.
// Contexts declare their own slices in their folders; src/app/holdfast-config.ts composes them all.
import { Type } from 'typebox';
import { composeConfig, defineConfigSlice, loadConfig, type SliceConfig } from './config.ts';

export const serverConfig = defineConfigSlice({
  host: Type.String({ description: 'Interface the HTTP servers listen on (0.0.0.0 in containers)', default: 'localhost', minLength: 1 }),
  port: Type.Integer({ description: 'Main HTTP port: storefront, API, admin, /metrics', default: 3000, minimum: 0, maximum: 65535 }),
  logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { description: 'JSON log level (pino)', default: 'info' }),
  rateLimitWritesPerMinute: Type.Integer({ description: 'Per-IP limit on write requests (per replica)', default: 1200, minimum: 1 }),
  bodyLimitBytes: Type.Integer({ description: 'Largest accepted request body', default: 65536, minimum: 1024, maximum: 10_485_760 }),
  reusePort: Type.Boolean({ description: 'Listen on PORT with SO_REUSEPORT (Linux): several processes share the port and the kernel spreads connections over them (set by `holdfast start --autoscale` for storefront replicas)', default: false }),
  shutdownGraceMs: Type.Integer({ description: 'Longest drain on SIGTERM before exiting anyway', default: 15000, minimum: 0 }),
  trustProxy: Type.Array(Type.String({ pattern: '^(loopback|linklocal|uniquelocal|[0-9A-Fa-f.:]+(/[0-9]{1,3})?)$' }), {
    default: [], maxItems: 64,
    description: 'Proxies whose X-Forwarded-For/-Proto/-Host are believed (Fastify\'s trustProxy): addresses or CIDRs of the TLS-terminating proxy or load balancer in front, comma-separated (loopback, linklocal, uniquelocal name those ranges; 0.0.0.0/0,::/0 trusts every peer, only when nothing reaches the process but through the proxy). Empty: none, so a request is https only over TLS to the process itself (the ops console\'s cookies get Secure from it) and a client is its socket\'s address (the per-IP write limit)',
  }),
  readinessTimeoutMs: Type.Integer({ description: 'Longest /readyz waits for the database before answering 503 "database unreachable" (below a Kubernetes probe\'s timeoutSeconds, 1 s by default, so the probe gets the answer)', default: 800, minimum: 50, maximum: 60_000 }),
}, {
  HOST: 'host',
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: 'rateLimitWritesPerMinute',
  HOLDFAST_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  HOLDFAST_REUSE_PORT: 'reusePort',
  HOLDFAST_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  HOLDFAST_READINESS_TIMEOUT_MS: 'readinessTimeoutMs',
  HOLDFAST_TRUST_PROXY: 'trustProxy',
});

export type ServerConfig = SliceConfig<typeof serverConfig>;

export const concurrencyLimitConfig = defineConfigSlice({
  // The storefront role's adaptive concurrency limit (docs/surge-protection.md, decision 0017).
  // Off by default: in the overload bench it shed more than it saved (docs/surge-protection.md, "Measured").
  concurrencyLimitEnabled: Type.Boolean({ description: 'Adaptive concurrency limit on the storefront role: over it, searches, then pages, then carts are refused with 503 OVERLOADED, checkouts last (off by default until the overload bench shows it helps)', default: false }),
  concurrencyLimitInitial: Type.Integer({ description: 'Requests in flight allowed at start, before the limit has adapted', default: 20, minimum: 1, maximum: 100_000 }),
  concurrencyLimitMin: Type.Integer({ description: 'The limit never goes below this', default: 10, minimum: 1, maximum: 100_000 }),
  concurrencyLimitMax: Type.Integer({ description: 'Nor above this', default: 1000, minimum: 1, maximum: 100_000 }),
}, {
  HOLDFAST_CONCURRENCY_LIMIT_ENABLED: 'concurrencyLimitEnabled',
  HOLDFAST_CONCURRENCY_LIMIT_INITIAL: 'concurrencyLimitInitial',
  HOLDFAST_CONCURRENCY_LIMIT_MIN: 'concurrencyLimitMin',
  HOLDFAST_CONCURRENCY_LIMIT_MAX: 'concurrencyLimitMax',
});

export type ConcurrencyLimitConfig = SliceConfig<typeof concurrencyLimitConfig>;

export const databaseConfig = defineConfigSlice({
  dataDir: Type.String({ description: 'Embedded PostgreSQL data, admin token file', default: '.holdfast', minLength: 1 }),
  databaseUrl: Type.Optional(Type.String({ description: 'External PostgreSQL 14+; unset: the embedded server', pattern: '^postgres(ql)?://' })),
  embeddedPostgresPort: Type.Integer({ description: 'TCP port of the embedded PostgreSQL on 127.0.0.1 (tools such as psql: `holdfast db url` prints the connection string)', default: 54329, minimum: 1, maximum: 65535 }),
  dbPoolMax: Type.Integer({ description: 'Connections in each pool of a process: the main pool (platform, storefront) and, where the role runs, the payment workers\' own', default: 10, minimum: 1, maximum: 500 }),
  dbPoolWaitTimeoutMs: Type.Integer({ description: 'How long the main pool may hand no connection back while requests wait for one (every connection busy, none released): past it they fail fast with 503 DATABASE_BUSY; a queue that keeps moving is waited for up to the connect timeout, 10 s (0: no bound but that)', default: 1000, minimum: 0, maximum: 60_000 }),
}, {
  HOLDFAST_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  HOLDFAST_PG_PORT: 'embeddedPostgresPort',
  HOLDFAST_DB_POOL_MAX: 'dbPoolMax',
  HOLDFAST_DB_POOL_WAIT_TIMEOUT_MS: 'dbPoolWaitTimeoutMs',
});

export type DatabaseConfig = SliceConfig<typeof databaseConfig>;

export const adminTokenConfig = defineConfigSlice({
  adminToken: Type.Optional(Type.String({ description: 'Bearer token of the admin and ops APIs; unset: generated on first start and printed', minLength: 16 })),
}, {
  HOLDFAST_ADMIN_TOKEN: 'adminToken',
});

export type AdminTokenConfig = SliceConfig<typeof adminTokenConfig>;

export const telemetryConfig = defineConfigSlice({
  // Telemetry (docs/observability.md): per-request metrics, and OpenTelemetry traces over OTLP/HTTP.
  metricsEnabled: Type.Boolean({ description: 'Per-request HTTP and DB query metrics on /metrics (process, queue and payment metrics stay on)', default: true }),
  tracingEnabled: Type.Boolean({ description: 'OpenTelemetry tracing (W3C trace context across HTTP and the payment queue); needs otlpTracesEndpoint', default: false }),
  otlpTracesEndpoint: Type.Optional(Type.String({ description: 'OTLP/HTTP traces endpoint (Tempo, Jaeger, a collector), e.g. http://localhost:4318/v1/traces', pattern: '^https?://' })),
  tracingSampleRatio: Type.Number({ description: 'Fraction of new traces recorded (continued traces follow their parent); 1 records every request', default: 0.1, minimum: 0, maximum: 1 }),
  tracingMaxTracesPerSecond: Type.Integer({ description: 'New traces each process starts per second at most (on top of the sample ratio), so tracing costs a bounded share of the CPU during a surge; 0 = no limit', default: 100, minimum: 0, maximum: 1_000_000 }),
  tracingMaxQueueSize: Type.Integer({ description: 'Spans buffered for export at most; further spans are dropped', default: 2048, minimum: 16, maximum: 1_000_000 }),
}, {
  HOLDFAST_METRICS_ENABLED: 'metricsEnabled',
  HOLDFAST_TRACING_ENABLED: 'tracingEnabled',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'otlpTracesEndpoint',
  HOLDFAST_TRACING_SAMPLE_RATIO: 'tracingSampleRatio',
  HOLDFAST_TRACING_MAX_TRACES_PER_SECOND: 'tracingMaxTracesPerSecond',
  HOLDFAST_TRACING_MAX_QUEUE_SIZE: 'tracingMaxQueueSize',
});

export type TelemetryConfig = SliceConfig<typeof telemetryConfig>;

/**
 * What a client command on this machine (holdfast faults, holdfast loadtest) reads to find a running shop
 * and its admin token: the same settings `holdfast start` reads them from.
 */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig & DatabaseConfig & AdminTokenConfig {
  return loadConfig(composeConfig(serverConfig, databaseConfig, adminTokenConfig), env, {}, { partial: true });
}
