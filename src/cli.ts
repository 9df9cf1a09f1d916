// The `holdfast` program: one binary, every role. `holdfast help` lists the commands.
import { parseArgs } from 'node:util';
import { ConfigError } from './platform/config/config.ts';
import { loadHoldfastConfig, type Config } from './app/holdfast-config.ts';
import type { RunningHoldfast } from './app/start-holdfast.ts';
// Every command imports what it needs when it runs: the roles' modules (Fastify, pg-boss, OpenTelemetry)
// take seconds to load, and `holdfast loadtest` or `holdfast rca` need none of them.

const HELP = `holdfast: a commerce platform that stays up on the busiest day of the year

Usage:
  holdfast start [--target <roles>]   run roles (default: all). Roles: storefront, payments, psp, control
  holdfast start --autoscale           run every role as supervised child processes, scaled by the
                                       control role's autoscaler (docs/scaling.md)
  holdfast start --list-targets        print the targets and the modules each one runs
  holdfast db migrate                  apply database migrations and exit
  holdfast db seed [--count N]         seed the demo catalog (skips products that exist) and exit
  holdfast db url                      print the database connection string (for psql: psql "$(holdfast db url)")
  holdfast faults list                 fault injection on a running shop
  holdfast faults get <name>           one fault's state and parameter schema
  holdfast faults set <name> '<json>'  switch a fault on: set psp.latency '{"latencyMs":2000}' [--ttl S]
  holdfast faults clear <name>         switch a fault off
  holdfast loadtest <scenario> [...]   load test a shop (holiday-surge, mixed, ...; --help for all options)
  holdfast loadtest capacity           find the highest sustainable rate and the first bottleneck
                                       (--record: into the shop's capacity history)
  holdfast readiness --peak <journeys/s> [--at <date>]
                                       judge a forecast peak against the recorded capacity (loadtest capacity
                                       --record) and the scaling policy: ready or not, and why
  holdfast gameday <experiment> [--duration 3m] [--target-url U] [--out scorecard.json] [--out report.html]
                                       replay the seed incident (holiday-surge: a surge to 5x while the
                                       payment provider degrades) and score it against the original (docs/gameday.md)
  holdfast rca analyze <case-dir | data.csv | dir of cases> [--inject-time T] [--json]
                                       rank root causes in recorded telemetry (wide CSV); a directory of
                                       cases prints AC@1/AC@3/Avg@5 against N-sigma and BARO (docs/rca.md)
  holdfast postmortem <incident> [--format md|html] [--out D]
                                       a postmortem draft of an incident from its record and the measured
                                       metrics (asks the control role: HOLDFAST_CONTROL_URL)
  holdfast export prometheus [--out D] write SLO recording/alerting rules, Alertmanager routing, prometheus.yml
  holdfast export grafana [--out D]    write Grafana dashboards (RED, SLOs, payment queue)
  holdfast export kubernetes [--out D] [--image I]
                                       write Deployments, Services, PDBs, HPAs, KEDA ScaledObjects,
                                       ServiceMonitor and PrometheusRule from the scaling policy
  holdfast help                        this text

Configuration comes from environment variables (see docs/configuration.md): PORT, HOLDFAST_DATA_DIR,
DATABASE_URL, HOLDFAST_ADMIN_TOKEN, LOG_LEVEL, ... The commands that talk to a running shop (faults,
loadtest) find it with the same configuration as start (HOST, PORT, the admin token in HOLDFAST_DATA_DIR),
or at HOLDFAST_URL.
`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function config(): Config {
  try {
    return loadHoldfastConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function runModules(targets: string[], opts: { serve: boolean }): Promise<{ config: Config; running: RunningHoldfast; stop: () => Promise<void> }> {
  const cfg = config();
  const [{ createLogger }, { initProcessMetrics }, { holdfastModuleManager, startHoldfast }, { installUnhandledErrorPolicy }, { ProcessLifecycle }, { isSupervised, reportToSupervisor }] = await Promise.all([
    import('./platform/observability/logger.ts'), import('./platform/observability/metrics.ts'), import('./app/start-holdfast.ts'),
    import('./platform/process/unhandled-errors.ts'), import('./platform/modules/module-manager.ts'), import('./platform/process/supervision.ts'),
  ]);
  const service = targets.join(',');
  const logger = createLogger({ level: cfg.logLevel, service });
  initProcessMetrics(service);
  const manager = holdfastModuleManager();
  try {
    manager.resolve(targets);
  } catch (err) {
    fail((err as Error).message);
  }
  const lifecycle = new ProcessLifecycle();
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      lifecycle.markDraining();
      await manager.stop();
    })();
    return stopping;
  };
  // Drains, then exits with the highest code asked for: a fatal error during a SIGTERM drain still exits 1.
  let exitCode = 0;
  let started = false;
  const drainAndExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (!started) { logger.flush(); process.exit(exitCode); } // a start that fails exits 1 anyway
    if (stopping) return;
    const force = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(exitCode || 1);
    }, cfg.shutdownGraceMs);
    force.unref();
    stop().then(
      () => { logger.info({ exitCode }, 'stopped cleanly'); logger.flush(); process.exit(exitCode); },
      (err) => { logger.error({ err }, 'error while stopping'); process.exit(1); },
    );
  };
  if (opts.serve) installUnhandledErrorPolicy({ logger, drainAndExit });
  const running = await startHoldfast({ targets, config: cfg, logger, serviceName: service, waitForDatabase: opts.serve, manager, lifecycle });
  started = true;
  if (opts.serve && isSupervised()) {
    reportToSupervisor();
    // The supervisor is gone (killed): a replica left without it drains and exits rather than linger.
    process.on('disconnect', () => {
      logger.warn('the supervisor went away; draining and exiting');
      drainAndExit(0);
    });
  }
  if (opts.serve) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        // Ctrl-C reaches the whole process group: a supervised replica leaves it to the supervisor, which
        // stops the roles one after the other (SIGTERM).
        if (signal === 'SIGINT' && isSupervised()) return;
        logger.info({ signal }, 'shutting down: draining in-flight requests');
        drainAndExit(0);
      });
    }
  }
  return { config: cfg, running, stop };
}

