// The configuration mechanism: one typed schema per process, composed from slices. Each slice (platform's
// server, database, admin token and telemetry; each context's own) declares its settings as TypeBox
// properties and the environment variable of each; src/app/holdfast-config.ts composes them into the one
// schema of `holdfast`. Values come from (lowest to highest precedence): defaults in the schema, an
// optional JSON file (HOLDFAST_CONFIG), then environment variables. Every invalid value is reported at
// once, before anything starts.
import { readFileSync } from 'node:fs';
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Value } from 'typebox/value';
import { schemaProblems } from './schema-problems.ts';

/** Some settings: their schema (keys as in the config file) and the environment variable of each key. */
export interface ConfigSlice<P extends TProperties = TProperties> {
  readonly properties: P;
  /** Environment variable name -> config key. */
  readonly env: Readonly<Record<string, Extract<keyof P, string>>>;
}

/** The settings a slice declares, as values. */
export type SliceConfig<S> = S extends ConfigSlice<infer P> ? Static<TObject<P>> : never;

export function defineConfigSlice<const P extends TProperties>(properties: P, env: Record<string, Extract<keyof P, string>>): ConfigSlice<P> {
  return { properties, env };
}

/**
 * The values of one slice out of a process's whole configuration: what a module's config() hands the
 * module, so that nothing else of the configuration reaches it.
 */
export function sliceOf<S extends ConfigSlice>(slice: S, config: SliceConfig<S>): SliceConfig<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(slice.properties)) {
    const value = (config as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out as SliceConfig<S>;
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** A process's configuration: its schema and environment variables, composed from slices. */
export interface ComposedConfig<T> {
  readonly schema: TObject;
  readonly env: Readonly<Record<string, string>>;
  /** Type-level only. */
  readonly __config?: T;
}

export type ConfigOfComposed<C> = C extends ComposedConfig<infer T> ? T : never;

/** Composes slices into one schema; two slices declaring one key or one environment variable is a mistake. */
export function composeConfig<const S extends readonly ConfigSlice[]>(...slices: S): ComposedConfig<UnionToIntersection<SliceConfig<S[number]>>> {
  const properties: TProperties = {};
  const env: Record<string, string> = {};
  for (const slice of slices) {
    for (const [key, schema] of Object.entries(slice.properties)) {
      if (key in properties) throw new Error(`config key ${key} is declared by two slices`);
      properties[key] = schema;
    }
    for (const [name, key] of Object.entries(slice.env)) {
      if (name in env) throw new Error(`environment variable ${name} is declared by two slices`);
      env[name] = key;
    }
  }
  return { schema: Type.Object(properties, { additionalProperties: false }), env };
}

const SECRET_KEY = /token|secret|password|databaseUrl/i;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function coerceEnv(schema: { type?: string; items?: { type?: string } }, raw: string): unknown {
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

export interface LoadOptions {
  /**
   * Loading only some slices (a client command such as `holdfast faults` reads the host, port and admin
   * token): keys of the file that belong to other slices are not this load's to judge.
   */
  partial?: boolean;
}

/**
 * Builds the config from defaults, an optional JSON file and the environment.
 * Throws ConfigError listing every problem.
 */
export function loadConfig<T>(
  config: ComposedConfig<T>,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<T> = {},
  opts: LoadOptions = {},
): T {
  const { schema: ConfigSchema, env: ENV_VARS } = config;
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
    if (raw !== undefined && raw !== '') fromEnv[key] = coerceEnv(ConfigSchema.properties[key] as { type?: string }, raw);
  }
  // Unknown keys in the file are named as such (a typo must not silently fall back to a default).
  const known = new Set(Object.keys(ConfigSchema.properties));
  for (const key of Object.keys(fromFile)) {
    if (!known.has(key)) {
      if (!opts.partial) problems.push(`${key} (in ${file}): unknown configuration key; known keys: ${[...known].join(', ')}`);
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
  return withDefaults as T;
}
