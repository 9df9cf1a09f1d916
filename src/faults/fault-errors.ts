// Stable error codes of the fault-injection admin API.
import { defineErrors } from '../platform/errors/domain-error.ts';

export const FaultErrors = defineErrors('faults', {
  FAULT_UNKNOWN: { kind: 'not_found', message: 'No fault by that name; GET /api/admin/faults lists them.' },
  FAULT_PARAMS_INVALID: { kind: 'invalid', message: "The fault's parameters do not match its schema." },
});
