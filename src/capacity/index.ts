// Public surface of the capacity context: the history of measured capacity (each `holdfast loadtest
// capacity --record` run, compared with the previous comparable one), peak readiness, and `holdfast
// readiness`. See docs/loadtest.md.
import path from 'node:path';
export { capacityModule, latestMeasuredCapacity } from './capacity-module.ts';
export { latestCapacityRun, listCapacityRuns, recordCapacityRun } from './capacity-service.ts';
export { REGRESSION_DROP, type CapacityRun, type CapacityRunInput, type CapacityComparison, type DeploymentFingerprint } from './capacity-history.ts';
export { waitingRoomLimitsFor, formatPeakReadiness, type PeakReadiness, type WaitingRoomLimits } from './peak-readiness.ts';
export { CapacityErrors } from './capacity-errors.ts';

/** The capacity context's numbered SQL migrations (its table). */
export const capacityMigrations = path.join(import.meta.dirname, 'migrations');
