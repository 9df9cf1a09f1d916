// The `waiting-room` module (storefront role): the room in front of every route of the process, its
// background synchronisation with the other replicas, and its admin and ops routes.
import path from 'node:path';
import { defineModule } from '../platform/modules/module-manager.ts';
import { sliceOf } from '../platform/config/config.ts';
import { databaseModule } from '../platform/db/database-module.ts';
import { migrationsModule } from '../platform/db/migrations-module.ts';
import { httpServerModule } from '../platform/http/http-server-module.ts';
import { adminTokenModule } from '../platform/admin-token/admin-token-module.ts';
import { changesModule } from '../changes/index.ts';
import { capacityModule, type WaitingRoomLimits } from '../capacity/index.ts';
import { waitingRoomConfig, type WaitingRoomConfig } from './waiting-room-config.ts';
import { WaitingRoom } from './waiting-room-service.ts';
import { installWaitingRoom, waitingRoomRoutes } from './waiting-room-routes.ts';

export const waitingRoomMigrations = path.join(import.meta.dirname, 'migrations');

/**
 * The settings a storefront starts with (in force while none are stored): HOLDFAST_WAITING_ROOM, with
 * totalActiveUsers and newUsersPerMinute from the latest capacity run when
 * HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY is on and a run found a sustainable rate. The ops console
 * reads them the same way, so what it shows and stores is what the storefronts run by.
 */
export async function startingWaitingRoomSettings(
  config: Pick<WaitingRoomConfig, 'waitingRoom' | 'waitingRoomLimitsFromCapacity'>,
  capacity: { waitingRoomLimits(sessionDurationSeconds?: number): Promise<(WaitingRoomLimits & { runId: number }) | null> },
): Promise<{ configured: Record<string, unknown>; fromCapacity: (WaitingRoomLimits & { runId: number }) | null }> {
  const configured = config.waitingRoom;
  if (!config.waitingRoomLimitsFromCapacity) return { configured, fromCapacity: null };
  const session = typeof configured.sessionDurationSeconds === 'number' ? configured.sessionDurationSeconds : undefined;
  const limits = await capacity.waitingRoomLimits(session);
  if (!limits) return { configured, fromCapacity: null };
  return { configured: { ...configured, totalActiveUsers: limits.totalActiveUsers, newUsersPerMinute: limits.newUsersPerMinute }, fromCapacity: limits };
}

export const waitingRoomModule = defineModule({
  name: 'waiting-room',
  deps: { database: databaseModule, migrations: migrationsModule, http: httpServerModule, adminToken: adminTokenModule, changes: changesModule, capacity: capacityModule },
  config: (c: WaitingRoomConfig) => sliceOf(waitingRoomConfig, c),
  init: async ({ config, deps, runtime }) => {
    const logger = runtime.logger.child({ component: 'waiting-room' });
    const { configured, fromCapacity } = await startingWaitingRoomSettings(config, deps.capacity);
    if (fromCapacity) {
      logger.info({ runId: fromCapacity.runId, totalActiveUsers: fromCapacity.totalActiveUsers, newUsersPerMinute: fromCapacity.newUsersPerMinute }, `waiting-room limits from capacity run #${fromCapacity.runId}: ${fromCapacity.basis}`);
    } else if (config.waitingRoomLimitsFromCapacity) {
      logger.warn('HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY is set but no capacity run with a sustainable rate is recorded: the configured limits apply');
    }
    const room = new WaitingRoom({
      pool: deps.database.pool, configured, syncMs: config.waitingRoomSyncMs,
      logger, changes: deps.changes, source: runtime.serviceName,
    });
    await room.init();
    // The storefront signs its cart and order cookies with the admin token's hash (storefront-module.ts).
    installWaitingRoom(deps.http.server, room, deps.adminToken.sha256);
    waitingRoomRoutes(deps.http.server, { room, adminTokenSha256: deps.adminToken.sha256 });
    return { service: room, start: async () => room.start(), stop: () => room.stop() };
  },
});
