// The HTTP side of errors: the errors the HTTP layer raises itself (validation, parsing, routing, limits,
// authentication), each with its status, and the one mapping from a domain error's kind to a status.
import { declareError, declaredErrors, DomainError, type ErrorKind } from '../errors/domain-error.ts';

/** The status of each kind of domain error: the one place it is decided. */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rejected: 422,
  unavailable: 503,
  throttled: 429,
};

/** An error the HTTP layer raises itself, with its status. */
export class HttpError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details?: Record<string, unknown>;
  constructor(code: string, statusCode: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.statusCode = statusCode;
    if (details) this.details = details;
  }
}

/** A coded error as the client sees it: the status, the stable code, the message and details. */
export interface ErrorReply { statusCode: number; code: string; message: string; details?: Record<string, unknown> | undefined }

/** The reply a domain error or an HTTP error stands for; undefined for anything else. */
export function codedErrorReply(error: unknown): ErrorReply | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) return { statusCode: STATUS_OF_KIND[error.kind], code: error.code, message: error.message, details: error.details };
  return undefined;
}

function defineHttpErrors<const T extends Record<string, { status: number; message: string }>>(
  specs: T,
): { [K in keyof T]: (message?: string, details?: Record<string, unknown>) => HttpError } {
  const out = {} as Record<string, (message?: string, details?: Record<string, unknown>) => HttpError>;
  for (const [code, spec] of Object.entries(specs)) {
    declareError({ code, context: 'http', message: spec.message, status: spec.status });
    out[code] = (message, details) => new HttpError(code, spec.status, message ?? spec.message, details);
  }
  return out as { [K in keyof T]: (message?: string, details?: Record<string, unknown>) => HttpError };
}

/** Every declared code with the status a client gets (for docs/errors.md). */
export function documentedErrors(): { code: string; status: number; message: string; context: string }[] {
  return declaredErrors().map((e) => ({ code: e.code, status: e.status ?? STATUS_OF_KIND[e.kind!], message: e.message, context: e.context }));
}

/** Errors raised by the HTTP layer itself (validation, parsing, routing, limits, authentication). */
export const HttpErrors = defineHttpErrors({
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
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is shutting down or not ready; retry shortly.' },
  INTERNAL: { status: 500, message: 'Internal error.' },
});
