// Closed-loop HTTP load with a fixed number of connections, from a separate process: `wrk` when the
// machine has it (a C program: it leaves the most CPU to the server under test), else `autocannon`
// (an npm devDependency, so it is always there). Both report requests/s and latency percentiles.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { assertLoopback, runToCompletion } from './processes.ts';
import { REPO_ROOT } from './holdfast.ts';

export type LoadgenName = 'wrk' | 'autocannon';

export interface Loadgen {
  name: LoadgenName;
  version: string;
  command: string;
  /** Why this one: chosen on the command line, or the fallback because wrk is not installed. */
  reason: 'preferred' | 'requested' | 'wrk not installed';
}

export interface LoadResult {
  tool: LoadgenName;
  url: string;
  connections: number;
  durationSec: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Responses that were not 2xx/3xx. A run with these is not a valid throughput figure. */
  non2xx: number;
  /** Connect/read/write errors and timeouts. */
  socketErrors: number;
  bytes: number;
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, cmd);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** `auto` picks wrk when installed (Debian package `wrk`), else autocannon. */
export function chooseLoadgen(preference: 'auto' | LoadgenName): Loadgen {
  const wrk = findOnPath('wrk');
  if (preference === 'wrk' && !wrk) throw new Error('--loadgen wrk: wrk is not installed (Debian: apt-get install wrk)');
  if (wrk && preference !== 'autocannon') {
    let version = 'wrk';
    try {
      // `wrk --version` prints its banner and exits 1.
      execFileSync(wrk, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      version = String((err as { stdout?: string }).stdout ?? '').split('\n')[0]?.replace(/\s+Copyright.*$/, '').trim() || 'wrk';
    }
    return { name: 'wrk', version, command: wrk, reason: preference === 'wrk' ? 'requested' : 'preferred' };
  }
  const pkg = path.join(REPO_ROOT, 'node_modules', 'autocannon', 'package.json');
  if (!existsSync(pkg)) throw new Error('autocannon is not installed: run `npm install`');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  return {
    name: 'autocannon', version: `autocannon ${version}`, command: path.join(REPO_ROOT, 'node_modules', 'autocannon', 'autocannon.js'),
    reason: preference === 'autocannon' ? 'requested' : 'wrk not installed',
  };
}

export async function runLoad(loadgen: Loadgen, opts: { url: string; connections: number; durationSec: number; threads?: number }): Promise<LoadResult> {
  assertLoopback(opts.url);
  const duration = Math.max(1, Math.round(opts.durationSec));
  if (loadgen.name === 'wrk') {
    const threads = Math.min(opts.threads ?? 1, opts.connections);
    const script = path.join(import.meta.dirname, 'wrk-report.lua');
    const { code, stdout, output } = await runToCompletion('wrk', loadgen.command, [
      '-t', String(threads), '-c', String(opts.connections), '-d', `${duration}s`, '--timeout', '10s', '-s', script, opts.url,
    ]);
    const line = stdout.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${output}`);
    const r = JSON.parse(line.slice('WRK_JSON '.length)) as {
      requests: number; durationUs: number; bytes: number;
      errors: { connect: number; read: number; write: number; status: number; timeout: number };
      latencyUs: { mean: number; p50: number; p90: number; p99: number; max: number };
    };
    const seconds = r.durationUs / 1e6;
    return {
      tool: 'wrk', url: opts.url, connections: opts.connections, durationSec: seconds, requests: r.requests,
      rps: r.requests / seconds, p50Ms: r.latencyUs.p50 / 1000, p99Ms: r.latencyUs.p99 / 1000, meanMs: r.latencyUs.mean / 1000,
      non2xx: r.errors.status, socketErrors: r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout, bytes: r.bytes,
    };
  }
  const { code, stdout, output } = await runToCompletion('autocannon', process.execPath, [
    loadgen.command, '-c', String(opts.connections), '-d', String(duration), '-j', '-n', opts.url,
  ], { cwd: REPO_ROOT });
  const line = stdout.split('\n').reverse().find((l) => l.trim().startsWith('{'));
  if (code !== 0 || !line) throw new Error(`autocannon failed (exit ${code}):\n${output}`);
  const r = JSON.parse(line) as {
    duration: number; requests: { total: number }; latency: { p50: number; p99: number; average: number };
    non2xx: number; errors: number; timeouts: number; throughput: { total: number };
  };
  return {
    tool: 'autocannon', url: opts.url, connections: opts.connections, durationSec: r.duration, requests: r.requests.total,
    rps: r.requests.total / r.duration, p50Ms: r.latency.p50, p99Ms: r.latency.p99, meanMs: r.latency.average,
    non2xx: r.non2xx, socketErrors: r.errors + r.timeouts, bytes: r.throughput.total,
  };
}