async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parseArgs({
        args: argv.slice(1), options: { target: { type: 'string', default: 'all' }, 'list-targets': { type: 'boolean', default: false }, autoscale: { type: 'boolean', default: false } },
        strict: true,
      });
      if (values['list-targets']) {
        const { holdfastModuleManager } = await import('./app/start-holdfast.ts');
        const mm = holdfastModuleManager();
        for (const t of mm.targets()) process.stdout.write(`${t.name.padEnd(12)} ${mm.resolve([t.name]).join(' -> ')}\n`);
        return;
      }
      if (values.autoscale) {
        if (values.target !== 'all') fail('--autoscale runs every role; it takes no --target');
        const cfg = config();
        const [{ createLogger }, { runSupervisor }] = await Promise.all([import('./platform/observability/logger.ts'), import('./autoscaler/index.ts')]);
        try {
          await runSupervisor({
            cliPath: import.meta.filename, host: cfg.host, port: cfg.port, pspPort: cfg.pspPort, shutdownGraceMs: cfg.shutdownGraceMs, scalingPolicyFile: cfg.scalingPolicyFile,
            pools: { dbPoolMax: cfg.dbPoolMax, pspDbPoolMax: cfg.pspDbPoolMax }, logger: createLogger({ level: cfg.logLevel, service: 'supervisor' }),
          });
        } catch (err) {
          if (err instanceof ConfigError) fail(err.message);
          throw err;
        }
        process.stdout.write(`Holdfast is running under the supervisor (--autoscale): http://localhost:${cfg.port}\n`);
        return;
      }
      const targets = values.target.split(',').map((t) => t.trim()).filter(Boolean);
      try {
        const { running } = await runModules(targets, { serve: true });
        const { httpServerModule } = await import('./platform/http/http-server-module.ts');
        const http = running.manager.has(httpServerModule) ? running.manager.service(httpServerModule) : undefined;
        const url = http?.url()?.replace('127.0.0.1', 'localhost').replace('[::1]', 'localhost');
        process.stdout.write(`Holdfast is running (${targets.join(', ')}): ${url ?? ''}\n`);
      } catch (err) {
        // A file the config names (the SLO file) was found invalid before anything started: its problems, no stack.
        if (err instanceof ConfigError) fail(err.message);
        process.stderr.write(`holdfast failed to start: ${(err as Error).stack ?? String(err)}\n`);
        process.exit(1);
      }
      return;
    }
    case 'db': {
      if (sub === 'url') {
        const cfg = config();
        const { embeddedPostgresUrl } = await import('./platform/db/embedded-postgres.ts');
        const url = cfg.databaseUrl ?? await embeddedPostgresUrl({ dataDir: cfg.dataDir, port: cfg.embeddedPostgresPort });
        if (!url) fail(`no embedded PostgreSQL in ${cfg.dataDir} yet: start Holdfast once (holdfast start) to create it`, 1);
        process.stdout.write(`${url}\n`);
        return;
      }
      if (sub !== 'migrate' && sub !== 'seed') fail(`usage: holdfast db migrate | holdfast db seed [--count N] | holdfast db url`);
      const { values } = parseArgs({ args: rest, options: { count: { type: 'string' } }, strict: true });
      // The migrations, and the admin token (generated and printed on a fresh database, as by start).
      const { config: cfg, running, stop } = await runModules(['migrations', 'admin-token'], { serve: false }).catch((err: Error) => fail(err.message, 1));
      try {
        if (sub === 'seed') {
          const [{ seedDemoCatalog }, { databaseModule }] = await Promise.all([import('./catalog/index.ts'), import('./platform/db/database-module.ts')]);
          const count = values.count ? Number(values.count) : cfg.seedProductCount;
          if (!Number.isInteger(count) || count < 0) fail('--count must be a non-negative integer');
          const n = await seedDemoCatalog(running.manager.service(databaseModule).pool, count);
          process.stdout.write(`seeded ${n} new products (of ${count} in the demo catalog)\n`);
        } else {
          process.stdout.write('migrations are up to date\n');
        }
      } finally {
        await stop();
      }
      return;
    }
    case 'loadtest': {
      const { runLoadtestCommand } = await import('./loadtest/index.ts');
      process.exitCode = await runLoadtestCommand(argv.slice(1));
      return;
    }
    case 'gameday': {
      const { runGamedayCommand } = await import('./gameday/index.ts');
      process.exitCode = await runGamedayCommand(argv.slice(1), import.meta.filename);
      return;
    }
    case 'faults': {
      const { runFaultsCommand } = await import('./faults/fault-cli.ts');
      process.exitCode = await runFaultsCommand(argv.slice(1));
      return;
    }
    case 'readiness': {
      const { runReadinessCommand } = await import('./capacity/readiness-cli.ts');
      process.exitCode = await runReadinessCommand(argv.slice(1));
      return;
    }
    case 'export': {
      if (sub === 'kubernetes') {
        const { runKubernetesExport } = await import('./autoscaler/index.ts');
        process.exitCode = await runKubernetesExport(rest);
        return;
      }
      const { runExportCommand } = await import('./exports/index.ts');
      process.exitCode = await runExportCommand(argv.slice(1));
      return;
    }
    case 'postmortem': {
      const { runPostmortemCommand } = await import('./incidents/postmortem-cli.ts');
      process.exitCode = await runPostmortemCommand(argv.slice(1));
      return;
    }
    case 'rca': {
      const { runRcaCommand } = await import('./rca/index.ts');
      process.exitCode = await runRcaCommand(argv.slice(1));
      return;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      fail(`unknown command "${command}"\n\n${HELP}`);
  }
}

await main(process.argv.slice(2));
