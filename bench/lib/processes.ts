// Child processes for the bench, and the guarantee that every one of them (and every embedded PostgreSQL
// they start) is gone when `npm run bench` ends: normally, on an error, or on Ctrl-C.
//
// Children are spawned in their own process group (detached) so that a Ctrl-C in the terminal reaches
// only the orchestrator, which then stops them in order (Holdfast first, so it can stop its own
// PostgreSQL) instead of every process receiving SIGINT at the same instant.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------
// Cleanup registry

interface Resource { name: string; release: () => Promise<void> }
const resources: Resource[] = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;

/** True once Ctrl-C (or SIGTERM/SIGHUP) arrived: nothing new may start after that. */
export function isInterrupted(): boolean {
  return interrupted;
}

/** Registers something to release at the end of the run; returns a function that unregisters it. */
export function onCleanup(name: string, release: () => Promise<void>): () => void {
  const resource: Resource = { name, release };
  resources.push(resource);
  return () => {
    const i = resources.indexOf(resource);
    if (i >= 0) resources.splice(i, 1);
  };
}

/** Releases everything still registered, newest first, each with a deadline so one stuck stop cannot hang the rest. */
export function cleanupAll(log: (msg: string) => void = () => {}): Promise<void> {
  cleaning ??= (async () => {
    while (resources.length) {
      const r = resources.pop()!;
      log(`cleaning up: ${r.name}`);
      const deadline = sleep(45_000).then(() => { throw new Error('timed out'); });
      await Promise.race([r.release(), deadline]).catch((err: unknown) => log(`cleanup of ${r.name} failed: ${String(err)}`));
    }
  })();
  return cleaning;
}

/** Ctrl-C, SIGTERM, SIGHUP and crashes all end in cleanupAll(); a second Ctrl-C kills the children at once. */
export function installSignalHandlers(log: (msg: string) => void): void {
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // `npm run` forwards the terminal's Ctrl-C to us, so one key press can arrive twice within
    // milliseconds: only a second signal a moment later means "force".
    if (firstSignalAt && Date.now() - firstSignalAt < 1500) return;
    if (firstSignalAt) {
      log(`${signal} again: killing child processes now`);
      for (const child of liveChildren) killGroup(child, 'SIGKILL');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    interrupted = true;
    log(`${signal}: stopping every process this run started (press Ctrl-C again to force)`);
    void cleanupAll(log).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  const onCrash = (err: unknown) => {
    log(`fatal: ${err instanceof Error ? err.stack : String(err)}`);
    void cleanupAll(log).finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
}

// ---------------------------------------------------------------------------------------------------
// Managed child processes

const liveChildren = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  // Only while the group leader is ours and still alive, so the group id cannot have been reused.
  try { process.kill(-child.pid, signal); } catch { try { child.kill(signal); } catch { /* gone */ } }
}

export interface ManagedProcess {
  child: ChildProcess;
  pid: number;
  name: string;
  /** Last lines of stdout and stderr, for error messages. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isRunning(): boolean;
  /** SIGTERM (or the given signal), then SIGKILL to the whole process group after graceMs. */
  stop(opts?: { signal?: NodeJS.Signals; graceMs?: number }): Promise<void>;
}

export function startProcess(name: string, command: string, args: string[], opts: SpawnOptions & {
  onStdoutLine?: (line: string) => void;
  /** Collect all of stdout (for load generators whose report is on stdout). */
  captureStdout?: boolean;
} = {}): ManagedProcess & { stdout(): string } {
  if (interrupted) throw new Error(`interrupted: not starting ${name}`);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, ...opts });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  liveChildren.add(child);
  const tail: string[] = [];
  let captured = '';
  let partial = '';
  const remember = (text: string) => {
    tail.push(...text.split('\n').filter((l) => l.trim()));
    if (tail.length > 60) tail.splice(0, tail.length - 60);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (opts.captureStdout) captured += text;
    remember(text);
    if (opts.onStdoutLine) {
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) opts.onStdoutLine(line);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => remember(chunk.toString('utf8')));
  child.on('error', (err) => remember(`spawn error: ${err.message}`));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => { liveChildren.delete(child); resolve({ code, signal }); });
  });
  const isRunning = () => child.exitCode === null && child.signalCode === null;
  const pid = child.pid;
  let unregister = () => {};
  let stopping: Promise<void> | undefined;
  const stop = ({ signal = 'SIGTERM' as NodeJS.Signals, graceMs = 10_000 } = {}) => stopping ??= (async () => {
    unregister();
    if (!isRunning()) return;
    try { child.kill(signal); } catch { /* already gone */ }
    const done = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      killGroup(child, 'SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
  })();
  unregister = onCleanup(`${name} (pid ${pid})`, () => stop());
  return {
    child, pid, name, exited, isRunning, stop,
    output: () => tail.join('\n'),
    stdout: () => captured,
  };
}

