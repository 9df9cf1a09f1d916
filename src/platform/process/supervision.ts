// The messages between `holdfast start --autoscale` (the supervisor, a parent process that runs no module)
// and the role processes it forks, over Node's IPC channel (child_process.fork). A child reports that it
// is ready and, every second, its load (event-loop utilisation, CPU, requests in flight and per second); the supervisor tells the control
// role which replicas run and which exited; the control role's autoscaler tells the supervisor how many
// replicas each role should run. No port, no token: the channel exists only between parent and child.
import { performance } from 'node:perf_hooks';
import { httpRequestsInFlight, httpRequestsReceived } from '../observability/metrics.ts';

/** Env var the supervisor sets on each child: the replica's name (`payments-2`). */
export const SUPERVISED_REPLICA_ENV = 'HOLDFAST_SUPERVISED_REPLICA';

/** One second's load of a replica, measured in the replica itself. */
export interface ReplicaLoad {
  /** Event-loop utilisation over the last interval, 0..1. */
  eventLoopUtilization: number;
  /** CPU cores used over the last interval (user + system time / wall time). */
  cpuCores: number;
  /** HTTP requests being served at the moment of the report. */
  requestsInFlight: number;
  /** HTTP requests received per second over the last interval. */
  requestsPerSecond: number;
  atMs: number;
  windowMs: number;
}

/** A replica as the supervisor knows it. */
export interface SupervisedReplica {
  role: string;
  replica: string;
  pid: number | undefined;
  startedAtMs: number;
  /** Since when it has reported ready (undefined: starting). */
  readySinceMs: number | undefined;
  /** Being stopped (scaled down or the supervisor is stopping). */
  stopping: boolean;
  load: ReplicaLoad | undefined;
}

export type ChildToSupervisor =
  | { type: 'holdfast:ready' }
  | { type: 'holdfast:load'; load: ReplicaLoad }
  /** From the control role's autoscaler: the replicas each role should run. */
  | { type: 'holdfast:desired-replicas'; replicas: Record<string, number> };

export type SupervisorToChild =
  /** To the control role, every second: the replicas running and what each role is asked to run. */
  | { type: 'holdfast:replicas'; replicas: SupervisedReplica[]; requested: Record<string, number>; restarts: Record<string, number> }
  /** To the control role: a replica exited unasked and is restarted after `restartInMs`. */
  | { type: 'holdfast:replica-exited'; role: string; replica: string; pid: number | undefined; code: number | null; signal: string | null; restartInMs: number; restarts: number; atMs: number }
  /** To the control role: a replacement was started. */
  | { type: 'holdfast:replica-restarted'; role: string; replica: string; pid: number | undefined; restarts: number; atMs: number };

/** Whether this process was forked by the supervisor (it has an IPC channel and a replica name). */
export function isSupervised(): boolean {
  return typeof process.send === 'function' && process.connected && Boolean(process.env[SUPERVISED_REPLICA_ENV]);
}

/** Sends a message to the supervisor; false when there is none (or the channel closed). */
export function sendToSupervisor(message: ChildToSupervisor): boolean {
  if (!isSupervised()) return false;
  try {
    return process.send!(message);
  } catch {
    return false; // the supervisor is gone; this process is being stopped anyway
  }
}

/**
 * In a supervised child: reports ready, then the load every `intervalMs`. The timer does not keep the
 * process alive; the returned function stops it.
 */
export function reportToSupervisor(intervalMs = 1000): () => void {
  if (!isSupervised()) return () => {};
  sendToSupervisor({ type: 'holdfast:ready' });
  let elu = performance.eventLoopUtilization();
  let cpu = process.cpuUsage();
  let at = Date.now();
  let received = httpRequestsReceived.count;
  const timer = setInterval(() => {
    const now = Date.now();
    const nextElu = performance.eventLoopUtilization();
    const nextCpu = process.cpuUsage();
    const windowMs = Math.max(1, now - at);
    const cpuMicros = (nextCpu.user - cpu.user) + (nextCpu.system - cpu.system);
    sendToSupervisor({
      type: 'holdfast:load',
      load: {
        eventLoopUtilization: performance.eventLoopUtilization(nextElu, elu).utilization, cpuCores: cpuMicros / (windowMs * 1000), requestsInFlight: httpRequestsInFlight.count,
        requestsPerSecond: (httpRequestsReceived.count - received) / (windowMs / 1000), atMs: now, windowMs,
      },
    });
    elu = nextElu; cpu = nextCpu; at = now; received = httpRequestsReceived.count;
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** In a supervised child: calls `listener` with each message from the supervisor; returns the unsubscribe. */
export function onSupervisorMessage(listener: (message: SupervisorToChild) => void): () => void {
  if (!isSupervised()) return () => {};
  const handler = (m: unknown) => {
    if (m && typeof m === 'object' && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('holdfast:')) {
      listener(m as SupervisorToChild);
    }
  };
  process.on('message', handler);
  return () => { process.off('message', handler); };
}
