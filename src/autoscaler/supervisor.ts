// `holdfast start --autoscale`: a parent process that runs no module itself and forks each role as child
// processes (`holdfast start --target <role>`): storefront replicas sharing the main port (SO_REUSEPORT),
// payments replicas, the simulator, the control role. It restarts a child that exits unasked (with
// backoff), tells the control role about it, applies the replicas the control role's autoscaler asks for,
// and on SIGTERM stops the roles one after the other, each draining as it does on its own. See
// docs/scaling.md.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../platform/observability/logger.ts';
import {
  SUPERVISED_REPLICA_ENV, type ChildToSupervisor, type SupervisedReplica, type SupervisorToChild,
} from '../platform/process/supervision.ts';
import type { ScaledRole } from './scaling-policy.ts';

/** The order roles start in: the control role first (it starts or reuses the embedded PostgreSQL and migrates), then the rest. */
export const START_ORDER: readonly ScaledRole[] = ['control', 'psp', 'payments', 'storefront'];
/** The order they stop in: shoppers' traffic first, the control role (which records the others stopping) last. */
export const STOP_ORDER: readonly ScaledRole[] = ['storefront', 'payments', 'psp', 'control'];

export interface RestartBackoff { initialMs: number; maxMs: number; /** A child that ran this long resets the backoff. */ resetAfterMs: number }
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 200, maxMs: 10_000, resetAfterMs: 30_000 };

/** The delay before the n-th consecutive restart (n from 1): initial doubled each time, at most max. */
export function restartDelayMs(consecutive: number, backoff: RestartBackoff): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, consecutive - 1));
}

export interface SupervisorOptions {
  /** The `holdfast` program (src/cli.ts). */
  cliPath: string;
  /** The replicas each role starts with (the policy's minimum). */
  initialReplicas: Record<ScaledRole, number>;
  /** The most replicas the supervisor runs of each role on this machine, whatever is asked. */
  maxReplicas: Record<ScaledRole, number>;
  /** The environment of every child (the supervisor's own, usually). */
  env: NodeJS.ProcessEnv;
  /** The environment a role's replica gets on top (its port): `slot` numbers the role's replicas from 0. */
  roleEnv: (role: ScaledRole, slot: number) => Record<string, string>;
  /** How long a stopping child may drain before it is killed. */
  stopGraceMs: number;
  backoff?: RestartBackoff;
  logger: Logger;
}

interface Slot {
  role: ScaledRole;
  slot: number;
  child: ChildProcess | undefined;
  state: SupervisedReplica;
  /** Restarts in a row (reset once a child runs for backoff.resetAfterMs). */
  consecutive: number;
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

export class Supervisor {
  readonly #opts: SupervisorOptions;
  readonly #backoff: RestartBackoff;
  readonly #log: Logger;
  readonly #slots = new Map<string, Slot>();
  readonly #requested: Record<ScaledRole, number>;
  readonly #restarts: Record<string, number> = { storefront: 0, payments: 0, psp: 0, control: 0 };
  /** Messages for the control role while it is not running (it was restarted): sent once it is ready. */
  readonly #pendingForControl: SupervisorToChild[] = [];
  #stopping = false;
  #reportTimer: NodeJS.Timeout | undefined;

  constructor(opts: SupervisorOptions) {
    this.#opts = opts;
    this.#backoff = opts.backoff ?? DEFAULT_RESTART_BACKOFF;
    this.#log = opts.logger;
    this.#requested = { ...opts.initialReplicas };
  }

