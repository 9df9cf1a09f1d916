// Stable error codes of the fault-injection admin API.
import { defineErrors } from '../platform/http/app-error.ts';

export const FaultErrors = defineErrors('faults', {
  FAULT_UNKNOWN: { status: 404, message: 'No fault by that name; GET /api/admin/faults lists them.' },
  FAULT_PARAMS_INVALID: { status: 400, message: "The fault's parameters do not match its schema." },
});
