// Stable error codes of the capacity history (docs/loadtest.md).
import { defineErrors } from '../platform/errors/domain-error.ts';

export const CapacityErrors = defineErrors('capacity', {
  CAPACITY_RUN_INVALID: { kind: 'invalid', message: 'The capacity run is not consistent; details.problems says where.' },
});
