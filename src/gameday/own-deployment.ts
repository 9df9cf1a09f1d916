// The shop a game day starts when it is given none: `holdfast start --autoscale` (every role a supervised
// process, scaled by the control role's autoscaler) or, with autoscaling off, `holdfast start` (every role
// in one process), with its own data dir (and so its own embedded PostgreSQL), free ports and admin token.
// Its process group is its own, so a Ctrl-C at the terminal reaches the game day only, which stops it
// in order (SIGTERM: the supervisor drains the roles). It is started through a guardian process
// (deployment-guardian.ts) that stops it and removes its data dir when the game day is gone, even killed
// outright (SIGKILL, when no exit handler of the game day runs).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePortsBelowEphemeral } from '../platform/process/free-port.ts';
import type { GuardianMessage, GuardianOrders } from './deployment-guardian.ts';

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
  /** The simulator accounts' secret keys the deployment was given (primary, secondary): its ledgers' keys. */
  pspKeys: string[];
  dataDir: string;
  pids(): number[];
  /** The deployment's last lines of output (for a failure's report). */
  output(): string;
  /** Stops the shop and removes its data dir; `keepLogAt` writes its last output there first. */
  stop(opts?: { keepLogAt?: string }): Promise<void>;
}

/** The supervisor's payments replicas listen on PORT+2+n (src/autoscaler/run-supervisor.ts): room for eight. */
const SUPERVISED_PORTS = 11;
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 60_000;
const OUTPUT_KEPT = 64 * 1024;
const GUARDIAN = path.join(import.meta.dirname, 'deployment-guardian.ts');

/** Variables of the caller's environment that would point the deployment at another shop or database. */
const NOT_INHERITED = /^(HOLDFAST_|DATABASE_URL$|PORT$|HOST$|OTEL_)/;

/** Waits ms, or less when the signal aborts. */
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

/** The error a start-up stopped by the caller's signal (Ctrl-C) fails with. */
export class DeploymentStartAborted extends Error {}

async function ready(url: string, until: number, child: ChildProcess, signal: AbortSignal): Promise<void> {
  while (Date.now() < until) {
    if (signal.aborted) throw new DeploymentStartAborted('interrupted while the shop was starting');
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the deployment exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.any([AbortSignal.timeout(2000), signal]) });
      if (res.ok) return;
    } catch { /* not listening yet, or aborted (checked above) */ }
    await sleep(500, signal);
  }
  throw new Error(`${url}/readyz not ready after ${READY_TIMEOUT_MS / 1000} s`);
}

/**
 * Starts the shop (through the guardian, deployment-guardian.ts) and waits until its storefront and
 * control role are ready. `signal` (Ctrl-C) stops a start-up at once: what was started is stopped and the
 * promise rejects with DeploymentStartAborted.
 */
