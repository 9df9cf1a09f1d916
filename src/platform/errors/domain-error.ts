// Errors with stable codes. Each bounded context declares its codes in one place with defineErrors(): a
// code, a kind (what went wrong, in terms of the request: not found, conflict, ...) and a message. Domain
// code throws these and knows nothing of HTTP; the HTTP layer maps each kind to a status in one place
// (src/platform/http/http-errors.ts). The registry lets a test keep docs/errors.md in step with the code.

/** What kind of refusal an error is; the HTTP layer turns each into one status. */
export type ErrorKind =
  /** the request is malformed (a bad cursor, a missing header) */
  | 'invalid'
  /** the caller did not prove who it is (a missing token) */
  | 'unauthenticated'
  /** the caller is known, but this request of theirs is refused (a form without its CSRF token) */
  | 'forbidden'
  | 'not_found'
  /** the request collides with the current state (out of stock, already checked out) */
  | 'conflict'
  /** well-formed, but a business rule refuses it (an empty cart, a product no longer for sale) */
  | 'rejected'
  /** a dependency cannot be reached just now; worth retrying */
  | 'unavailable'
  /** the caller must wait its turn and ask again later (a waiting room's queue) */
  | 'throttled';

export class DomainError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details?: Record<string, unknown>;
  constructor(code: string, kind: ErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.kind = kind;
    if (details) this.details = details;
  }
}

export interface DeclaredError { code: string; context: string; message: string; kind?: ErrorKind; status?: number }

const registry = new Map<string, DeclaredError>();

/** Records a code once (a code belongs to one context: declaring it in two is a mistake). */
export function declareError(error: DeclaredError): void {
  const existing = registry.get(error.code);
  if (existing && existing.context !== error.context) throw new Error(`error code ${error.code} defined by ${existing.context} and ${error.context}`);
  registry.set(error.code, error);
}

export function declaredErrors(): DeclaredError[] {
  return [...registry.values()].sort((a, b) => a.code.localeCompare(b.code));
}

export interface ErrorSpec { kind: ErrorKind; message: string }

export type ErrorFactories<T> = { [K in keyof T]: (message?: string, details?: Record<string, unknown>) => DomainError };

/**
 * Declares a context's error codes. Returns a factory per code:
 * `CartErrors.CART_NOT_FOUND()` or `CartErrors.CART_NOT_FOUND('custom message', { details })`.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(context: string, specs: T): ErrorFactories<T> {
  const out = {} as Record<string, (message?: string, details?: Record<string, unknown>) => DomainError>;
  for (const [code, spec] of Object.entries(specs)) {
    declareError({ code, context, message: spec.message, kind: spec.kind });
    out[code] = (message, details) => new DomainError(code, spec.kind, message ?? spec.message, details);
  }
  return out as ErrorFactories<T>;
}
