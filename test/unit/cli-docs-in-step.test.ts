// The docs say what the CLI does: the README's `start --list-targets` sample is the command's output (and
// docs/architecture.md describes every module it names), `holdfast help` lists every command and every
// subcommand the commands dispatch, and the capacity finder's default SLO is spelled one way everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_SLO } from '../../src/loadtest/capacity-finder.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const execFileAsync = promisify(execFile);

/** `holdfast <args>` with an empty configuration; stdout and stderr together, whatever the exit code. */
async function holdfast(...args: string[]): Promise<string> {
  const run = execFileAsync(process.execPath, [path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, timeout: 60_000,
  });
  const { stdout, stderr } = await run.catch((err: { stdout: string; stderr: string }) => err);
  return `${stdout}${stderr}`;
}

const readme = () => readFile(path.join(ROOT, 'README.md'), 'utf8');

test("the README's `start --list-targets` sample is what the command prints", async () => {
  const printed = await holdfast('start', '--list-targets');
  const sample = /```\n\$ npx holdfast start --list-targets\n([\s\S]*?)```/.exec(await readme())?.[1];
  assert.ok(sample, 'README.md has the sample');
  assert.equal(sample, printed);
  const architecture = await readFile(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const modules = new Set(printed.split('\n').flatMap((line) => line.split(/\s+/).slice(1)).filter((w) => w && w !== '->'));
  for (const m of modules) assert.match(architecture, new RegExp(`^\\| ${m} \\|`, 'm'), `docs/architecture.md describes the module ${m}`);
});

test('`holdfast help` lists every command and every subcommand the commands dispatch', async () => {
  const help = await holdfast('help');
  // Top-level commands: the cases of the CLI's dispatch.
  const cli = await readFile(path.join(ROOT, 'src/cli.ts'), 'utf8');
  const commands = [...cli.matchAll(/^ {4}case '([a-z][a-z-]*)':/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
  assert.ok(commands.length >= 6, commands.join(', '));
  for (const c of commands) assert.match(help, new RegExp(`^  holdfast ${c}\\b`, 'm'), `holdfast help lists ${c}`);
  // Subcommands: what each command's own usage offers (printed when it is called without one).
  const usages: Record<string, string[]> = { db: ['db'], faults: ['faults'], export: ['export'], rca: ['rca'], loadtest: ['loadtest', '--help'] };
  for (const [command, args] of Object.entries(usages)) {
    const usage = await holdfast(...args);
    const subs = new Set([...usage.matchAll(new RegExp(`holdfast ${command} ([a-z][a-z-]*)`, 'g'))].map((m) => m[1]!));
    assert.ok(subs.size > 0, `holdfast ${args.join(' ')} names its subcommands:\n${usage}`);
    for (const sub of subs) assert.match(help, new RegExp(`^  holdfast ${command} ${sub}\\b`, 'm'), `holdfast help lists "holdfast ${command} ${sub}"`);
  }
});

test("the capacity finder's default SLO is spelled as the code has it, in --help and in docs/loadtest.md", async () => {
  const usage = await holdfast('loadtest', '--help');
  const docs = await readFile(path.join(ROOT, 'docs/loadtest.md'), 'utf8');
  const section = docs.slice(docs.indexOf('## The capacity finder'));
  for (const [where, text] of [['holdfast loadtest --help', usage], ['docs/loadtest.md', section]] as const) {
    // every SLO list written as a --slo value would be (a report's "p(99)<500ms, error_rate<0.01" is prose)
    const slos = [...text.matchAll(/p\(?\d+\)?<\d+ms,error_rate<[\d.]*\d/g)].map((m) => m[0]);
    assert.ok(slos.length > 0, `${where} names the default SLO`);
    for (const slo of slos) assert.equal(slo, DEFAULT_SLO, `${where} spells the SLO as the code does`);
  }
});
