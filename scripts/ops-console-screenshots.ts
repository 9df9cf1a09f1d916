// `node scripts/ops-console-screenshots.ts`: the screenshots of docs/ops-console.md, taken from a real run
// of the ops console (Debian's Chromium at 1280 px against the shop deployed one process per role, under
// light traffic, psp.latency injected from the console). It runs the console's browser test with
// HOLDFAST_SCREENSHOTS=docs/images, so the pictures are of a run whose assertions all passed.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'docs', 'images');
const child = spawn(process.execPath, ['scripts/test.ts', '--no-typecheck', 'test/detection/ops-console.browser.test.ts'], {
  cwd: root, stdio: 'inherit', env: { ...process.env, HOLDFAST_SCREENSHOTS: out },
});
child.on('exit', (code) => {
  if (code === 0) process.stdout.write(`screenshots written to ${path.relative(root, out)}/ops-console-*.png\n`);
  process.exit(code ?? 1);
});
