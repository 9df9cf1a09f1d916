// Stripe error objects: {"error": {type, code, decline_code, message, param, doc_url, ...}} with Stripe's
// HTTP statuses (400 invalid_request_error, 401 auth, 402 card_error, 404 resource_missing, 409 key in
// use, 429 rate_limit_error, 5xx api_error). Messages follow the wording Stripe's API uses.

export type StripeErrorType = 'invalid_request_error' | 'card_error' | 'idempotency_error' | 'api_error' | 'rate_limit_error';

export interface StripeErrorObject {
  type: StripeErrorType;
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  doc_url?: string;
  charge?: string;
  payment_intent?: unknown;
  payment_method?: unknown;
}

/** A Stripe error response. Thrown from validation; returned (not thrown) for declines. */
export class StripeError extends Error {
  readonly status: number;
  readonly body: StripeErrorObject;
  constructor(status: number, body: StripeErrorObject) {
    super(body.message);
    this.name = 'StripeError';
    this.status = status;
    this.body = body;
  }
}

export const docUrl = (code: string) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;

function withCode(type: StripeErrorType, code: string | undefined, message: string, param?: string): StripeErrorObject {
  return {
    ...(code ? { code, doc_url: docUrl(code) } : {}),
    message,
    ...(param ? { param } : {}),
    type,
  };
}

/** Stripe masks all but the last four characters of a key it rejects. */
export function maskKey(key: string): string {
  const m = /^(sk_test_|sk_live_|rk_test_|rk_live_|pk_test_|pk_live_)?(.*)$/s.exec(key)!;
  const rest = m[2] ?? '';
  return `${m[1] ?? ''}${'*'.repeat(Math.max(0, rest.length - 4))}${rest.slice(-4)}`;
}

export const StripeErrors = {
  invalidRequest: (message: string, param?: string, code?: string) =>
    new StripeError(400, withCode('invalid_request_error', code, message, param)),
  missingApiKey: () => new StripeError(401, withCode('invalid_request_error', undefined,
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.")),
  invalidApiKey: (key: string) => new StripeError(401, withCode('invalid_request_error', undefined,
    `Invalid API Key provided: ${maskKey(key)}`)),
  parameterMissing: (param: string) => new StripeError(400, withCode('invalid_request_error', 'parameter_missing', `Missing required param: ${param}.`, param)),
  parameterUnknown: (param: string) => new StripeError(400, withCode('invalid_request_error', 'parameter_unknown',
    `Received unknown parameter: ${param}`, param)),
  invalidInteger: (param: string, raw: unknown) => new StripeError(400, withCode('invalid_request_error', 'parameter_invalid_integer',
    `Invalid integer: ${typeof raw === 'string' ? raw : JSON.stringify(raw)}`, param)),
  invalidString: (param: string, message?: string) => new StripeError(400, withCode('invalid_request_error', 'parameter_invalid_string',
    message ?? `Invalid string: ${param}`, param)),
  invalidBoolean: (param: string, raw: unknown) => new StripeError(400, withCode('invalid_request_error', undefined,
    `Invalid boolean: ${typeof raw === 'string' ? raw : JSON.stringify(raw)}`, param)),
  resourceMissing: (kind: string, id: string, param: string, status = 400) => new StripeError(status, withCode('invalid_request_error', 'resource_missing',
    `No such ${kind}: '${id}'`, param)),
  idempotencyMismatch: (key: string) => new StripeError(400, withCode('idempotency_error', undefined,
    `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`)),
  idempotencyEndpointMismatch: (key: string) => new StripeError(400, withCode('idempotency_error', undefined,
    `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${key}').`)),
  idempotencyKeyInUse: (key: string) => new StripeError(409, withCode('invalid_request_error', 'idempotency_key_in_use',
    `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`)),
  unrecognizedUrl: (method: string, url: string) => new StripeError(404, withCode('invalid_request_error', undefined,
    `Unrecognized request URL (${method}: ${url}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`)),
  unsupported: (what: string, param?: string) => new StripeError(400, withCode('invalid_request_error', undefined,
    `${what} is not supported by the Holdfast payment provider simulator (see docs/psp-simulator.md).`, param)),
  apiError: (status: number) => status === 429
    ? new StripeError(429, withCode('rate_limit_error', 'rate_limit', 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.'))
    : new StripeError(status, withCode('api_error', undefined, 'An unknown error occurred')),
};