/** Runs a command to completion (as a managed process, so Ctrl-C still cleans it up). */
export async function runToCompletion(name: string, command: string, args: string[], opts: SpawnOptions = {}): Promise<{ code: number | null; stdout: string; output: string }> {
  const p = startProcess(name, command, args, { ...opts, captureStdout: true });
  p.child.stdin?.end();
  const { code } = await p.exited;
  await p.stop();
  return { code, stdout: p.stdout(), output: p.output() };
}

// ---------------------------------------------------------------------------------------------------
// Loopback only

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', '[::1]', 'localhost']);

/** Every URL the bench sends load to goes through this: the bench never targets another machine. */
export function assertLoopback(url: string): string {
  const host = new URL(url).hostname;
  if (!LOOPBACK_HOSTS.has(host)) throw new Error(`refusing to send load to ${url}: the bench only targets loopback`);
  return url;
}

// ---------------------------------------------------------------------------------------------------
// /proc: process trees, memory and CPU time (Linux)

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** Executable name as the kernel knows it (/proc/<pid>/comm). */
  comm: string;
  cmdline: string;
  /** Resident set size from /proc/<pid>/status (VmRSS), in KiB. */
  rssKiB: number;
  /** Proportional set size from /proc/<pid>/smaps_rollup (shared pages split between sharers), in KiB. */
  pssKiB: number | undefined;
  /** Start time in clock ticks since boot: with pid, identifies a process across pid reuse. */
  startTime: number;
  /** User + system CPU time, in clock ticks. */
  cpuTicks: number;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces: parse the fields after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // fields[0] is field 3 (state) of proc(5).
    const ppid = Number(fields[1]);
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    const startTime = Number(fields[19]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    let pssKiB: number | undefined;
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const pss = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
      if (pss) pssKiB = Number(pss[1]);
    } catch { /* not readable (other user, old kernel) */ }
    let cmdline = '';
    try { cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
    return { pid, ppid, comm, cmdline, rssKiB: rss ? Number(rss[1]) : 0, pssKiB, startTime, cpuTicks };
  } catch {
    return undefined;
  }
}

/** The process and all its descendants, found through the parent ids in /proc. */
export function processTree(rootPid: number): ProcInfo[] {
  const all = new Map<number, ProcInfo>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) all.set(info.pid, info);
  }
  const root = all.get(rootPid);
  if (!root) return [];
  const children = new Map<number, ProcInfo[]>();
  for (const p of all.values()) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const out: ProcInfo[] = [];
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

export function isNodeProcess(p: ProcInfo): boolean {
  return p.comm === 'node' || p.comm === 'MainThread' || /(^|\/)node(\s|$)/.test(p.cmdline.split(' ')[0] ?? '');
}

export function isPostgresProcess(p: ProcInfo): boolean {
  return p.comm === 'postgres' || p.comm.startsWith('postgres') || p.cmdline.startsWith('postgres');
}

/** Kills the processes of an earlier snapshot that are still alive (same pid and start time): no guessing by name. */
export async function killSurvivors(snapshot: ProcInfo[], log: (msg: string) => void): Promise<void> {
  const alive = () => snapshot.filter((p) => readProc(p.pid)?.startTime === p.startTime);
  let left = alive();
  if (!left.length) return;
  log(`stopping ${left.length} leftover process(es): ${left.map((p) => `${p.comm}[${p.pid}]`).join(' ')}`);
  for (const p of left) { try { process.kill(p.pid, 'SIGINT'); } catch { /* gone */ } }
  for (let i = 0; i < 50 && (left = alive()).length; i++) await sleep(200);
  for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
}

let clockTicks: number | undefined;
/** Clock ticks per second for /proc CPU times (USER_HZ; 100 on every mainstream Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try { clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100; } catch { clockTicks = 100; }
  }
  return clockTicks;
}

export function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}
