// The `changes` module: gives its dependents the change log bound to the process's pool, records the
// process's own start and stop (and a version change when this service last started with another
// version), and purges changes past the retention once an hour. The `changes-api` module serves the log
// over HTTP (GET /api/ops/changes, admin token), in the control role beside the other ops APIs.
import { defineModule } from '../platform/modules/module-manager.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { changesRoutes } from './changes-routes.ts';
import { recordChange, lastChange, purgeChangesBefore, type ChangeEvent, type ChangeInput } from './change-log.ts';
import { holdfastVersion } from './holdfast-version.ts';

/** Change events are kept this long (the status page's history is 90 days). */
const RETENTION_DAYS = 90;

export interface ChangeRecorder {
  /** Records a change made by this process; a failure is logged, never thrown (the change itself already happened). */
  record(change: Omit<ChangeInput, 'source'> & { source?: string }): Promise<ChangeEvent | undefined>;
}

export const changesModule = defineModule({
  name: 'changes',
  deps: { database: databaseModule, migrations: migrationsModule },
  init: ({ deps, runtime }) => {
    const { pool } = deps.database;
    const logger = runtime.logger.child({ component: 'changes' });
    const source = runtime.serviceName;
    const recorder: ChangeRecorder = {
      async record(change) {
        try {
          return await recordChange(pool, { ...change, source: change.source ?? source });
        } catch (err) {
          logger.warn({ err, kind: change.kind, subject: change.subject }, 'could not record a change event');
          return undefined;
        }
      },
    };
    let purge: NodeJS.Timeout | undefined;
    return {
      service: recorder,
      start: async () => {
        const version = holdfastVersion();
        const previous = await lastChange(pool, 'process.started', source).catch(() => undefined);
        const previousVersion = previous?.details.version;
        if (typeof previousVersion === 'string' && previousVersion !== version) {
          await recorder.record({ kind: 'version.changed', subject: source, summary: `${source} runs ${version} (was ${previousVersion})`, details: { from: previousVersion, to: version } });
        }
        await recorder.record({ kind: 'process.started', subject: source, summary: `${source} started (pid ${process.pid}, ${version})`, details: { pid: process.pid, version } });
        purge = setInterval(() => {
          purgeChangesBefore(pool, new Date(Date.now() - RETENTION_DAYS * 86_400_000)).catch(() => {});
        }, 3_600_000);
        purge.unref();
      },
      stop: async () => {
        if (purge) clearInterval(purge);
        await recorder.record({ kind: 'process.stopped', subject: source, summary: `${source} stopped (pid ${process.pid})`, details: { pid: process.pid } });
      },
    };
  },
});

export const changesApiModule = defineModule({
  name: 'changes-api',
  deps: { database: databaseModule, migrations: migrationsModule, http: httpServerModule, adminToken: adminTokenModule },
  init: ({ deps }) => {
    changesRoutes(deps.http.server, { pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256 });
    return { service: undefined };
  },
});
