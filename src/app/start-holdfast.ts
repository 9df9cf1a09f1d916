// Starting and stopping the modules of some targets in this process: what `holdfast start` (and the
// one-shot `holdfast db`, and tests) run. The composition root's other half: holdfast-modules.ts says
// what exists, this says how a process runs it.
import { ModuleManager, ProcessLifecycle, type ModuleOptions } from '../platform/modules/module-manager.ts';
import type { Logger } from '../platform/observability/logger.ts';
import { MODULES, TARGETS, rootOptions } from './holdfast-modules.ts';
import type { Config } from './holdfast-config.ts';

export function holdfastModuleManager(): ModuleManager<Config> {
  return new ModuleManager<Config>(MODULES, TARGETS);
}

export interface RunningHoldfast {
  manager: ModuleManager<Config>;
  lifecycle: ProcessLifecycle;
  /** The modules started, dependencies first. */
  modules: string[];
  /** Drains (readiness 503, connections closed as requests finish) and stops every module in reverse. */
  stop(): Promise<void>;
}

export interface StartOptions {
  targets: readonly string[];
  config: Config;
  logger: Logger;
  /** The `service` label of this process's metrics and the OpenTelemetry service name. */
  serviceName: string;
  /** A serving process waits for a database that is not reachable yet; a one-shot command fails at once. */
  waitForDatabase: boolean;
  /** More options for modules (tests: an in-memory span exporter). */
  options?: readonly ModuleOptions[];
  manager?: ModuleManager<Config>;
  lifecycle?: ProcessLifecycle;
}

export async function startHoldfast(opts: StartOptions): Promise<RunningHoldfast> {
  const manager = opts.manager ?? holdfastModuleManager();
  const lifecycle = opts.lifecycle ?? new ProcessLifecycle();
  const modules = await manager.start(opts.targets, opts.config, {
    logger: opts.logger, serviceName: opts.serviceName, waitForDatabase: opts.waitForDatabase, lifecycle,
  }, [...rootOptions(opts.config), ...(opts.options ?? [])]);
  lifecycle.markReady();
  let stopping: Promise<void> | undefined;
  return {
    manager, lifecycle, modules,
    stop: () => {
      stopping ??= (async () => {
        lifecycle.markDraining();
        await manager.stop();
      })();
      return stopping;
    },
  };
}
