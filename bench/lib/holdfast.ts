// Starts Holdfast the way an operator would (`node src/cli.ts start --target ...`) as a separate
// process with its own embedded PostgreSQL (own data dir, free ports, loopback only), and stops it so
// that nothing is left behind: Holdfast first (it stops its PostgreSQL), then anything of its process
// tree still alive, then any PostgreSQL still running on its data dir.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { embeddedPostgresUrl } from '../../src/platform/db/embedded-postgres.ts';
import { freePortsBelowEphemeral } from '../../src/platform/process/free-port.ts';
import {
  killSurvivors, onCleanup, pidAlive, processTree, sleep, startProcess,
  type ManagedProcess, type ProcInfo,
} from './processes.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Scratch space of bench runs (embedded PostgreSQL data dirs), one folder per run: `run-<pid>`. */
export const SCRATCH_ROOT = path.join(REPO_ROOT, '.holdfast-bench');


export interface HoldfastInstance {
  name: string;
  targets: string;
  url: string;
  port: number;
  pgPort: number;
  dataDir: string;
  pid: number;
  process: ManagedProcess;
  /** Spawn to first 200 from /readyz (includes initdb, migrations and the demo catalog seed). */
  startupMs: number;
  /** Superuser connection to the embedded PostgreSQL (for pgbench and other baselines). */
  pg: { host: string; port: number; user: string; password: string };
  tree(): ProcInfo[];
  stop(): Promise<void>;
}

/** The options of startHoldfast. */
export interface StartOptions {
  name: string;
  targets: string;
  dataDir: string;
  log: (msg: string) => void;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** The start command's arguments (default: start --target <targets>), e.g. ['start', '--autoscale']. */
  args?: string[];
  /** The main port (default: a free one). */
  port?: number;
}

/**
 * Starts Holdfast on free ports. A port found free can still be taken by another process before the child
 * binds it (seen: EADDRINUSE at start-up on a busy machine), so a start that fails that way is tried again
 * on new ports, up to three times in all, unless the caller chose the main port.
 */
export async function startHoldfast(opts: StartOptions): Promise<HoldfastInstance> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHoldfastOnce(opts);
    } catch (err) {
      if (attempt >= 3 || opts.port !== undefined || !/EADDRINUSE/.test((err as Error).message)) throw err;
      opts.log(`${opts.name}: a port was taken between choosing and binding it (EADDRINUSE); starting again on new ports`);
    }
  }
}

async function startHoldfastOnce(opts: StartOptions): Promise<HoldfastInstance> {
  await rm(opts.dataDir, { recursive: true, force: true });
  await mkdir(opts.dataDir, { recursive: true });
  // Four consecutive ports below the ephemeral range: the shop's, its PostgreSQL's, the payment simulator's
  // and the simulator's secondary account's (which listens on the next one). Ports the OS picks lie in the
  // range outgoing connections take theirs from, where one can be taken before the shop binds it.
  const base = await freePortsBelowEphemeral(4);
  const [port, pgPort, pspPort] = [opts.port ?? base, base + 1, base + 2];
  // The child gets the caller's environment minus anything that would point it elsewhere (an external
  // DATABASE_URL, a config file, a developer's ports): the bench always measures its own instance.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('HOLDFAST_') || ['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(k)) continue;
    env[k] = v;
  }
  Object.assign(env, {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    HOLDFAST_DATA_DIR: opts.dataDir,
    HOLDFAST_PG_PORT: String(pgPort),
    HOLDFAST_PSP_PORT: String(pspPort),
    HOLDFAST_ADMIN_TOKEN: `bench-${randomBytes(16).toString('hex')}`,
    HOLDFAST_SHUTDOWN_GRACE_MS: '10000',
    LOG_LEVEL: 'warn',
    ...opts.env,
  });
  const started = Date.now();
  const proc = startProcess(`holdfast ${opts.name}`, process.execPath, ['src/cli.ts', ...(opts.args ?? ['start', '--target', opts.targets])], {
    cwd: REPO_ROOT, env,
  });
  const url = `http://127.0.0.1:${port}`;
  let snapshot: ProcInfo[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () => stopping ??= (async () => {
    unregister();
    const current = processTree(proc.pid);
    if (current.length) snapshot = current;
    await proc.stop({ signal: 'SIGTERM', graceMs: 20_000 });
    await killSurvivors(snapshot, opts.log);
    await stopPostgresOnDataDir(path.join(opts.dataDir, 'pg'), opts.log);
    await rm(opts.dataDir, { recursive: true, force: true }).catch(() => {});
  })();
  // Registered after the process so that it runs first at cleanup (cleanup is newest first).
  const unregister = onCleanup(`holdfast ${opts.name} and its PostgreSQL`, stop);
  try {
    const deadline = started + (opts.readyTimeoutMs ?? 240_000);
    for (;;) {
      if (!proc.isRunning()) throw new Error(`Holdfast (${opts.targets}) exited during start-up:\n${proc.output()}`);
      if (Date.now() > deadline) throw new Error(`Holdfast (${opts.targets}) not ready after ${(opts.readyTimeoutMs ?? 240_000) / 1000}s:\n${proc.output()}`);
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch { /* not listening yet */ }
      await sleep(250);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const startupMs = Date.now() - started;
  snapshot = processTree(proc.pid);
  // The data dir's own password, as `holdfast db url` prints it; an instance given DATABASE_URL (a second
  // role on the first one's database) has no embedded server of its own: its PostgreSQL is that URL's.
  const pgUrl = new URL(opts.env?.DATABASE_URL ?? (await embeddedPostgresUrl({ dataDir: opts.dataDir, port: pgPort }))!);
  return {
    name: opts.name, targets: opts.targets, url, port, pgPort: Number(pgUrl.port), dataDir: opts.dataDir, pid: proc.pid, process: proc, startupMs,
    pg: { host: pgUrl.hostname, port: Number(pgUrl.port), user: decodeURIComponent(pgUrl.username), password: decodeURIComponent(pgUrl.password) },
    tree: () => processTree(proc.pid),
    stop,
  };
}

/** Stops a PostgreSQL server found through its postmaster.pid, only if that pid really runs on this data dir. */
export async function stopPostgresOnDataDir(pgDataDir: string, log: (msg: string) => void): Promise<void> {
  const pidFile = path.join(pgDataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) return;
  let cmdline = '';
  try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { return; }
  if (!cmdline.includes(pgDataDir)) return;
  log(`stopping leftover PostgreSQL (pid ${pid}) on ${pgDataDir}`);
  try { process.kill(pid, 'SIGINT'); } catch { return; }
  for (let i = 0; i < 75 && pidAlive(pid); i++) await sleep(200);
  if (pidAlive(pid)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
}

/**
 * Removes the scratch folders of earlier runs that died without cleaning up (SIGKILL, power loss), and
 * stops any PostgreSQL still running on them. A run's folder is `run-<pid>`; it is stale when that pid
 * is no longer a bench process.
 */
export async function reapStaleRuns(log: (msg: string) => void): Promise<void> {
  if (!existsSync(SCRATCH_ROOT)) return;
  for (const entry of readdirSync(SCRATCH_ROOT)) {
    const m = /^run-(\d+)$/.exec(entry);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    let owner = '';
    try { owner = readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* not running */ }
    if (owner.includes('bench/run.ts')) continue; // another bench run in progress
    const dir = path.join(SCRATCH_ROOT, entry);
    for (const sub of readdirSync(dir)) await stopPostgresOnDataDir(path.join(dir, sub, 'pg'), log);
    log(`removing stale scratch folder ${path.relative(REPO_ROOT, dir)}`);
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}