export async function startOwnDeployment(opts: {
  cliPath: string; autoscale: boolean; env: Record<string, string>; log: (line: string) => void; signal: AbortSignal;
  /** Where the deployment's output is written when the start-up fails or is interrupted. */
  keepLogAtOnFailure?: string;
}): Promise<OwnDeployment> {
  if (opts.signal.aborted) throw new DeploymentStartAborted('interrupted before the shop was started');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-gameday-'));
  const base = await freePortsBelowEphemeral(SUPERVISED_PORTS + 3);
  const pspPort = base + SUPERVISED_PORTS;
  const pgPort = base + SUPERVISED_PORTS + 2;
  const adminToken = `gameday-${randomBytes(16).toString('hex')}`;
  // The simulator's keys are the deployment's own (the caller's HOLDFAST_* are not passed on), and the
  // ledger is read with these: a key of the caller's environment would be refused (401).
  const pspKeys = [`sk_test_gameday_primary_${randomBytes(8).toString('hex')}`, `sk_test_gameday_secondary_${randomBytes(8).toString('hex')}`];
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !NOT_INHERITED.test(k))) as Record<string, string>;
  const env: Record<string, string> = {
    ...inherited,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1', PORT: String(base), HOLDFAST_DATA_DIR: dataDir, HOLDFAST_ADMIN_TOKEN: adminToken,
    HOLDFAST_PSP_PORT: String(pspPort), HOLDFAST_PG_PORT: String(pgPort),
    HOLDFAST_PSP_PRIMARY_SECRET_KEY: pspKeys[0]!, HOLDFAST_PSP_SECONDARY_SECRET_KEY: pspKeys[1]!,
    // Every shopper of the load comes from this one address: the per-IP write limit would refuse them.
    HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '1000000',
    HOLDFAST_WAITING_ROOM: JSON.stringify({ mode: 'auto' }),
    ...opts.env,
  };
  // An experiment's deployment.env may set the keys itself: the ledger is read with the ones the shop has.
  pspKeys[0] = env.HOLDFAST_PSP_PRIMARY_SECRET_KEY!;
  pspKeys[1] = env.HOLDFAST_PSP_SECONDARY_SECRET_KEY!;
  const args = [opts.cliPath, 'start', ...(opts.autoscale ? ['--autoscale'] : [])];
  opts.log(`starting the shop: holdfast ${args.slice(1).join(' ')} (data dir ${dataDir}, port ${base})`);
  const orders: GuardianOrders = { args, dataDir, graceMs: STOP_GRACE_MS };
  const guardian = spawn(process.execPath, [GUARDIAN, JSON.stringify(orders)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], detached: true });
  let output = '';
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-OUTPUT_KEPT); };
  guardian.stdout!.on('data', keep);
  guardian.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => guardian.once('exit', () => resolve()));
  let shopPid: number | undefined;
  const shopStarted = new Promise<void>((resolve) => {
    guardian.on('message', (m: GuardianMessage) => { if (m.type === 'shop-started') { shopPid = m.pid; resolve(); } });
    void exited.then(() => resolve());
  });
  // The last resort, on any way out of this process that runs exit handlers (an error, a second Ctrl-C's
  // process.exit): kill the shop's group and the guardian, and remove the data dir (synchronously: nothing
  // asynchronous runs after 'exit'). A game day killed outright runs no handler: the guardian does it.
  const killAll = () => {
    for (const group of [shopPid, guardian.pid]) { try { if (group) process.kill(-group, 'SIGKILL'); } catch { /* gone */ } }
  };
  const onExit = () => {
    killAll();
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
  };
  process.on('exit', onExit);

  const urls: DeploymentUrls = {
    storefront: `http://127.0.0.1:${base}`,
    control: opts.autoscale ? `http://127.0.0.1:${base + 1}` : `http://127.0.0.1:${base}`,
    psp: [`http://127.0.0.1:${pspPort}`, `http://127.0.0.1:${pspPort + 1}`],
  };
  let stopping: Promise<void> | undefined;
  const stop = (stopOpts: { keepLogAt?: string } = {}) => {
    stopping ??= (async () => {
      if (guardian.exitCode === null && guardian.signalCode === null) {
        // The guardian stops the shop (SIGTERM: the supervisor drains the roles) within its grace period.
        guardian.kill('SIGTERM');
        const timer = setTimeout(killAll, STOP_GRACE_MS + 10_000);
        await exited;
        clearTimeout(timer);
      }
      killAll();
      process.off('exit', onExit);
      if (stopOpts.keepLogAt) await writeFile(stopOpts.keepLogAt, output).catch(() => {});
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 }).catch(() => {});
    })();
    return stopping;
  };
  const failed = async (err: Error): Promise<never> => {
    const keepLogAt = opts.keepLogAtOnFailure;
    await stop(keepLogAt ? { keepLogAt } : {});
    const kept = keepLogAt ? ` (the shop's output: ${keepLogAt})` : '';
    if (err instanceof DeploymentStartAborted) throw new DeploymentStartAborted(`${err.message}${kept}`);
    throw new Error(`${err.message}${kept}\n${output.split('\n').slice(-30).join('\n')}`);
  };
  await shopStarted;
  if (shopPid === undefined) return failed(new Error('the deployment could not be started'));
  opts.log(`the shop's process group: ${shopPid}`);
  try {
    const until = Date.now() + READY_TIMEOUT_MS;
    await ready(urls.storefront, until, guardian, opts.signal);
    await ready(urls.control, until, guardian, opts.signal);
  } catch (err) {
    return failed(err as Error);
  }
  return {
    urls, adminToken, pspKeys, dataDir,
    pids: () => (shopPid ? [shopPid] : []),
    output: () => output,
    stop,
  };
}
