// The process-wide policy for errors no code handled (docs/decisions/0014-unhandled-errors-and-database-outages.md).
// Every one is logged with its error and counted in holdfast_process_unhandled_errors_total{kind,outcome}.
//
// - An uncaught exception unwound a stack in the middle of code that did not expect it: what that code
//   was doing is left half done, so the process state is unknown. Logged at fatal (pino writes it
//   synchronously), and the process exits 1 at once for its supervisor (Kubernetes, systemd, a process
//   manager) to start a fresh one. Node's guidance: only synchronous clean-up, then exit.
// - An unhandled rejection whose reason is a database connection failure is a fire-and-forget call that
//   met an outage (pg-boss records a job's completion without awaiting it): the failed call changed
//   nothing, and the code that made it has its own recovery (the job is redelivered when it expires).
//   Logged once per run of them, and the process continues: readiness reports the outage.
// - Any other unhandled rejection is a bug whose consequences are unknown: logged at fatal, and the
//   process drains (bounded by the shutdown grace period) and exits 1.
// Neither exits 0 (a supervisor may not restart a clean exit) nor waits unbounded.
import client from 'prom-client';
import type { Logger } from '../observability/logger.ts';
import { registry } from '../observability/metrics.ts';
import { METRICS } from '../../telemetry/index.ts';
import { FailureRun } from '../observability/failure-run.ts';
import { isDatabaseUnavailable } from '../db/database-errors.ts';

const unhandledErrors = new client.Counter({
  name: METRICS.unhandledErrors.name,
  help: 'Errors no code handled, by kind (unhandled_rejection, uncaught_exception) and outcome (continued, exit)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

export interface UnhandledErrorPolicy {
  logger: Logger;
  /** Drains the process and exits with the code; bounded by the shutdown grace period. */
  drainAndExit: (code: number) => void;
}

/** Installs the policy; returns a function that removes it. */
export function installUnhandledErrorPolicy(policy: UnhandledErrorPolicy): () => void {
  const tolerated = new FailureRun(policy.logger, 'unhandled rejection from a database call');
  const onRejection = (reason: unknown) => {
    if (isDatabaseUnavailable(reason)) {
      unhandledErrors.inc({ kind: 'unhandled_rejection', outcome: 'continued' });
      tolerated.failed(reason, 'continuing: the database is unreachable, and the call is retried by its owner');
      return;
    }
    unhandledErrors.inc({ kind: 'unhandled_rejection', outcome: 'exit' });
    policy.logger.fatal({ err: reason }, 'unhandled promise rejection: draining, then exiting with code 1 for the supervisor to restart the process');
    policy.drainAndExit(1);
  };
  const onException = (err: Error, origin: string) => {
    unhandledErrors.inc({ kind: 'uncaught_exception', outcome: 'exit' });
    try {
      policy.logger.fatal({ err, origin }, 'uncaught exception: the process state is unknown; exiting with code 1 for the supervisor to restart it');
    } finally {
      process.exit(1);
    }
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}
