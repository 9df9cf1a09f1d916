// The version of Holdfast this process runs: package.json's version, plus the git commit when the
// process runs from a checkout (HOLDFAST_VERSION overrides both, e.g. an image tag).
import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

export function holdfastVersion(): string {
  if (cached) return cached;
  const fromEnv = process.env.HOLDFAST_VERSION?.trim();
  if (fromEnv) return (cached = fromEnv.slice(0, 100));
  const root = path.join(import.meta.dirname, '..', '..');
  let version = '0.0.0';
  try { version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? version; } catch { /* no package.json: keep 0.0.0 */ }
  try {
    const head = readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim();
    const commit = head.startsWith('ref: ') ? readFileSync(path.join(root, '.git', head.slice(5)), 'utf8').trim() : head;
    if (/^[0-9a-f]{40}$/.test(commit)) version += `+${commit.slice(0, 12)}`;
  } catch { /* not a git checkout (an image): the package version alone */ }
  return (cached = version);
}
