// A role started while its external database (DATABASE_URL) cannot be reached waits for it instead of
// exiting: a process that exits needs a supervisor to come back, and `holdfast start` may have none.
// The wait is logged once, then reminded each minute (FailureRun). Meanwhile, when the process serves
// HTTP, a standby server on its port answers /healthz 200 and /readyz 503 "waiting for the database":
// the real server cannot listen yet, because it is built after the migrations, which need the database.
// Only a connection failure is waited out (isDatabaseUnavailable): a refused password or a missing
// permission is an error that waiting cannot fix, and stops the start at once.
import { ensureDatabase, retryWhileDatabaseUnavailable } from './database.ts';
import { DatabaseErrors, isDatabaseUnavailable } from './database-errors.ts';
import { FailureRun } from '../observability/failure-run.ts';
import type { Logger } from '../observability/logger.ts';
import { startStandbyServer } from '../http/standby-server.ts';

export const WAITING_FOR_THE_DATABASE = 'waiting for the database';

/**
 * Creates the database named in url when it does not exist yet, waiting as long as the server is
 * unreachable; `standby`: where this process's HTTP server will listen (none for a process without one).
 */
export async function ensureDatabaseWhenReachable(url: string, opts: { logger: Logger; standby?: { host: string; port: number } | undefined }): Promise<void> {
  const waiting = new FailureRun(opts.logger, 'connecting to the database at start-up');
  const hint = 'waiting for it (retrying with backoff, at most 2 s apart)';
  try {
    await ensureDatabase(url);
    return;
  } catch (err) {
    if (!isDatabaseUnavailable(err)) throw err;
    waiting.failed(err, hint);
  }
  const standby = opts.standby
    ? await startStandbyServer({
      host: opts.standby.host, port: opts.standby.port, reason: WAITING_FOR_THE_DATABASE, unavailable: DatabaseErrors.DATABASE_UNAVAILABLE(),
    })
    : undefined;
  if (standby) opts.logger.info({ url: standby.url }, `${WAITING_FOR_THE_DATABASE}: /healthz (200) and /readyz (503) answer meanwhile`);
  try {
    await retryWhileDatabaseUnavailable(() => ensureDatabase(url), { onUnavailable: (err) => waiting.failed(err, hint) });
  } finally {
    await standby?.close();
  }
  waiting.succeeded('succeeded; starting');
}
