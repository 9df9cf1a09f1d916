// One typed configuration schema for every role. Values come from (lowest to highest precedence):
// defaults in the schema, an optional JSON file (HOLDFAST_CONFIG), then environment variables.
// Every invalid value is reported at once, before anything starts.
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';



export const ConfigSchema = Type.Object(
  {
    host: Type.String({ default: 'localhost', minLength: 1 }),
    port: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
    dataDir: Type.String({ default: '.holdfast', minLength: 1 }),
    databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
    embeddedPostgresPort: Type.Integer({ default: 54329, minimum: 1, maximum: 65535 }),
    dbPoolMax: Type.Integer({ default: 10, minimum: 1, maximum: 500 }),
    adminToken: Type.Optional(Type.String({ minLength: 16 })),
    logLevel: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
    seedProductCount: Type.Integer({ default: 1200, minimum: 0, maximum: 1_000_000 }),
    seedOnStart: Type.Boolean({ default: true }),
    reservationTtlSeconds: Type.Integer({ default: 900, minimum: 10 }),
    rateLimitWritesPerMinute: Type.Integer({ default: 1200, minimum: 1 }),
    bodyLimitBytes: Type.Integer({ default: 65536, minimum: 1024, maximum: 10_485_760 }),
    shutdownGraceMs: Type.Integer({ default: 15000, minimum: 0 }),
    pspPort: Type.Integer({ default: 3100, minimum: 0, maximum: 65535 }),
    controlPort: Type.Integer({ default: 3200, minimum: 0, maximum: 65535 }),
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
  HOLDFAST_PSP_PORT: 'pspPort',
  HOLDFAST_CONTROL_PORT: 'controlPort',
};

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}



function coerceEnv(key: keyof Config, raw: string): unknown {
  const schema = ConfigSchema.properties[key] as { type?: string };
  if (schema.type === 'integer' || schema.type === 'number') {
    return raw.trim() !== '' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
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
  const merged: Record<string, unknown> = { ...fromFile, ...fromEnv, ...overrides };
  const withDefaults = Value.Default(ConfigSchema, merged) as Record<string, unknown>;
  const envNameOf = (key: string) => Object.entries(ENV_VARS).find(([, k]) => k === key)?.[0];
  for (const error of Value.Errors(ConfigSchema, withDefaults)) {
    const key = error.instancePath.replace(/^\//, '') || (error.params as { additionalProperties?: string[] })?.additionalProperties?.join(', ') || '(root)';
    const envName = envNameOf(key.split('/')[0] ?? '');
    const where = envName ? `${key} (${envName})` : key;
    const value = withDefaults[key.split('/')[0] ?? ''];
    problems.push(`${where}: ${error.message}${value !== undefined ? `, got ${JSON.stringify(value)}` : ''}`);
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return withDefaults as Config;
}
