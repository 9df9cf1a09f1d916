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
import { waitingRoomConfig, type WaitingRoomConfig } from './waiting-room-config.ts';
import { WaitingRoom } from './waiting-room-service.ts';
import { installWaitingRoom, waitingRoomRoutes } from './waiting-room-routes.ts';

export const waitingRoomMigrations = path.join(import.meta.dirname, 'migrations');

export const waitingRoomModule = defineModule({
  name: 'waiting-room',
  deps: { database: databaseModule, migrations: migrationsModule, http: httpServerModule, adminToken: adminTokenModule, changes: changesModule },
  config: (c: WaitingRoomConfig) => sliceOf(waitingRoomConfig, c),
  init: async ({ config, deps, runtime }) => {
    const room = new WaitingRoom({
      pool: deps.database.pool, configured: config.waitingRoom, syncMs: config.waitingRoomSyncMs,
      logger: runtime.logger.child({ component: 'waiting-room' }), changes: deps.changes, source: runtime.serviceName,
    });
    await room.init();
    // The storefront signs its cart and order cookies with the admin token's hash (storefront-module.ts).
    installWaitingRoom(deps.http.server, room, deps.adminToken.sha256);
    waitingRoomRoutes(deps.http.server, { room, adminTokenSha256: deps.adminToken.sha256 });
    return { service: room, start: async () => room.start(), stop: () => room.stop() };
  },
});
