// Errors with stable codes. Each bounded context declares its codes in one place with defineErrors();
// the registry lets a test keep docs/errors.md in step with the code.

export interface ErrorSpec { status: number; message: string }

const registry = new Map<string, ErrorSpec & { context: string }>();

export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details?: Record<string, unknown>;
  constructor(code: string, statusCode: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    if (details) this.details = details;
  }
}

/**
 * Declares a context's error codes. Returns a factory per code:
 * `CartErrors.CART_NOT_FOUND()` or `CartErrors.CART_NOT_FOUND('custom message', { details })`.
 */
export function defineErrors<const T extends Record<string, ErrorSpec>>(
  context: string,
  specs: T,
): { [K in keyof T]: (message?: string, details?: Record<string, unknown>) => AppError } {
  const out = {} as Record<string, (message?: string, details?: Record<string, unknown>) => AppError>;
  for (const [code, spec] of Object.entries(specs)) {
    const existing = registry.get(code);
    if (existing && existing.context !== context) throw new Error(`error code ${code} defined by ${existing.context} and ${context}`);
    registry.set(code, { ...spec, context });
    out[code] = (message, details) => new AppError(code, spec.status, message ?? spec.message, details);
  }
  return out as { [K in keyof T]: (message?: string, details?: Record<string, unknown>) => AppError };
}

export function registeredErrors(): { code: string; status: number; message: string; context: string }[] {
  return [...registry].map(([code, spec]) => ({ code, ...spec })).sort((a, b) => a.code.localeCompare(b.code));
}

/** Errors raised by the HTTP layer itself (validation, parsing, routing, limits). */
export const HttpErrors = defineErrors('http', {
  VALIDATION_FAILED: { status: 400, message: 'The request does not match the schema.' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON.' },
  EMPTY_BODY: { status: 400, message: 'The request body is empty but JSON was declared.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'This content type is not accepted here.' },
  BODY_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  URI_TOO_LONG: { status: 414, message: 'A path segment of the URL is too long.' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time.' },
  EXPECTATION_FAILED: { status: 417, message: 'Only "Expect: 100-continue" is supported.' },
  NOT_FOUND: { status: 404, message: 'No such route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; slow down and retry later.' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid credentials.' },
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  INVALID_CURSOR: { status: 400, message: 'The pagination cursor is malformed.' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is shutting down or not ready; retry shortly.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
});
