// Holdfast as it runs in production: one `holdfast start --target <role>` process per role (storefront,
// payments, psp, control) on one test database, the control role scraping the others. A fault in one
// role then burns that role's CPU and event loop only, as it would on separate machines.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './test-db.ts';
import { freePort, freePortRange } from './free-port.ts';
import { REPO_ROOT, spawnHoldfast, type HoldfastProcess } from './child-processes.ts';

export interface RoleProcess {
  role: string;
  child: ChildProcess;
  url: string;
  output(): string;
}

export interface RoleDeployment {
  /** the storefront: shopper API and pages, admin API (faults) */
  url: string;
  /** the control role: /api/ops/alerts and /api/ops/rca */
  opsUrl: string;
  /** the simulator's primary account (the psp process has no main port) */
  pspUrl: string;
  adminToken: string;
  db: TestDatabase;
  processes: RoleProcess[];
  stop(): Promise<void>;
}

/** Starts `holdfast start --target <role>`; `started` gets the process at once, so a failure elsewhere can stop it. */
export function startRole(role: string, env: Record<string, string>, started: HoldfastProcess[] = []): Promise<RoleProcess> {
  const proc = spawnHoldfast(['start', '--target', role], env);
  started.push(proc);
  const { child } = proc;
  // a psp-only process has no main port (the simulator serves its own ports): its line ends after the colon
  const running = new RegExp(`Holdfast is running \\(${role}\\): (http://\\S+)?`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`--target ${role} not running after 45 s:\n${proc.output()}`)); }, 45_000);
    const onData = () => {
      const m = running.exec(proc.stdout());
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ role, child, url: (m[1] ?? '').replace('localhost', '127.0.0.1').replace(/\/$/, ''), output: proc.output });
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`--target ${role} exited with ${code}:\n${proc.output()}`)); });
  });
}

/** Two consecutive free ports (the simulator's primary and secondary accounts). */
export function freePortPair(): Promise<number> {
  return freePortRange(2);
}

/** SIGTERM (drain), then SIGKILL after 20 s; resolves once the process has exited. */
export async function stopRole(p: RoleProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * `env` goes to every role process. With `tracing`, every role records every trace and exports its
 * spans to the control role's OTLP receiver (so the control role's port is chosen up front). `database`
 * replaces the test database cloned from the shared server (a test that restarts its own server);
 * `paymentsProcesses` runs that many payments processes (default 1).
 */
export async function startRoleDeployment(env: Record<string, string> = {}, opts: { tracing?: boolean; database?: TestDatabase; paymentsProcesses?: number } = {}): Promise<RoleDeployment> {
  const db = opts.database ?? await createTestDatabase();
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  const pspPort = await freePortPair();
  let controlPort = 0;
  // not one of the simulator's two ports (the second was only probed, so the OS may hand it out again)
  while (opts.tracing && (controlPort === 0 || controlPort === pspPort || controlPort === pspPort + 1)) controlPort = await freePort();
  const tracing: Record<string, string> = opts.tracing
    ? { HOLDFAST_TRACING_ENABLED: 'true', HOLDFAST_TRACING_SAMPLE_RATIO: '1', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${controlPort}/v1/traces` }
    : {};
  const common = {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: adminToken, HOLDFAST_SEED_ON_START: 'false',
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `roles-${db.name}`), HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000',
    HOLDFAST_PSP_PORT: String(pspPort), ...tracing, ...env,
  };
  const processes: RoleProcess[] = [];
  // Every process spawned, ready or not: when one role fails to start, the others (starting or running)
  // are stopped too, so a failed setup leaves nothing behind.
  const started: HoldfastProcess[] = [];
  const stop = async () => {
    await Promise.all([...started].reverse().map((p) => p.stop()));
    await db.drop();
  };
  try {
    // the simulator first: payments finds its accounts on pspPort and pspPort + 1
    processes.push(await startRole('psp', common, started));
    const [storefront, ...payments] = await Promise.all([
      startRole('storefront', common, started),
      ...Array.from({ length: opts.paymentsProcesses ?? 1 }, () => startRole('payments', common, started)),
    ]);
    processes.push(storefront!, ...payments);
    const pspUrl = `http://127.0.0.1:${pspPort}`;
    const scrape = [`${storefront!.url}/metrics`, ...payments.map((p) => `${p.url}/metrics`), `${pspUrl}/metrics`];
    const control = await startRole('control', { ...common, PORT: String(controlPort), HOLDFAST_CONTROL_SCRAPE_TARGETS: scrape.join(',') }, started);
    processes.push(control);
    return { url: storefront!.url, opsUrl: control.url, pspUrl, adminToken, db, processes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