  /** Starts the roles in START_ORDER, waiting for the control role to be ready before the others. */
  async start(): Promise<void> {
    for (const role of START_ORDER) {
      const started = this.#reconcile(role);
      // The control role starts (or reuses) the embedded PostgreSQL and applies the migrations: the
      // other roles would otherwise race it for both.
      if (role === 'control') await Promise.race(started.map((s) => this.#whenReady(s)));
    }
    this.#reportTimer = setInterval(() => this.#sendToControl(this.#replicasMessage()), 1000);
  }

  /** The replicas each role runs or starts now. */
  replicas(): SupervisedReplica[] {
    return [...this.#slots.values()].map((s) => ({ ...s.state }));
  }

  /** Replicas restarted since start, by role. */
  restarts(): Record<string, number> {
    return { ...this.#restarts };
  }

  /** Asks for `n` replicas of a role (bounded by 1 and the role's local maximum), starting or stopping children. */
  setReplicas(role: ScaledRole, n: number): void {
    if (this.#stopping) return;
    const bounded = Math.max(1, Math.min(this.#opts.maxReplicas[role], Math.floor(n)));
    if (bounded === this.#requested[role]) return;
    this.#log.info({ role, from: this.#requested[role], to: bounded, asked: n }, 'scaling role');
    this.#requested[role] = bounded;
    this.#reconcile(role);
  }

  /** Stops every role in STOP_ORDER, each replica draining (SIGTERM), killed after stopGraceMs. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    for (const role of STOP_ORDER) {
      const slots = [...this.#slots.values()].filter((s) => s.role === role);
      await Promise.all(slots.map((s) => this.#stopSlot(s)));
    }
  }

  #key = (role: ScaledRole, slot: number) => `${role}-${slot}`;

  #reconcile(role: ScaledRole): Slot[] {
    const want = this.#requested[role];
    const started: Slot[] = [];
    for (let i = 0; i < want; i++) {
      const key = this.#key(role, i);
      const existing = this.#slots.get(key);
      if (!existing || existing.state.stopping) {
        // A slot still draining from a scale-down is replaced once it has exited.
        if (existing) { void existing.exited.then(() => { if (this.#requested[role] > i && !this.#stopping) this.#reconcile(role); }); continue; }
        started.push(this.#spawn(role, i, 0));
      }
    }
    for (const s of this.#slots.values()) {
      if (s.role === role && s.slot >= want && !s.state.stopping) void this.#stopSlot(s);
    }
    return started;
  }

  #spawn(role: ScaledRole, slot: number, consecutive: number): Slot {
    const key = this.#key(role, slot);
    const child = fork(this.#opts.cliPath, ['start', '--target', role], {
      env: { ...this.#opts.env, ...this.#opts.roleEnv(role, slot), [SUPERVISED_REPLICA_ENV]: key },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv,
    });
    let resolveExit!: () => void;
    const exited = new Promise<void>((r) => { resolveExit = r; });
    const s: Slot = {
      role, slot, child, consecutive, restartTimer: undefined, exited,
      state: { role, replica: key, pid: child.pid, startedAtMs: Date.now(), readySinceMs: undefined, stopping: false, load: undefined },
    };
    this.#slots.set(key, s);
    child.on('message', (m: ChildToSupervisor) => this.#onMessage(s, m));
    child.on('error', (err) => this.#log.error({ err, replica: key }, 'could not run a replica'));
    child.once('exit', (code, signal) => {
      resolveExit();
      this.#onExit(s, code, signal);
    });
    this.#log.info({ replica: key, pid: child.pid }, 'replica started');
    return s;
  }

  #whenReady(s: Slot): Promise<void> {
    return new Promise((resolve) => {
      if (s.state.readySinceMs !== undefined) return resolve();
      const onMessage = (m: ChildToSupervisor) => { if (m?.type === 'holdfast:ready') done(); };
      const done = () => { s.child?.off('message', onMessage); resolve(); };
      s.child?.on('message', onMessage);
      // A control role that exits before it is ready is restarted; the others start anyway then.
      void s.exited.then(done);
    });
  }

  #onMessage(s: Slot, m: ChildToSupervisor): void {
    if (!m || typeof m !== 'object') return;
    if (m.type === 'holdfast:ready') {
      s.state.readySinceMs = Date.now();
      if (s.role === 'control') this.#flushToControl();
    } else if (m.type === 'holdfast:load') {
      s.state.load = m.load;
    } else if (m.type === 'holdfast:desired-replicas' && s.role === 'control') {
      for (const [role, n] of Object.entries(m.replicas)) {
        if (role in this.#requested && Number.isFinite(n)) this.setReplicas(role as ScaledRole, n);
      }
    }
  }

  #onExit(s: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    const key = s.state.replica;
    s.child = undefined;
    if (this.#slots.get(key) === s) this.#slots.delete(key);
    if (s.state.stopping || this.#stopping) {
      this.#log.info({ replica: key, code, signal }, 'replica stopped');
      return;
    }
    const ranLong = Date.now() - s.state.startedAtMs >= this.#backoff.resetAfterMs;
    const consecutive = ranLong ? 1 : s.consecutive + 1;
    const delay = restartDelayMs(consecutive, this.#backoff);
    this.#restarts[s.role] = (this.#restarts[s.role] ?? 0) + 1;
    this.#log.warn({ replica: key, pid: s.state.pid, code, signal, restartInMs: delay, restarts: this.#restarts[s.role] }, 'replica exited unasked; restarting it');
    this.#sendToControl({
      type: 'holdfast:replica-exited', role: s.role, replica: key, pid: s.state.pid, code, signal,
      restartInMs: delay, restarts: this.#restarts[s.role]!, atMs: Date.now(),
    });
    // Holds the slot (not running) so a scale-down or stop meanwhile cancels the restart.
    const placeholder: Slot = { ...s, child: undefined, consecutive, state: { ...s.state, pid: undefined, readySinceMs: undefined, load: undefined }, exited: Promise.resolve() };
    this.#slots.set(key, placeholder);
    placeholder.restartTimer = setTimeout(() => {
      if (this.#slots.get(key) !== placeholder || placeholder.state.stopping || this.#stopping) return;
      if (s.slot >= this.#requested[s.role]) { this.#slots.delete(key); return; }
      const next = this.#spawn(s.role, s.slot, consecutive);
      this.#sendToControl({ type: 'holdfast:replica-restarted', role: s.role, replica: key, pid: next.state.pid, restarts: this.#restarts[s.role]!, atMs: Date.now() });
    }, delay);
  }

  async #stopSlot(s: Slot): Promise<void> {
    s.state.stopping = true;
    if (s.restartTimer) clearTimeout(s.restartTimer);
    const child = s.child;
    if (!child) { if (this.#slots.get(s.state.replica) === s) this.#slots.delete(s.state.replica); return; }
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      this.#log.error({ replica: s.state.replica, pid: child.pid }, 'replica did not stop within its grace period; killing it');
      child.kill('SIGKILL');
    }, this.#opts.stopGraceMs);
    await s.exited;
    clearTimeout(kill);
  }

  #replicasMessage(): SupervisorToChild {
    return { type: 'holdfast:replicas', replicas: this.replicas(), requested: { ...this.#requested }, restarts: this.restarts() };
  }

  #control(): ChildProcess | undefined {
    for (const s of this.#slots.values()) {
      if (s.role === 'control' && s.child?.connected && s.state.readySinceMs !== undefined) return s.child;
    }
    return undefined;
  }

  #sendToControl(m: SupervisorToChild): void {
    const control = this.#control();
    if (!control) {
      if (m.type !== 'holdfast:replicas') this.#pendingForControl.push(m);
      return;
    }
    control.send(m, (err) => { if (err && m.type !== 'holdfast:replicas') this.#pendingForControl.push(m); });
  }

  #flushToControl(): void {
    const pending = this.#pendingForControl.splice(0);
    for (const m of pending) this.#sendToControl(m);
    this.#sendToControl(this.#replicasMessage());
  }
}
