// The `control` module: the metrics collector, detector, SLO alerts, root-cause analysis and the OTLP span
// receiver, with their ops API. The SLO file is read and checked before anything starts: a bad one is a
// ConfigError listing its problems.
import { defineModule } from '../platform/modules/module-manager.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { controlSettings, type ControlConfig, type ControlSettings } from './control-config.ts';
import { ControlPlane } from './control-plane.ts';
import { controlRoutes } from './control-routes.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { changesAfter, changesBetween, type ChangeEvent } from '../changes/index.ts';
import { CHANGE_LOOKBACK_SECONDS, type RecentChange } from './change-context.ts';

/** The change log is read this often: a finding made a second after a fault was set already names it. */
const CHANGES_EVERY_MS = 1000;
const recentOf = (c: ChangeEvent): RecentChange => ({ id: c.id, at: Date.parse(c.at) / 1000, kind: c.kind, subject: c.subject, summary: c.summary });

export const controlModule = defineModule({
  name: 'control',
  deps: { http: httpServerModule, adminToken: adminTokenModule, database: databaseModule },
  config: (c: ControlConfig) => ({ controlScrapeTargets: c.controlScrapeTargets, sloFile: c.sloFile }),
  /** settings: overrides of the control role's built-in settings (tests: a short window, small thresholds). */
  options: { settings: {} as Partial<ControlSettings> },
  check: ({ config, options }) => controlSettings(config, options.settings),
  init: ({ deps, runtime, checked: settings }) => {
    const plane = new ControlPlane(settings, runtime.logger.child({ component: 'control' }));
    controlRoutes(deps.http.server, plane, deps.adminToken.sha256);
    // the change log's new events, fed to the plane for its findings (never in the detection loop's way)
    const { pool } = deps.database;
    const logger = runtime.logger.child({ component: 'control' });
    let cursor: number | undefined;
    let failing = false;
    let reading: Promise<void> | undefined;
    const readChanges = async () => {
      const now = Date.now();
      const events = cursor === undefined
        ? await changesBetween(pool, { from: new Date(now - (settings.windowSeconds + CHANGE_LOOKBACK_SECONDS) * 1000), to: new Date(now + 60_000), limit: 5000 })
        : await changesAfter(pool, cursor);
      if (events.length) {
        cursor = Math.max(cursor ?? 0, ...events.map((e) => e.id));
        plane.noteChanges(events.map(recentOf), now);
      }
      // with nothing recent yet, the window is asked again rather than the whole log from its first row
    };
    const timer = setInterval(() => {
      reading ??= readChanges().then(() => {
        if (failing) logger.info('reading the change log works again');
        failing = false;
      }, (err) => {
        if (!failing) logger.warn({ err, task: 'reading the change log' }, 'could not read the change log; findings will not name changes until it works again');
        failing = true;
      }).finally(() => { reading = undefined; });
    }, CHANGES_EVERY_MS);
    timer.unref();
    return {
      service: plane,
      start: async () => { plane.start(); },
      stop: async () => {
        clearInterval(timer);
        await reading;
        await plane.stop();
      },
    };
  },
});
