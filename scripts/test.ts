// `npm test`: type-checks, checks the module boundaries (scripts/check-boundaries.ts), starts one real
// PostgreSQL server (embedded, or DATABASE_URL), prepares a
// migrated and seeded template database, then runs every test file with node's test runner. Each test
// file clones the template into its own database, so files run in parallel without sharing state.
//
// Each file runs in a `node --test` process of its own, in its own process group, with a time limit
// (--file-timeout <seconds>, HOLDFAST_TEST_FILE_TIMEOUT_SECONDS; default 900): node's --test-timeout ends
// a test, not the file, and a file whose test left a role process running would otherwise never end.
// A file over its limit fails with a message naming it, and it and every process it started (its whole
// process group) are killed; whatever a finished file left running is killed too.
import { spawn, type ChildProcess } from 'node:child_process';
import { glob, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { MIGRATION_FOLDERS } from '../src/app/holdfast-modules.ts';
import { seedDemoCatalog } from '../src/catalog/index.ts';
import { TEMPLATE_DB } from '../test/helpers/test-db.ts';
import { freePort } from '../test/helpers/free-port.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

/** The value of `--name=value` or `--name value`. */
function flagValue(name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(name.length + 1) : args[i + 1];
}

function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'inherit', env, cwd: root });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const started = Date.now();

const step = (msg: string) => process.stdout.write(`[test] ${msg} (+${((Date.now() - started) / 1000).toFixed(1)}s)\n`);

if (!args.includes('--no-typecheck')) {
  step('type-checking (tsc --noEmit)');
  const tsc = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root]);
  if (tsc !== 0) process.exit(tsc);
  // No import cycles, platform imports no context, contexts only through index.ts (decision 0016).
  step('checking module boundaries (scripts/check-boundaries.ts)');
  const boundaries = await run(process.execPath, [path.join(root, 'scripts/check-boundaries.ts')]);
  if (boundaries !== 0) process.exit(boundaries);
}

let adminUrl = process.env.TEST_DATABASE_URL;
let stopServer: (() => Promise<void>) | undefined;
if (!adminUrl) {
  // A private server per run (own data dir, free port), so several runs can share a machine.
  const dataDir = path.join(root, '.holdfast-test', `run-${process.pid}`);
  await rm(dataDir, { recursive: true, force: true });
  const port = Number(process.env.HOLDFAST_TEST_PG_PORT) || await freePort();
  step(`starting embedded PostgreSQL for tests on port ${port}`);
  const server = await startEmbeddedPostgres({ dataDir, port });
  adminUrl = server.connectionString;
  stopServer = async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

step('preparing template database (migrations + demo catalog)');
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
await admin.end();
const templateUrl = new URL(adminUrl);
templateUrl.pathname = `/${TEMPLATE_DB}`;
const templatePool = new pg.Pool({ connectionString: templateUrl.toString(), max: 2 });
await migrate(templatePool, MIGRATION_FOLDERS);
await seedDemoCatalog(templatePool, 1200);
await templatePool.end();

// Files under test/detection/ judge the latency of a live shop (alerts, root causes, a surge that must
// not page): they run after the rest, one at a time, so no other test file competes for the CPU. A file
// whose shop only sees light traffic and no CPU fault declares itself with a line `// detection: light`;
// those run two at a time after the others (each uses a small share of one core, and their limits are
// seconds wide), which keeps the phase short.
const EXCLUSIVE_DIR = 'test/detection/';
const LIGHT_MARKER = /^\/\/ detection: light$/m;
const files = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--file-timeout');
const all: string[] = [];
for (const pattern of files.length ? files : ['src/**/*.test.ts', 'test/**/*.test.ts']) {
  // a directory stands for every test file under it
  const isDir = await stat(path.join(root, pattern)).then((st) => st.isDirectory(), () => false);
  for await (const f of glob(isDir ? path.join(pattern, '**/*.test.ts') : pattern, { cwd: root })) all.push(f);
}
all.sort();
const shared = all.filter((f) => !f.startsWith(EXCLUSIVE_DIR));
const exclusive = all.filter((f) => f.startsWith(EXCLUSIVE_DIR));
const testEnv = { ...process.env, HOLDFAST_TEST_PG_URL: adminUrl, NODE_ENV: 'test' };

const fileTimeoutSeconds = Number(flagValue('--file-timeout') ?? process.env.HOLDFAST_TEST_FILE_TIMEOUT_SECONDS ?? 900);
if (!(fileTimeoutSeconds > 0)) throw new Error('--file-timeout (HOLDFAST_TEST_FILE_TIMEOUT_SECONDS) must be a positive number of seconds');

/** Counts from the closing lines of node's spec reporter (ℹ pass 12, ...). */
type Counts = Record<'pass' | 'fail' | 'skipped' | 'cancelled' | 'todo', number>;
const COUNTED = ['pass', 'fail', 'skipped', 'cancelled', 'todo'] as const;
function countsOf(output: string): Counts {
  const counts = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
  for (const key of COUNTED) {
    const m = [...output.matchAll(new RegExp(`^ℹ ${key} (\\d+)$`, 'gm'))].at(-1);
    if (m) counts[key] = Number(m[1]);
  }
  return counts;
}

interface FileResult { file: string; ok: boolean; timedOut: boolean; seconds: number; counts: Counts; why: string }

/**
 * Why a file failed, for the run's closing lines: the spec reporter's own "failing tests" section when it
 * printed one, otherwise the file's last lines. A long run prints the failure again at its end because a
 * CI log is often read from the bottom, far from where the file printed it.
 */
function failureOf(output: string): string {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith('✖ failing tests:'));
  const picked = start >= 0 ? lines.slice(start + 1) : lines.slice(-40);
  return picked.filter((l) => l.trim() !== '' && !/^\s+at .*\(?node:/.test(l)).slice(0, 60).map((l) => `    ${l}`).join('\n');
}
const running = new Set<ChildProcess>();

/** Signals a file's whole process group (the file's process and every process its tests started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try { process.kill(-child.pid!, signal); } catch { /* the group is empty */ }
}

