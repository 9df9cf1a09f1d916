// The SLO file (HOLDFAST_SLO_FILE): the definitions it holds replace the built-in journeys, and a file
// that is not what the control role can use is refused with every problem named by its place in the file.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../platform/config/config.ts';
import { controlSettings, DEFAULT_SLOS, readSloFile } from './control-config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-slo-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sloFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function problemsOf(file: string): string[] {
  try {
    readSloFile(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    for (const p of err.problems) assert.ok(err.message.includes(p), 'the message lists every problem');
    return err.problems;
  }
  assert.fail('expected readSloFile to throw');
}

test('the built-in SLOs, written to a file, are read back as they are and replace the defaults', () => {
  const file = sloFile('defaults.json', DEFAULT_SLOS);
  assert.deepEqual(readSloFile(file), DEFAULT_SLOS);
  const one = [{ journey: 'search', source: { kind: 'http', method: 'GET', routePrefixes: ['/api/products'] }, availability: 0.99, latency: { thresholdSeconds: 0.25, objective: 0.95 } }];
  assert.deepEqual(controlSettings({ controlScrapeTargets: [], sloFile: sloFile('one.json', one) }).slos, one);
  assert.deepEqual(controlSettings({ controlScrapeTargets: [] }).slos, DEFAULT_SLOS);
});

test('every problem of a malformed SLO file is listed, each naming its field', () => {
  const file = sloFile('bad.json', [
    { journey: 'checkout', source: { kind: 'http', routePrefixes: ['api/checkout'], methd: 'POST' }, availability: '99.9%', latency: { thresholdSeconds: 1, objective: 1.5 } },
    { journey: 'Pay Ment', source: { kind: 'jobs' }, availability: 0.99 },
    { journey: 'cart', source: { kind: 'payment-jobs', routePrefixes: ['/x'] }, availability: 1, latency: { thresholdSeconds: 0, objective: 0.9 }, page: true },
  ]);
  const at = `(in ${file}, HOLDFAST_SLO_FILE)`;
  assert.deepEqual(problemsOf(file).sort(), [
    `[0].availability ${at}: must be number, got "99.9%"`,
    `[0].latency.objective ${at}: must be < 1, got 1.5`,
    `[0].source ${at}: unknown key "methd"`,
    `[0].source.routePrefixes[0] ${at}: must match pattern "^/", got "api/checkout"`,
    `[1] ${at}: must have required properties latency`,
    `[1].journey ${at}: must match pattern "^[a-z][a-z0-9_-]{0,31}$", got "Pay Ment"`,
    `[1].source.kind ${at}: must be one of "http", "payment-jobs", got "jobs"`,
    `[2] ${at}: unknown key "page"`,
    `[2].availability ${at}: must be < 1, got 1`,
    `[2].latency.thresholdSeconds ${at}: must be > 0, got 0`,
    `[2].source ${at}: unknown key "routePrefixes"`,
  ]);
});

test('a file that is not a list of definitions, is empty, repeats a journey, is not JSON or is missing is refused', () => {
  const at = (name: string) => `(in ${path.join(dir, name)}, HOLDFAST_SLO_FILE)`;
  assert.deepEqual(problemsOf(sloFile('object.json', { journey: 'checkout' })), [`sloFile ${at('object.json')}: must be array`]);
  assert.deepEqual(problemsOf(sloFile('empty.json', [])), [`sloFile ${at('empty.json')}: must not have fewer than 1 items`]);
  assert.deepEqual(problemsOf(sloFile('twice.json', [DEFAULT_SLOS[0], DEFAULT_SLOS[1], DEFAULT_SLOS[0]])), [`[2].journey ${at('twice.json')}: "browse" is already the journey of [0]`]);
  const proto = `[${JSON.stringify(DEFAULT_SLOS[0]).replace('{', '{"__proto__":{"journey":"x"},')}]`;
  assert.deepEqual(problemsOf(sloFile('proto.json', proto)), [`[0] ${at('proto.json')}: unknown key "__proto__"`]);
  assert.match(problemsOf(sloFile('broken.json', '[{"journey": '))[0]!, /^sloFile \(in .*broken\.json, HOLDFAST_SLO_FILE\): .*JSON/);
  assert.match(problemsOf(path.join(dir, 'nope.json'))[0]!, /^sloFile \(in .*nope\.json, HOLDFAST_SLO_FILE\): ENOENT/);
});
