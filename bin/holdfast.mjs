#!/usr/bin/env node
// Launcher for the `holdfast` program. Holdfast runs TypeScript directly on Node 26 (type stripping);
// the project pins Node 26 through the `node` devDependency. When this launcher is started by an older
// system Node, it re-executes the CLI with the pinned binary so `npx holdfast` works everywhere.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'src', 'cli.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 26) {
  await import(cli);
} else {
  const require = createRequire(import.meta.url);
  let nodeBin;
  try {
    nodeBin = path.join(path.dirname(require.resolve('node/package.json')), 'bin', 'node');
  } catch {
    console.error('holdfast needs Node.js 26 or newer; run `npm install` to fetch the pinned version.');
    process.exit(1);
  }
  const child = spawn(nodeBin, [cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
