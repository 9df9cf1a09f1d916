// The waiting room's stable error codes, with their statuses and meanings. Kept as plain specs until the
// room's routes are wired in, when they are declared once with the project's error registry
// (`export const WaitingRoomErrors = <the registry's declare function>('waiting-room', WAITING_ROOM_ERROR_SPECS)`
// in waiting-room-errors.ts) and docs/errors.md is regenerated (`npm run docs:errors`).
import type { ErrorSpec } from '../platform/http/app-error.ts';

export const WAITING_ROOM_ERROR_SPECS = {
  WAITING_ROOM: { status: 429, message: 'The shop is full right now; you are in the queue. Ask again after Retry-After seconds to keep your place.' },
  WAITING_ROOM_CLOSED: { status: 503, message: 'The shop is closed to new shoppers for now; try again after Retry-After seconds.' },
  WAITING_ROOM_SETTINGS_INVALID: { status: 400, message: 'The waiting room settings are not valid; every problem is listed in details.problems.' },
} as const satisfies Record<string, ErrorSpec>;
