// The `ops-console` module (control role): the operators' web console at /ops. It reads the services the
// control role already runs, by handle: the control plane (readings, SLO burns, alerts, findings), the
// incidents, the autoscaler, and the waiting room when this process runs it; faults are set through the
// database like the faults API does, so every role follows them.
import path from 'node:path';
import { defineModule, optional } from '../platform/modules/module-manager.ts';
import { sliceOf } from '../platform/config/config.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { controlModule } from '../control/index.ts';
import { incidentsModule } from '../incidents/index.ts';
import { autoscalerModule } from '../autoscaler/index.ts';
import { checkWaitingRoomSettings, defaultWaitingRoomSettings, startingWaitingRoomSettings, waitingRoomModule, type WaitingRoomConfig } from '../waiting-room/index.ts';
import { capacityModule } from '../capacity/index.ts';
import { changesModule } from '../changes/index.ts';
import { queueModule } from '../platform/queue/queue-module.ts';
import { opsConsoleConfig, type OpsConsoleConfig } from './ops-console-config.ts';
import { overviewSnapshot } from './console-overview.ts';
import { LiveStream } from './live-stream.ts';
import { signedInSessions } from './console-sessions.ts';
import { consoleRoutes } from './console-routes.ts';
import { renderPanels } from './console-views.ts';

/** The ops console's sessions table. */
export const opsConsoleMigrations = path.join(import.meta.dirname, 'migrations');

/**
 * The settings the storefronts start with, as they compute them (their limits from the latest capacity
 * run under HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY): in force while none are stored, and what a change
 * from the console is merged into. The storefront role refuses to start with invalid ones; here they fall
 * back to the defaults.
 */
async function waitingRoomConfigured(config: Pick<WaitingRoomConfig, 'waitingRoom' | 'waitingRoomLimitsFromCapacity'>, capacity: CapacityLimits) {
  const checked = checkWaitingRoomSettings((await startingWaitingRoomSettings(config, capacity)).configured);
  return checked.ok ? checked.settings : defaultWaitingRoomSettings();
}
type CapacityLimits = Parameters<typeof startingWaitingRoomSettings>[1];

export const opsConsoleModule = defineModule({
  name: 'ops-console',
  deps: {
    http: httpServerModule, adminToken: adminTokenModule, database: databaseModule, migrations: migrationsModule,
    control: controlModule, incidents: incidentsModule, autoscaler: autoscalerModule, waitingRoom: optional(waitingRoomModule),
    queue: queueModule, changes: changesModule,
    // the waiting room's limits from capacity, read as the storefronts read them (capacity depends on neither)
    capacity: capacityModule,
  },
  config: (c: OpsConsoleConfig & Pick<WaitingRoomConfig, 'waitingRoom' | 'waitingRoomLimitsFromCapacity'>) => ({
    ...sliceOf(opsConsoleConfig, c), waitingRoom: c.waitingRoom, waitingRoomLimitsFromCapacity: c.waitingRoomLimitsFromCapacity,
  }),
  /** tests: how often the live views get a new snapshot, and how often their sessions are looked up again */
  options: { streamIntervalMs: 1000, streamSessionCheckMs: 5000 },
  init: async ({ config, deps, runtime, options }) => {
    const plane = deps.control;
    const overview = () => overviewSnapshot({ plane, incidents: deps.incidents, autoscaler: deps.autoscaler, waitingRoom: deps.waitingRoom });
    const stream = new LiveStream({
      produce: async () => {
        const s = await overview();
        return { at: s.at, times: s.times, components: s.components, panels: renderPanels(s) };
      },
      signedIn: (keys) => signedInSessions(deps.database.pool, keys),
      maxStreams: config.opsConsoleMaxStreams, intervalMs: options.streamIntervalMs, sessionCheckMs: options.streamSessionCheckMs, logger: runtime.logger.child({ component: 'ops-console' }),
    });
    await consoleRoutes(deps.http.server, {
      pool: deps.database.pool, adminTokenSha256: deps.adminToken.sha256, sessionTtlSeconds: config.opsConsoleSessionTtlSeconds,
      stream, overview, incidents: deps.incidents, metrics: plane.collector.window,
      queue: deps.queue, autoscaler: deps.autoscaler, waitingRoom: deps.waitingRoom, changes: deps.changes,
      waitingRoomConfigured: () => waitingRoomConfigured(config, deps.capacity),
    });
    return {
      service: stream,
      // before the HTTP server drains: open streams would otherwise hold it until its grace runs out
      stop: async () => { stream.close(); },
    };
  },
});
