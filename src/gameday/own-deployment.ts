// The shop a game day starts when it is given none: `holdfast start --autoscale` (every role a supervised
// process, scaled by the control role's autoscaler) or, with autoscaling off, `holdfast start` (every role
// in one process), with its own data dir (and so its own embedded PostgreSQL), free ports and admin token.
// Its process group is its own, so a Ctrl-C at the terminal reaches the game day only, which stops it
// in order (SIGTERM: the supervisor drains the roles); a game day killed outright takes it down too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { portFree } from '../platform/process/free-port.ts';

export interface DeploymentUrls {
  /** The storefront: shopper API, admin API (faults, orders), the waiting room's ops route. */
  storefront: string;
  /** The control role: alerts, root-cause findings, scaling, incidents. */
  control: string;
  /** The provider simulator's accounts (primary, secondary). */
  psp: string[];
}

export interface OwnDeployment {
  urls: DeploymentUrls;
  adminToken: string;
  dataDir: string;
  pids(): number[];
  /** The deployment's last lines of output (for a failure's report). */
  output(): string;
  stop(): Promise<void>;
}

/** The supervisor's payments replicas listen on PORT+2+n (src/autoscaler/run-supervisor.ts): room for eight. */
const SUPERVISED_PORTS = 11;
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 60_000;
const OUTPUT_KEPT = 64 * 1024;

/** Variables of the caller's environment that would point the deployment at another shop or database. */
const NOT_INHERITED = /^(HOLDFAST_|DATABASE_URL$|PORT$|HOST$|OTEL_)/;

/**
 * n consecutive free ports below Linux's ephemeral range (32768 and up): a port in that range can be taken
 * by an outgoing connection before the payments replica that is to listen on it starts (docs/scaling.md).
 */
async function freePortsBelowEphemeral(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * (12_000 - n));
    let free = true;
    for (let i = 0; i < n && free; i++) free = await portFree(first + i);
    if (free) return first;
  }
  throw new Error(`no ${n} consecutive free ports between 20000 and 32000`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ready(url: string, until: number, child: ChildProcess): Promise<void> {
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the deployment exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch { /* not listening yet */ }
    await sleep(500);
  }
  throw new Error(`${url}/readyz not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

export async function startOwnDeployment(opts: {
  cliPath: string; autoscale: boolean; env: Record<string, string>; log: (line: string) => void;
}): Promise<OwnDeployment> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-gameday-'));
  const base = await freePortsBelowEphemeral(SUPERVISED_PORTS + 3);
  const pspPort = base + SUPERVISED_PORTS;
  const pgPort = base + SUPERVISED_PORTS + 2;
  const adminToken = `gameday-${randomBytes(16).toString('hex')}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !NOT_INHERITED.test(k))) as Record<string, string>;
  const env: Record<string, string> = {
    ...inherited,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1', PORT: String(base), HOLDFAST_DATA_DIR: dataDir, HOLDFAST_ADMIN_TOKEN: adminToken,
    HOLDFAST_PSP_PORT: String(pspPort), HOLDFAST_PG_PORT: String(pgPort),
    // Every shopper of the load comes from this one address: the per-IP write limit would refuse them.
    HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    HOLDFAST_WAITING_ROOM: JSON.stringify({ mode: 'auto' }),
    ...opts.env,
  };
  const args = [opts.cliPath, 'start', ...(opts.autoscale ? ['--autoscale'] : [])];
  opts.log(`starting the shop: holdfast ${args.slice(1).join(' ')} (data dir ${dataDir}, port ${base})`);
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  opts.log(`the shop's process group: ${child.pid}`);
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_KEPT); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The last resort: a game day that exits (or is killed by an error) takes the whole group with it.
  const killGroup = () => { try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killGroup);

  const urls: DeploymentUrls = {
    storefront: `http://127.0.0.1:${base}`,
    control: opts.autoscale ? `http://127.0.0.1:${base + 1}` : `http://127.0.0.1:${base}`,
    psp: [`http://127.0.0.1:${pspPort}`, `http://127.0.0.1:${pspPort + 1}`],
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(killGroup, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // Anything of the group still running (a replica whose parent died first, the embedded server).
      killGroup();
      process.off('exit', killGroup);
      await writeFile(path.join(dataDir, 'deployment.log'), output).catch(() => {});
      await rm(dataDir, { recursive: true, force: true }).catch(() => {});
    })();
    return stopping;
  };
  try {
    const until = Date.now() + READY_TIMEOUT_MS;
    await ready(urls.storefront, until, child);
    await ready(urls.control, until, child);
  } catch (err) {
    const tail = output.split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  return {
    urls, adminToken, dataDir,
    pids: () => (child.pid ? [child.pid] : []),
    output: () => output,
    stop,
  };
}
