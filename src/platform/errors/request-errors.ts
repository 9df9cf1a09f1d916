// Errors of a request's shape that domain code finds (the HTTP layer's schemas cannot see inside an
// opaque value such as a pagination cursor). Declared under the context "http" with the HTTP layer's own.
import { defineErrors } from './domain-error.ts';

export const RequestErrors = defineErrors('http', {
  INVALID_CURSOR: { kind: 'invalid', message: 'The pagination cursor is malformed.' },
});
