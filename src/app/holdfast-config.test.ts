import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, composeConfig, defineConfigSlice } from '../platform/config/config.ts';
import { Type } from 'typebox';
import * as configModule from '../platform/config/config.ts';
import { holdfastConfig, loadHoldfastConfig as loadConfig } from './holdfast-config.ts';

const ConfigSchema = holdfastConfig.schema;
const ENV_VARS = holdfastConfig.env;

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.name, 'ConfigError');
    for (const p of err.problems) assert.ok(err.message.includes(p), 'the message lists every problem');
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

test('with no environment every setting has its default', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, 'localhost');
  assert.equal(c.dataDir, '.holdfast');
  assert.equal(c.databaseUrl, undefined, 'no DATABASE_URL means embedded PostgreSQL');
  assert.equal(c.adminToken, undefined, 'no token means one is generated on first start');
  assert.equal(c.dbPoolMax, 10);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.seedOnStart, true);
  assert.equal(c.seedProductCount, 1200);
  assert.ok(c.shutdownGraceMs > 0);
  // Every required key has a default: nothing else is needed to start.
  for (const [key, schema] of Object.entries(ConfigSchema.properties)) {
    const def = (schema as { default?: unknown }).default;
    if (def === undefined) continue; // optional settings (e.g. DATABASE_URL) are absent by default
    assert.deepEqual((c as Record<string, unknown>)[key], def, `${key} takes its default`);
  }
});

test('every config key can be set through an environment variable', () => {
  assert.deepEqual(new Set(Object.values(ENV_VARS)), new Set(Object.keys(ConfigSchema.properties)));
});

test('environment values are coerced to the schema types', () => {
  const c = loadConfig({
    PORT: '8080', HOLDFAST_DB_POOL_MAX: ' 25 ', HOLDFAST_SEED_ON_START: 'false', HOLDFAST_SEED_PRODUCTS: '0',
    LOG_LEVEL: 'warn', DATABASE_URL: 'postgresql://u:p@db:5432/shop', HOLDFAST_ADMIN_TOKEN: 'a'.repeat(32),
    HOST: '0.0.0.0', HOLDFAST_DATA_DIR: '/var/lib/holdfast',
  });
  assert.equal(c.port, 8080);
  assert.equal(c.dbPoolMax, 25);
  assert.equal(c.seedOnStart, false);
  assert.equal(c.seedProductCount, 0);
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.databaseUrl, 'postgresql://u:p@db:5432/shop');
  assert.equal(c.adminToken, 'a'.repeat(32));
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.dataDir, '/var/lib/holdfast');
  for (const [raw, expected] of [['1', true], ['yes', true], ['ON', true], ['TRUE', true], ['0', false], ['no', false], ['Off', false]] as const) {
    assert.equal(loadConfig({ HOLDFAST_SEED_ON_START: raw }).seedOnStart, expected, `HOLDFAST_SEED_ON_START=${raw}`);
  }
  assert.equal(loadConfig({ PORT: '' }).port, 3000, 'an empty variable counts as unset');
});

