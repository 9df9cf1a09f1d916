// `holdfast start --autoscale`: the scaling policy read and checked, the supervisor started with each
// role's minimum replicas, SIGTERM/SIGINT drained in the roles' stop order. Ports: the storefront
// replicas share PORT (SO_REUSEPORT), the control role listens on PORT+1, payments replica n on PORT+2+n.
import { availableParallelism } from 'node:os';
import type { Logger } from '../platform/observability/logger.ts';
import { ConfigError } from '../platform/config/config.ts';
import { Supervisor } from './supervisor.ts';
import {
  SCALED_ROLES, defaultScalingPolicy, loadScalingPolicy, localMaxReplicas, type ConnectionPools, type ScaledRole,
} from './scaling-policy.ts';

export interface SupervisorRunOptions {
  cliPath: string;
  host: string;
  port: number;
  /** The simulator's primary account (0: none): the control role scrapes its /metrics for the network verdict. */
  pspPort?: number;
  shutdownGraceMs: number;
  scalingPolicyFile: string | undefined;
  pools: ConnectionPools;
  logger: Logger;
}

/** The ports of the roles' replicas under the supervisor (PORT must be fixed: the storefront replicas share it). */
export function supervisedPort(base: number, role: ScaledRole, slot: number): number | undefined {
  if (role === 'storefront') return base;
  if (role === 'control') return base + 1;
  if (role === 'payments') return base + 2 + slot;
  return undefined; // the simulator listens on its own ports (HOLDFAST_PSP_PORT) and has no main port
}

/**
 * What the control role scrapes under the supervisor: the shared storefront port (one replica per scrape),
 * payments replica 0 (always running), and the simulator, whose served time set against the time payments
 * measured is the network's share of a provider call (without it the root-cause finding cannot rule the
 * network in or out).
 */
export function supervisedScrapeTargets(origin: (port: number) => string, port: number, pspPort: number | undefined): string[] {
  const ports = [port, supervisedPort(port, 'payments', 0)!, ...(pspPort ? [pspPort] : [])];
  return ports.map((p) => `${origin(p)}/metrics`);
}

export async function runSupervisor(opts: SupervisorRunOptions): Promise<Supervisor> {
  if (opts.port === 0) throw new ConfigError(['port (PORT): holdfast start --autoscale needs a fixed port (the storefront replicas share it), not 0']);
  const policy = opts.scalingPolicyFile ? loadScalingPolicy(opts.scalingPolicyFile, { pools: opts.pools }) : defaultScalingPolicy();
  const cpus = availableParallelism();
  // The simulator's accounts and the control role listen on fixed ports: one replica each, whatever the policy says.
  const single = (role: ScaledRole) => role === 'psp' || role === 'control';
  const initialReplicas = Object.fromEntries(SCALED_ROLES.map((r) => [r, single(r) ? 1 : policy.roles[r].minReplicas])) as Record<ScaledRole, number>;
  const maxReplicas = Object.fromEntries(SCALED_ROLES.map((r) => [r, single(r) ? 1 : localMaxReplicas(policy.roles[r], cpus)])) as Record<ScaledRole, number>;
  const origin = (port: number) => `http://${opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host}:${port}`;
  const supervisor = new Supervisor({
    cliPath: opts.cliPath, initialReplicas, maxReplicas, env: process.env, stopGraceMs: opts.shutdownGraceMs + 5000, logger: opts.logger,
    roleEnv: (role, slot) => {
      const env: Record<string, string> = {};
      const port = supervisedPort(opts.port, role, slot);
      if (port !== undefined) env.PORT = String(port);
      if (role === 'storefront') env.HOLDFAST_REUSE_PORT = 'true';
      // One replica seeds the demo catalog on a fresh database; the others need not race it.
      if (role === 'storefront' && slot > 0) env.HOLDFAST_SEED_ON_START = 'false';
      if (role === 'control' && !process.env.HOLDFAST_CONTROL_SCRAPE_TARGETS) {
        env.HOLDFAST_CONTROL_SCRAPE_TARGETS = supervisedScrapeTargets(origin, opts.port, opts.pspPort).join(',');
      }
      return env;
    },
  });
  opts.logger.info({ initialReplicas, maxReplicas, cpus, policy: opts.scalingPolicyFile ?? 'built-in' }, 'supervisor starting the roles');
  let stopping: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      opts.logger.info({ signal }, 'supervisor stopping every role');
      stopping = supervisor.stop().then(() => { opts.logger.info('every role stopped'); opts.logger.flush(); process.exit(0); });
    });
  }
  await supervisor.start();
  return supervisor;
}
