// The waiting room's configuration: its settings as they start (a JSON object with the names of
// waiting-room-settings.ts; PUT /api/admin/waiting-room changes them live for every replica, and a change
// made there outlives restarts) and how often each storefront replica synchronises with the others.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const waitingRoomConfig = defineConfigSlice({
  waitingRoom: Type.Record(Type.String(), Type.Unknown(), {
    default: {},
    description: 'Waiting room settings as they start (JSON, e.g. {"mode":"on","totalActiveUsers":500,"newUsersPerMinute":200}); docs/surge-protection.md lists every setting. Settings changed through PUT /api/admin/waiting-room take precedence',
  }),
  waitingRoomLimitsFromCapacity: Type.Boolean({ default: false, description: 'true: at start, totalActiveUsers and newUsersPerMinute come from the latest recorded capacity run (holdfast loadtest capacity --record) at the scaling policy\'s maximum replicas, as holdfast readiness computes them, instead of HOLDFAST_WAITING_ROOM\'s; with no run recorded the configured ones apply' }),
  waitingRoomSyncMs: Type.Integer({ default: 1000, minimum: 100, maximum: 60_000, description: 'How often each storefront replica brings its admissions to PostgreSQL and reads the shared counts' }),
}, {
  HOLDFAST_WAITING_ROOM: 'waitingRoom',
  HOLDFAST_WAITING_ROOM_SYNC_MS: 'waitingRoomSyncMs',
  HOLDFAST_WAITING_ROOM_LIMITS_FROM_CAPACITY: 'waitingRoomLimitsFromCapacity',
});

export type WaitingRoomConfig = SliceConfig<typeof waitingRoomConfig>;
