// `npm test`: type-checks, starts one real PostgreSQL server (embedded, or DATABASE_URL), prepares a
// migrated and seeded template database, then runs every test file with node's test runner. Each test
// file clones the template into its own database, so files run in parallel without sharing state.
import { spawn } from 'node:child_process';
import { glob, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres.ts';
import { migrate } from '../src/platform/db/migrate.ts';
import { seedDemoCatalog } from '../src/catalog/index.ts';
import { TEMPLATE_DB } from '../test/helpers/test-db.ts';
import { freePort } from '../test/helpers/free-port.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);

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
await migrate(templatePool);
await seedDemoCatalog(templatePool, 1200);
await templatePool.end();

// Files under test/detection/ judge the latency of a live shop (alerts, root causes, a surge that must
// not page): they run one at a time after the rest, so no other test file competes for the CPU.
const EXCLUSIVE_DIR = 'test/detection/';
const files = args.filter((a) => !a.startsWith('--'));
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
const nodeTest = (list: string[], concurrency: number) => run(process.execPath, [
  '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000', '--test-reporter=spec', ...list,
], testEnv);
let code = 0;
if (shared.length) {
  step(`running ${shared.length} test files, two at a time`);
  code = await nodeTest(shared, 2);
}
if (exclusive.length) {
  step(`running ${exclusive.length} detection test files one at a time (${EXCLUSIVE_DIR})`);
  code = (await nodeTest(exclusive, 1)) || code;
}

await stopServer?.();
step(`done, exit code ${code}`);
process.exit(code);
