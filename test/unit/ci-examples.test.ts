// The example CI workflow in examples/ci/ (docs/loadtest.md) is valid YAML for GitHub Actions' shape, runs
// on a schedule that parses, and its commands are the ones this repository's CLI accepts: the capacity
// finder with --record against the staging target, then the peak-readiness report. Each command is given
// to the real CLI with --help appended, which parses every flag first (an unknown or misspelt flag exits 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { CronExpressionParser } from 'cron-parser';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const WORKFLOW = path.join(ROOT, 'examples/ci/nightly-capacity.yml');

/** A `run:` line's words, as a POSIX shell would split them (double quotes, no expansion needed here). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

async function cliAccepts(args: string[]): Promise<{ code: number; output: string }> {
  const run = promisify(execFile)(process.execPath, [path.join(ROOT, 'src/cli.ts'), ...args, '--help'], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, timeout: 60_000,
  });
  const r = await run.then((x) => ({ ...x, code: 0 }), (err: { stdout: string; stderr: string; code: number }) => err);
  return { code: r.code, output: `${r.stdout}${r.stderr}` };
}

test('examples/ci/nightly-capacity.yml: valid YAML, a nightly schedule, and the capacity run recorded with flags the CLI accepts', async () => {
  const text = await readFile(WORKFLOW, 'utf8');
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  assert.deepEqual(doc.errors, [], 'the workflow parses as YAML');
  const wf = doc.toJS() as {
    on: { schedule: { cron: string }[] }; jobs: Record<string, { 'runs-on': string; env?: Record<string, string>; steps: { run?: string; uses?: string; name?: string }[] }>;
  };
  const cron = wf.on.schedule[0]!.cron;
  assert.equal(cron.trim().split(/\s+/).length, 5, 'a five-field cron expression');
  CronExpressionParser.parse(cron, { tz: 'UTC' });
  const [job] = Object.values(wf.jobs);
  assert.ok(job && job['runs-on'], 'a job with a runner');
  assert.match(job.env?.HOLDFAST_ADMIN_TOKEN ?? '', /^\$\{\{ secrets\.\w+ \}\}$/, 'the admin token comes from a secret, never the file');
  const runs = job.steps.filter((s) => s.run).map((s) => s.run!.replace(/\s+/g, ' ').trim());
  const capacity = runs.find((r) => r.startsWith('npx holdfast loadtest capacity'));
  assert.ok(capacity, `a step runs the capacity finder: ${runs.join(' | ')}`);
  const capacityArgs = words(capacity).slice(2);
  for (const flag of ['--record', '--allow-remote', '--target-url']) assert.ok(capacityArgs.includes(flag), `${flag} in ${capacity}`);
  const accepted = await cliAccepts(capacityArgs);
  assert.equal(accepted.code, 0, `the CLI accepts: ${capacity}\n${accepted.output}`);

  const readiness = runs.find((r) => r.startsWith('npx holdfast readiness'));
  assert.ok(readiness, 'a step reports peak readiness');
  const readinessArgs = words(readiness).slice(2).map((w) => w.replace(/^\$\{\{ vars\.FORECAST_PEAK \}\}$/, '120').replace(/^\$\{\{ vars\.PEAK_AT \}\}$/, '2026-12-24'));
  const readinessAccepted = await cliAccepts(readinessArgs);
  assert.equal(readinessAccepted.code, 0, `the CLI accepts: ${readiness}\n${readinessAccepted.output}`);
  assert.ok(runs.indexOf(capacity) < runs.indexOf(readiness), 'readiness judges the run just recorded');
});

test('docs/loadtest.md shows the example workflow and the commands it runs', async () => {
  const docs = await readFile(path.join(ROOT, 'docs/loadtest.md'), 'utf8');
  assert.ok(docs.includes('examples/ci/nightly-capacity.yml'), 'the docs point to the example workflow');
  assert.ok(/holdfast loadtest capacity [^\n]*--record/.test(docs), 'the docs show capacity --record');
  assert.ok(docs.includes('holdfast readiness --peak'), 'the docs show holdfast readiness');
});
