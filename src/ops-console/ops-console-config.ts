// The ops console's settings: how long a sign-in lasts and how many live views may be open at once.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const opsConsoleConfig = defineConfigSlice({
  opsConsoleSessionTtlSeconds: Type.Integer({ description: 'Ops console: a sign-in session expires this long after it began (sign in again with the admin token)', default: 8 * 3600, minimum: 60, maximum: 7 * 24 * 3600 }),
  opsConsoleMaxStreams: Type.Integer({ description: "Ops console: live views (server-sent event streams) open at once in the control role; one more is refused with 503", default: 20, minimum: 1, maximum: 1000 }),
}, {
  HOLDFAST_OPS_CONSOLE_SESSION_TTL_SECONDS: 'opsConsoleSessionTtlSeconds',
  HOLDFAST_OPS_CONSOLE_MAX_STREAMS: 'opsConsoleMaxStreams',
});

export type OpsConsoleConfig = SliceConfig<typeof opsConsoleConfig>;
