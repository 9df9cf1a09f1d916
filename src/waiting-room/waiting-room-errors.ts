// The waiting room's stable error codes. WAITING_ROOM and WAITING_ROOM_CLOSED are the JSON form of the
// waiting page (admission.ts builds their bodies, with the shopper's place); WAITING_ROOM_SETTINGS_INVALID
// answers a PUT /api/admin/waiting-room the settings' rules refuse.
import { defineErrors } from '../platform/errors/domain-error.ts';

export const WAITING_ROOM_MESSAGES = {
  WAITING_ROOM: 'The shop is full right now; you are in the queue. Ask again after Retry-After seconds to keep your place.',
  WAITING_ROOM_CLOSED: 'The shop is closed to new shoppers for now; try again after Retry-After seconds.',
  WAITING_ROOM_SETTINGS_INVALID: 'The waiting room settings are not valid; every problem is listed in details.problems.',
} as const;

export const WaitingRoomErrors = defineErrors('waiting-room', {
  WAITING_ROOM: { kind: 'throttled', message: WAITING_ROOM_MESSAGES.WAITING_ROOM },
  WAITING_ROOM_CLOSED: { kind: 'unavailable', message: WAITING_ROOM_MESSAGES.WAITING_ROOM_CLOSED },
  WAITING_ROOM_SETTINGS_INVALID: { kind: 'invalid', message: WAITING_ROOM_MESSAGES.WAITING_ROOM_SETTINGS_INVALID },
});
