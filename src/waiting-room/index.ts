// Public surface of the waiting room: its module (storefront role), configuration slice and migrations.
export { waitingRoomModule, waitingRoomMigrations, startingWaitingRoomSettings } from './waiting-room-module.ts';
export { waitingRoomConfig, type WaitingRoomConfig } from './waiting-room-config.ts';
export { changeWaitingRoomSettings, storedWaitingRoomSettings, type WaitingRoom, type WaitingRoomStatus, type RoomChangeRecorder } from './waiting-room-service.ts';
export { checkWaitingRoomSettings, defaultWaitingRoomSettings, type WaitingRoomSettings } from './waiting-room-settings.ts';
export { WaitingRoomErrors } from './waiting-room-errors.ts';
