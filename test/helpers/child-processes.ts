// Child processes a test file starts (Holdfast role processes, the CLI). Every one is killed when the test
// file's process ends, however it ends: after its tests (scripts/test.ts passes --test-force-exit, so
// a child left running cannot keep the file alive), on an uncaught exception, or on a signal such as the
// one scripts/test.ts sends when a file overruns its time limit. Tests still stop their children
// themselves (SIGTERM, so they drain) where that matters; this is the backstop that makes a failing test
// end instead of hanging on what it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}

process.on('exit', killAll);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + constants.signals[signal]);
  });
}

/** Registers a child so that it dies with this process at the latest; returns it. */
export function trackChild(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export interface HoldfastProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (drain), then SIGKILL after graceMs; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Runs `node src/cli.ts <args>` with only the environment given (plus PATH and HOME, and LOG_LEVEL=warn
 * unless given), from the repository root unless `cwd` says otherwise.
 */
export function spawnHoldfast(args: string[], env: Record<string, string>, opts: { cwd?: string } = {}): HoldfastProcess {
  const child = trackChild(spawn(process.execPath, [path.join(REPO_ROOT, 'src/cli.ts'), ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let all = '';
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { all += c.toString(); out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { all += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const stop = async (graceMs = 20_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, output: () => all, stdout: () => out, exited, stop };
}
