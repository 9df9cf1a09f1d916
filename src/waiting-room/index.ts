// Public surface of the waiting room: its module (storefront role), configuration slice and migrations.
export { waitingRoomModule, waitingRoomMigrations } from './waiting-room-module.ts';
export { waitingRoomConfig, type WaitingRoomConfig } from './waiting-room-config.ts';
export type { WaitingRoom, WaitingRoomStatus } from './waiting-room-service.ts';