/** Commands of the live (not zombie) processes in a process group, from /proc (Linux). */
async function groupMembers(pgid: number): Promise<string[]> {
  const members: string[] = [];
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) !== pgid || state === 'Z') continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    members.push(`${pid} ${cmdline.split('\0').join(' ').trim().slice(0, 120)}`);
  }
  return members;
}

function runFile(file: string, live: boolean): Promise<FileResult> {
  const began = Date.now();
  const child = spawn(process.execPath, [
    '--test', '--test-force-exit', '--test-timeout=300000', '--test-reporter=spec', file,
  ], { env: testEnv, cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (live) process.stdout.write(chunk);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    signalGroup(child, 'SIGTERM');
    setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000).unref();
  }, fileTimeoutSeconds * 1000);
  return new Promise((resolve) => {
    child.once('exit', async (code, signal) => {
      clearTimeout(limit);
      const notes: string[] = [];
      // Anything of the file still alive in its group was left behind by a test: it must not outlive it.
      // (A moment first: children killed by the file's own exit handler may not have died yet.)
      await new Promise((r) => setTimeout(r, 500));
      const leftovers = await groupMembers(child.pid!);
      signalGroup(child, 'SIGKILL');
      running.delete(child);
      if (leftovers.length && !timedOut) notes.push(`[test] ${file} left processes running; killed them: ${leftovers.join('; ')}`);
      if (timedOut) {
        notes.push(`[test] ✖ ${file} FAILED: it did not finish within its time limit of ${fileTimeoutSeconds} s (--file-timeout); `
          + 'it and every process it started were killed');
      }
      const seconds = (Date.now() - began) / 1000;
      const ok = !timedOut && code === 0;
      const header = `[test] ${ok ? '✔' : '✖'} ${file} (${seconds.toFixed(1)} s${ok ? '' : `, exit ${code ?? signal}`})`;
      process.stdout.write(live ? `${[...notes, header].join('\n')}\n` : `${header}\n${output}${notes.map((n) => `${n}\n`).join('')}`);
      const counts = countsOf(output);
      if (timedOut) counts.fail += 1;
      resolve({ file, ok, timedOut, seconds, counts, why: ok ? '' : failureOf(output) });
    });
  });
}

/** Runs the files, `concurrency` at a time; one file's output is printed whole when it ends (live when alone). */
async function runFiles(list: string[], concurrency: number): Promise<FileResult[]> {
  const results: FileResult[] = [];
  const queue = [...list];
  const live = concurrency === 1 || list.length === 1;
  await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) results.push(await runFile(file, live));
  }));
  return results;
}

// Ctrl-C or a SIGTERM to the runner: the files run in process groups of their own, so stop them here.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) signalGroup(child, 'SIGKILL');
    void (stopServer?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const results: FileResult[] = [];
if (shared.length) {
  step(`running ${shared.length} test files, two at a time (each at most ${fileTimeoutSeconds} s)`);
  results.push(...await runFiles(shared, 2));
}
if (exclusive.length) {
  const isLight = await Promise.all(exclusive.map(async (f) => LIGHT_MARKER.test(await readFile(path.join(root, f), 'utf8'))));
  const alone = exclusive.filter((_, i) => !isLight[i]);
  const light = exclusive.filter((_, i) => isLight[i]);
  if (alone.length) {
    step(`running ${alone.length} detection test files one at a time (${EXCLUSIVE_DIR})`);
    results.push(...await runFiles(alone, 1));
  }
  if (light.length) {
    step(`running ${light.length} light detection test files two at a time (${EXCLUSIVE_DIR}, \`// detection: light\`)`);
    results.push(...await runFiles(light, 2));
  }
}

await stopServer?.();
const failed = results.filter((r) => !r.ok);
const total = results.reduce((sum, r) => {
  for (const key of COUNTED) sum[key] += r.counts[key];
  return sum;
}, { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 });
if (failed.length) {
  process.stdout.write(`[test] failed files:\n${failed.map((r) => `  ${r.file}${r.timedOut ? ` (over the ${fileTimeoutSeconds} s limit)` : ''}\n${r.why}`).join('\n')}\n`);
}
const code = failed.length ? 1 : 0;
step(`done, ${results.length} files, exit code ${code}`);
// One closing line for the whole run (each file printed its own summary above).
process.stdout.write(`tests: ${total.pass} passed, ${total.fail + total.cancelled} failed, ${total.skipped + total.todo} skipped\n`);
process.exit(code);
