// Fault injection's settings.
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

export const faultsConfig = defineConfigSlice({
  // Fault injection (src/faults): how often each process re-reads the faults table (LISTEN/NOTIFY
  // makes most changes arrive sooner).
  faultRefreshMs: Type.Integer({ description: 'How often each process re-reads injected faults', default: 500, minimum: 50, maximum: 60_000 }),
}, {
  HOLDFAST_FAULT_REFRESH_MS: 'faultRefreshMs',
});

export type FaultsConfig = SliceConfig<typeof faultsConfig>;