test('several invalid environment variables are all reported in one ConfigError', () => {
  const problems = problemsOf(() => loadConfig({
    PORT: 'abc', HOLDFAST_DB_POOL_MAX: '0', LOG_LEVEL: 'loud', HOLDFAST_SEED_ON_START: 'maybe',
    DATABASE_URL: 'mysql://localhost/shop', HOLDFAST_ADMIN_TOKEN: 'short', HOLDFAST_PG_PORT: '70000',
    HOLDFAST_RESERVATION_TTL_SECONDS: '2.5',
  }));
  // Nine: 2.5 is both not an integer and below the minimum of 10.
  assert.equal(problems.length, 9, problems.join('\n'));
  const expectations: [string, RegExp][] = [
    ['PORT', /port \(PORT\): .*integer.*"abc"/],
    ['HOLDFAST_DB_POOL_MAX', /dbPoolMax \(HOLDFAST_DB_POOL_MAX\): .*>= 1.*0/],
    ['LOG_LEVEL', /logLevel \(LOG_LEVEL\): .*"loud"/],
    ['HOLDFAST_SEED_ON_START', /seedOnStart \(HOLDFAST_SEED_ON_START\): .*boolean.*"maybe"/],
    ['DATABASE_URL', /databaseUrl \(DATABASE_URL\): .*postgres/],
    ['HOLDFAST_ADMIN_TOKEN', /adminToken \(HOLDFAST_ADMIN_TOKEN\): .*16/],
    ['HOLDFAST_PG_PORT', /embeddedPostgresPort \(HOLDFAST_PG_PORT\): .*65535/],
    ['HOLDFAST_RESERVATION_TTL_SECONDS', /reservationTtlSeconds \(HOLDFAST_RESERVATION_TTL_SECONDS\): .*integer/],
    ['HOLDFAST_RESERVATION_TTL_SECONDS', /reservationTtlSeconds \(HOLDFAST_RESERVATION_TTL_SECONDS\): must be >= 10, got 2.5/],
  ];
  for (const [name, pattern] of expectations) {
    assert.ok(problems.some((p) => pattern.test(p)), `${name} is reported:\n${problems.join('\n')}`);
  }
});

test('however many values are invalid, every one is reported (not the first eight)', () => {
  const env = {
    PORT: 'a', HOLDFAST_DB_POOL_MAX: '0', LOG_LEVEL: 'x', HOLDFAST_SEED_ON_START: 'm', HOLDFAST_PG_PORT: '0', HOLDFAST_SEED_PRODUCTS: '-1',
    HOLDFAST_RESERVATION_TTL_SECONDS: '1', HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '0', HOLDFAST_BODY_LIMIT_BYTES: '1', HOLDFAST_SHUTDOWN_GRACE_MS: '-1',
    HOLDFAST_PSP_DB_POOL_MAX: '0', HOLDFAST_FAULT_REFRESH_MS: '1',
  };
  const problems = problemsOf(() => loadConfig(env));
  assert.equal(problems.length, Object.keys(env).length, problems.join('\n'));
  for (const name of Object.keys(env)) assert.ok(problems.some((p) => p.includes(`(${name})`)), `${name} is reported:\n${problems.join('\n')}`);
});

test('a problem with a whole object does not echo the object (it may hold a secret under another key)', () => {
  const problems = problemsOf(() => loadConfig({ HOLDFAST_PAYMENT_PROVIDERS: '[{"baseUrl":"http://x","secretKey":"sk_live_hunter2"}]' }));
  assert.deepEqual(problems, ['paymentProviders[0] (HOLDFAST_PAYMENT_PROVIDERS): must have required properties name']);
});

test('secrets are never echoed back in config errors', () => {
  const problems = problemsOf(() => loadConfig({
    DATABASE_URL: 'mysql://shop:hunter2-password@db/shop', HOLDFAST_ADMIN_TOKEN: 'tooshort-secret',
  }));
  assert.equal(problems.length, 2, problems.join('\n'));
  for (const p of problems) {
    assert.doesNotMatch(p, /hunter2|tooshort-secret/);
    assert.match(p, /\[redacted\]/);
  }
});

test('a JSON file named by HOLDFAST_CONFIG sets values; the environment takes precedence over it', () => {
  const file = configFile('shop.json', { port: 4000, dbPoolMax: 7, logLevel: 'debug', seedOnStart: false });
  const fromFile = loadConfig({ HOLDFAST_CONFIG: file });
  assert.equal(fromFile.port, 4000);
  assert.equal(fromFile.dbPoolMax, 7);
  assert.equal(fromFile.logLevel, 'debug');
  assert.equal(fromFile.seedOnStart, false);
  assert.equal(fromFile.host, 'localhost', 'keys missing from the file keep their defaults');

  const both = loadConfig({ HOLDFAST_CONFIG: file, PORT: '5000', LOG_LEVEL: 'error' });
  assert.equal(both.port, 5000, 'PORT overrides the file');
  assert.equal(both.logLevel, 'error');
  assert.equal(both.dbPoolMax, 7, 'values only in the file remain');

  // A valid env value also rescues an invalid file value (env wins before validation).
  assert.equal(loadConfig({ HOLDFAST_CONFIG: configFile('bad-port.json', { port: 'x' }), PORT: '5001' }).port, 5001);
});

