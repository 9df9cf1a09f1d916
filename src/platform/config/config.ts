// One typed configuration schema for every role. Values come from (lowest to highest precedence):
// defaults in the schema, an optional JSON file (HOLDFAST_CONFIG), then environment variables.
// Every invalid value is reported at once, before anything starts.
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { schemaProblems } from './schema-problems.ts';

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ description: 'Interface the HTTP servers listen on (0.0.0.0 in containers)', default: 'localhost', minLength: 1 }),
    port: Type.Integer({ description: 'Main HTTP port: storefront, API, admin, /metrics', default: 3000, minimum: 0, maximum: 65535 }),
    dataDir: Type.String({ description: 'Embedded PostgreSQL data, admin token file', default: '.holdfast', minLength: 1 }),
    databaseUrl: Type.Optional(Type.String({ description: 'External PostgreSQL 14+; unset: the embedded server', pattern: '^postgres(ql)?://' })),
    embeddedPostgresPort: Type.Integer({ description: 'TCP port of the embedded PostgreSQL on 127.0.0.1 (tools such as psql: `holdfast db url` prints the connection string)', default: 54329, minimum: 1, maximum: 65535 }),
    dbPoolMax: Type.Integer({ description: 'Connections in each role process pool', default: 10, minimum: 1, maximum: 500 }),
    adminToken: Type.Optional(Type.String({ description: 'Bearer token of the admin and ops APIs; unset: generated on first start and printed', minLength: 16 })),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { description: 'JSON log level (pino)', default: 'info' }),
    seedProductCount: Type.Integer({ description: 'Size of the generated demo catalog', default: 1200, minimum: 0, maximum: 1_000_000 }),
    seedOnStart: Type.Boolean({ description: 'Seed the demo catalog when the database has no products', default: true }),
    reservationTtlSeconds: Type.Integer({ description: 'Payment deadline: unpaid orders are canceled and their stock released after this', default: 900, minimum: 10 }),
    rateLimitWritesPerMinute: Type.Integer({ description: 'Per-IP limit on write requests (per replica)', default: 1200, minimum: 1 }),
    bodyLimitBytes: Type.Integer({ description: 'Largest accepted request body', default: 65536, minimum: 1024, maximum: 10_485_760 }),
    shutdownGraceMs: Type.Integer({ description: 'Longest drain on SIGTERM before exiting anyway', default: 15000, minimum: 0 }),
    readinessTimeoutMs: Type.Integer({ description: 'Longest /readyz waits for the database before answering 503 "database unreachable" (below a Kubernetes probe\'s timeoutSeconds, 1 s by default, so the probe gets the answer)', default: 800, minimum: 50, maximum: 60_000 }),
    pspPort: Type.Integer({ description: 'Provider simulator, primary account', default: 3100, minimum: 0, maximum: 65535 }),
    // Provider simulator (src/psp): a primary and an optional secondary account, each on its own port
    // with its own secret key. The secondary port defaults to pspPort + 1 (0 when pspPort is 0).
    pspSecondaryEnabled: Type.Boolean({ description: 'Run the simulator secondary account too', default: true }),
    pspSecondaryPort: Type.Optional(Type.Integer({ description: 'Simulator secondary account (default pspPort + 1)', minimum: 0, maximum: 65535 })),
    pspPrimarySecretKey: Type.String({ description: 'Secret key of the simulator primary account', default: 'sk_test_holdfast_primary', pattern: '^sk_test_[A-Za-z0-9_]{4,200}$' }),
    pspSecondarySecretKey: Type.String({ description: 'Secret key of the simulator secondary account', default: 'sk_test_holdfast_secondary', pattern: '^sk_test_[A-Za-z0-9_]{4,200}$' }),
    pspDbPoolMax: Type.Integer({ description: 'Connections of the simulator ledger pool', default: 10, minimum: 1, maximum: 500 }),
    // Fault injection (src/faults): how often each process re-reads the faults table (LISTEN/NOTIFY
    // makes most changes arrive sooner).
    faultRefreshMs: Type.Integer({ description: 'How often each process re-reads injected faults', default: 500, minimum: 50, maximum: 60_000 }),
    /** Payment provider accounts in priority order. Empty: the local simulator's primary and secondary. */
    paymentProviders: Type.Array(Type.Object({
      name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
      baseUrl: Type.String({ pattern: '^https?://' }),
      secretKey: Type.String({ minLength: 1 }),
    }, { additionalProperties: false }), { default: [], maxItems: 8, description: 'Provider accounts in priority order (JSON); empty: the local simulator primary and secondary' }),
    paymentWorkerConcurrency: Type.Integer({ description: 'Payment jobs processed at once per payments process', default: 8, minimum: 1, maximum: 256 }),
    providerTimeoutMs: Type.Integer({ description: 'Timeout of one provider call', default: 2500, minimum: 50, maximum: 120_000 }),
    providerSlowCallMs: Type.Integer({ description: 'Calls slower than this count as failures for the circuit breaker', default: 1000, minimum: 10, maximum: 120_000 }),
    providerMaxConcurrent: Type.Integer({ description: 'Bulkhead: concurrent calls per provider account', default: 32, minimum: 1, maximum: 1024 }),
    providerBreakerHalfOpenAfterMs: Type.Integer({ description: 'How long an open circuit waits before a probe', default: 5000, minimum: 100 }),
    paymentJobRetryLimit: Type.Integer({ description: 'Job retries before the dead-letter queue', default: 300, minimum: 0, maximum: 100_000 }),
    paymentJobRetryDelaySeconds: Type.Integer({ description: 'Delay between job retries', default: 2, minimum: 1, maximum: 3600 }),
    paymentJobExpireSeconds: Type.Integer({ description: 'Longest one run of a payment job may take, even with a live worker; then it is retried', default: 60, minimum: 5, maximum: 3600 }),
    paymentRetryMaxAttempts: Type.Integer({ description: 'How many times one declined order can be paid again with another payment method (POST /api/orders/:id/payment); then 409 PAYMENT_ATTEMPTS_EXHAUSTED. Bounds card testing on one order; 0 turns paying again off', default: 5, minimum: 0, maximum: 100 }),
    paymentJobHeartbeatSeconds: Type.Integer({ description: 'A payment worker heartbeats its job; a job not heard from for this long (its worker died) is retried; the order payment lease lasts half of it plus a second', default: 10, minimum: 10, maximum: 600 }),
    reconcileIntervalSeconds: Type.Integer({ default: 300, minimum: 0, description: 'Reconciliation with the provider ledgers; 0 disables the periodic run' }),
    // Telemetry (docs/observability.md): per-request metrics, and OpenTelemetry traces over OTLP/HTTP.
    metricsEnabled: Type.Boolean({ description: 'Per-request HTTP and DB query metrics on /metrics (process, queue and payment metrics stay on)', default: true }),
    tracingEnabled: Type.Boolean({ description: 'OpenTelemetry tracing (W3C trace context across HTTP and the payment queue); needs otlpTracesEndpoint', default: false }),
    otlpTracesEndpoint: Type.Optional(Type.String({ description: 'OTLP/HTTP traces endpoint (Tempo, Jaeger, a collector), e.g. http://localhost:4318/v1/traces', pattern: '^https?://' })),
    tracingSampleRatio: Type.Number({ description: 'Fraction of new traces recorded (continued traces follow their parent); 1 records every request', default: 0.1, minimum: 0, maximum: 1 }),
    tracingMaxTracesPerSecond: Type.Integer({ description: 'New traces each process starts per second at most (on top of the sample ratio), so tracing costs a bounded share of the CPU during a surge; 0 = no limit', default: 100, minimum: 0, maximum: 1_000_000 }),
    tracingMaxQueueSize: Type.Integer({ description: 'Spans buffered for export at most; further spans are dropped', default: 2048, minimum: 16, maximum: 1_000_000 }),
    controlScrapeTargets: Type.Array(Type.String({ pattern: '^https?://' }), { default: [], maxItems: 64, description: 'Control role: /metrics URLs of other role processes to scrape (comma-separated in the environment)' }),
    sloFile: Type.Optional(Type.String({ minLength: 1, description: 'Control role: JSON file of SLO definitions replacing the built-in journeys, checked before anything starts (docs/observability.md)' })),
    networkFaultProxy: Type.Boolean({ default: false, description: 'Route payments -> provider through a local proxy so the network.latency fault can delay it (fault-injection runs only)' }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** Environment variable → config key. */
export const ENV_VARS: Record<string, keyof Config> = {
  HOST: 'host',
  PORT: 'port',
  HOLDFAST_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  HOLDFAST_PG_PORT: 'embeddedPostgresPort',
  HOLDFAST_DB_POOL_MAX: 'dbPoolMax',
  HOLDFAST_ADMIN_TOKEN: 'adminToken',
  LOG_LEVEL: 'logLevel',
  HOLDFAST_SEED_PRODUCTS: 'seedProductCount',
  HOLDFAST_SEED_ON_START: 'seedOnStart',
  HOLDFAST_RESERVATION_TTL_SECONDS: 'reservationTtlSeconds',
  HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: 'rateLimitWritesPerMinute',
  HOLDFAST_BODY_LIMIT_BYTES: 'bodyLimitBytes',
  HOLDFAST_SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  HOLDFAST_READINESS_TIMEOUT_MS: 'readinessTimeoutMs',
  HOLDFAST_PSP_PORT: 'pspPort',
  HOLDFAST_PSP_SECONDARY_ENABLED: 'pspSecondaryEnabled',
  HOLDFAST_PSP_SECONDARY_PORT: 'pspSecondaryPort',
  HOLDFAST_PSP_PRIMARY_SECRET_KEY: 'pspPrimarySecretKey',
  HOLDFAST_PSP_SECONDARY_SECRET_KEY: 'pspSecondarySecretKey',
  HOLDFAST_PSP_DB_POOL_MAX: 'pspDbPoolMax',
  HOLDFAST_FAULT_REFRESH_MS: 'faultRefreshMs',
  HOLDFAST_PAYMENT_PROVIDERS: 'paymentProviders',
  HOLDFAST_PAYMENT_WORKER_CONCURRENCY: 'paymentWorkerConcurrency',
  HOLDFAST_PROVIDER_TIMEOUT_MS: 'providerTimeoutMs',
  HOLDFAST_PROVIDER_SLOW_CALL_MS: 'providerSlowCallMs',
  HOLDFAST_PROVIDER_MAX_CONCURRENT: 'providerMaxConcurrent',
  HOLDFAST_PROVIDER_BREAKER_HALF_OPEN_AFTER_MS: 'providerBreakerHalfOpenAfterMs',
  HOLDFAST_PAYMENT_JOB_RETRY_LIMIT: 'paymentJobRetryLimit',
  HOLDFAST_PAYMENT_JOB_RETRY_DELAY_SECONDS: 'paymentJobRetryDelaySeconds',
  HOLDFAST_PAYMENT_JOB_EXPIRE_SECONDS: 'paymentJobExpireSeconds',
  HOLDFAST_PAYMENT_RETRY_MAX_ATTEMPTS: 'paymentRetryMaxAttempts',
  HOLDFAST_PAYMENT_JOB_HEARTBEAT_SECONDS: 'paymentJobHeartbeatSeconds',
  HOLDFAST_RECONCILE_INTERVAL_SECONDS: 'reconcileIntervalSeconds',
  HOLDFAST_METRICS_ENABLED: 'metricsEnabled',
  HOLDFAST_TRACING_ENABLED: 'tracingEnabled',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'otlpTracesEndpoint',
  HOLDFAST_TRACING_SAMPLE_RATIO: 'tracingSampleRatio',
  HOLDFAST_TRACING_MAX_TRACES_PER_SECOND: 'tracingMaxTracesPerSecond',
  HOLDFAST_TRACING_MAX_QUEUE_SIZE: 'tracingMaxQueueSize',
  HOLDFAST_CONTROL_SCRAPE_TARGETS: 'controlScrapeTargets',
  HOLDFAST_SLO_FILE: 'sloFile',
  HOLDFAST_NETWORK_FAULT_PROXY: 'networkFaultProxy',
};

const SECRET_KEY = /token|secret|password|databaseUrl/i;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function coerceEnv(key: keyof Config, raw: string): unknown {
  const schema = ConfigSchema.properties[key] as { type?: string; items?: { type?: string } };
  if (schema.type === 'integer' || schema.type === 'number') {
    return raw.trim() !== '' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  }
  if (schema.type === 'array' || schema.type === 'object') {
    try { return JSON.parse(raw); } catch { /* not JSON */ }
    // A list of strings may also be written comma-separated: a,b,c
    if (schema.type === 'array' && schema.items?.type === 'string') return raw.split(',').map((v) => v.trim()).filter(Boolean);
    return raw;
  }
  if (schema.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    return raw;
  }
  return raw;
}

/**
 * Builds the config from defaults, an optional JSON file and the environment.
 * Throws ConfigError listing every problem.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Config> = {},
): Config {
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  const file = env.HOLDFAST_CONFIG;
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) fromFile = parsed as Record<string, unknown>;
      else problems.push(`HOLDFAST_CONFIG (${file}): must contain a JSON object`);
    } catch (err) {
      problems.push(`HOLDFAST_CONFIG (${file}): ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') fromEnv[key] = coerceEnv(key, raw);
  }
  // Unknown keys in the file are named as such (a typo must not silently fall back to a default).
  const known = new Set(Object.keys(ConfigSchema.properties));
  for (const key of Object.keys(fromFile)) {
    if (!known.has(key)) {
      problems.push(`${key} (in ${file}): unknown configuration key; known keys: ${[...known].join(', ')}`);
      delete fromFile[key];
    }
  }
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv, ...overrides };
  const withDefaults = Value.Default(ConfigSchema, merged) as Record<string, unknown>;
  const envNameOf = (key: string) => Object.entries(ENV_VARS).find(([, k]) => k === key)?.[0];
  const sourceOf = (key: string) => {
    if (key in overrides) return undefined;
    if (key in fromEnv) return envNameOf(key);
    if (key in fromFile) return `in ${file}`;
    return envNameOf(key);
  };
  // Never echo secrets (tokens, keys, connection strings with passwords) into a terminal or log.
  const isSecret = (segments: readonly string[]) => segments.some((seg) => SECRET_KEY.test(seg));
  for (const problem of schemaProblems(ConfigSchema, withDefaults, { isSecret })) {
    const key = problem.segments[0] ?? '(root)';
    const source = sourceOf(key);
    const at = problem.at || key;
    problems.push(`${source ? `${at} (${source})` : at}: ${problem.message}`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return withDefaults as Config;
}
