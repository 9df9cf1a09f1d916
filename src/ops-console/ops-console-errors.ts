// Stable error codes of the ops console.
import { defineErrors } from '../platform/errors/domain-error.ts';

export const OpsConsoleErrors = defineErrors('ops-console', {
  OPS_CONSOLE_SIGN_IN_REQUIRED: { kind: 'unauthenticated', message: 'Sign in to the ops console first (GET /ops/sign-in); the session is missing or has expired.' },
  OPS_CONSOLE_CSRF_INVALID: { kind: 'forbidden', message: "The form's CSRF token is missing or does not belong to this session; reload the page and submit again." },
  OPS_CONSOLE_STREAMS_EXHAUSTED: { kind: 'unavailable', message: 'Too many live ops console views are open; close one or retry shortly.' },
  OPS_CONSOLE_STOPPING: { kind: 'unavailable', message: 'This control process is shutting down; reload the page to reach a running control process.' },
  OPS_CONSOLE_FORM_INVALID: { kind: 'invalid', message: 'A field of the form is missing or out of range.' },
  OPS_CONSOLE_ASSET_NOT_FOUND: { kind: 'not_found', message: 'No such ops console asset.' },
  OPS_CONSOLE_FAULT_PARAMS_INVALID: { kind: 'invalid', message: "The fault's parameters are not a JSON object." },
});
