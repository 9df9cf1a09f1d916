// Public surface of the changes context: the durable log of what changed in the shop (faults, settings,
// processes, versions, scaling, the waiting room), for incidents and root-cause findings.
import path from 'node:path';
export {
  CHANGES_CHANNEL, CHANGE_KINDS, recordChange, changesBetween, changesAfter, lastChange,
  type ChangeKind, type ChangeInput, type ChangeEvent, type ChangeFilter,
} from './change-log.ts';
export { changesModule, changesApiModule, type ChangeRecorder } from './changes-module.ts';
export { holdfastVersion } from './holdfast-version.ts';

/** The changes context's numbered SQL migrations (its table). */
export const changesMigrations = path.join(import.meta.dirname, 'migrations');