test('unknown keys in the config file are rejected, each by name, together with other problems', () => {
  const file = configFile('typos.json', { prot: 4000, dbPoolMax: 0, logLevl: 'debug' });
  const problems = problemsOf(() => loadConfig({ HOLDFAST_CONFIG: file, PORT: 'abc' }));
  assert.ok(problems.some((p) => /^prot \(in .*typos\.json\): unknown configuration key/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^logLevl \(in .*typos\.json\): unknown configuration key/.test(p)), problems.join('\n'));
  assert.ok(problems.some((p) => /^dbPoolMax \(in .*typos\.json\): .*>= 1/.test(p)), 'a bad file value names the file');
  assert.ok(problems.some((p) => /^port \(PORT\)/.test(p)), 'env problems are listed alongside');
  assert.equal(problems.length, 4, problems.join('\n'));
});

test('a missing, malformed or non-object config file is a ConfigError, not a crash', () => {
  assert.match(problemsOf(() => loadConfig({ HOLDFAST_CONFIG: path.join(dir, 'nope.json') }))[0]!, /HOLDFAST_CONFIG .*nope\.json.*ENOENT/);
  assert.match(problemsOf(() => loadConfig({ HOLDFAST_CONFIG: configFile('broken.json', '{"port": ') }))[0]!, /HOLDFAST_CONFIG .*broken\.json/);
  assert.match(problemsOf(() => loadConfig({ HOLDFAST_CONFIG: configFile('array.json', [1, 2]) }))[0]!, /must contain a JSON object/);
});

test('overrides (used by tests and embedding code) win over env and file', () => {
  const c = loadConfig({ PORT: '5000' }, { port: 0, seedOnStart: false });
  assert.equal(c.port, 0);
  assert.equal(c.seedOnStart, false);
});

test('slices compose into one schema; two slices cannot declare one key or one environment variable', () => {
  const a = defineConfigSlice({ port: Type.Integer({ default: 1 }) }, { A_PORT: 'port' });
  const b = defineConfigSlice({ host: Type.String({ default: 'h' }) }, { B_HOST: 'host' });
  const both = composeConfig(a, b);
  assert.deepEqual(Object.keys(both.schema.properties), ['port', 'host']);
  assert.deepEqual(both.env, { A_PORT: 'port', B_HOST: 'host' });
  assert.throws(() => composeConfig(a, defineConfigSlice({ port: Type.Integer() }, { C_PORT: 'port' })), /config key port is declared by two slices/);
  assert.throws(() => composeConfig(a, defineConfigSlice({ other: Type.Integer() }, { A_PORT: 'other' })), /environment variable A_PORT is declared by two slices/);
});

test('a client command loading some slices ignores the file keys of the others, and still reports its own problems', () => {
  const file = configFile('client.json', { port: 4100, paymentWorkerConcurrency: 4 });
  const client = composeConfig(defineConfigSlice({ port: Type.Integer({ default: 3000, minimum: 1 }) }, { PORT: 'port' }));
  const { loadConfig: load } = configModule;
  assert.equal(load(client, { HOLDFAST_CONFIG: file }, {}, { partial: true }).port, 4100);
  assert.throws(() => load(client, { HOLDFAST_CONFIG: file }), /paymentWorkerConcurrency .*unknown configuration key/);
  assert.throws(() => load(client, { PORT: '0' }, {}, { partial: true }), /port \(PORT\): must be >= 1/);
});

test('HOLDFAST_TRUST_PROXY: the proxies believed, comma-separated; none by default; anything but addresses, CIDRs and range names is refused', () => {
  assert.deepEqual(loadConfig({}).trustProxy, []);
  assert.deepEqual(loadConfig({ HOLDFAST_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', 'loopback', 'fd00::/8']);
  const problems = problemsOf(() => loadConfig({ HOLDFAST_TRUST_PROXY: 'true' }));
  assert.ok(problems.some((p) => p.includes('HOLDFAST_TRUST_PROXY')), problems.join('; '));
});
