// The thin HTTP layer every role uses: Fastify with TypeBox schemas (validator, type and OpenAPI at once),
// security headers, body limits, per-IP rate limits on writes, one error shape, RED metrics per route.
import Fastify, { LogController, type FastifyLogFn as LogFn, type FastifyInstance, type FastifyError, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import helmet, { type HelmetOptions } from 'helmet';
import rateLimit from '@fastify/rate-limit';
import formbody from '@fastify/formbody';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { codedErrorReply, HttpError, HttpErrors, type ErrorReply } from './http-errors.ts';
import { DatabaseErrors, isDatabaseUnavailable } from '../db/database-errors.ts';
import { FailureRun } from '../observability/failure-run.ts';
import { httpRequestDuration, httpRequestsInFlight, httpRequestsReceived, metricsSettings } from '../observability/metrics.ts';
import type { HistogramChild } from '../observability/labelled-histogram.ts';
import { tracedRequestListener, nameServerSpan, runInRequestContext, tracingActive } from '../observability/tracing.ts';
import http from 'node:http';
import type { Bindings, ChildLoggerOptions } from 'pino';
import { ConcurrencyGate, type RequestClassifier } from './concurrency-limit.ts';
import type { AdaptiveConcurrencyOptions } from './adaptive-concurrency.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  rateLimitWritesPerMinute: number;
  /** Proxies (addresses, CIDRs) whose X-Forwarded-* headers are believed; none when empty or absent. */
  trustProxy?: readonly string[];
  openapi?: { title: string; description: string };
  /**
   * The adaptive concurrency limit's settings (decision 0017), or undefined for none. With it, every route
   * gets the gate's hook; requests are limited once a role names their classes (setRequestClassifier).
   */
  concurrencyLimit?: Partial<AdaptiveConcurrencyOptions>;
}

/** How long a client is asked to wait (Retry-After, seconds) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The reply an error stands for: a domain error's (its kind's status) or an HTTP error's, and
 * DATABASE_UNAVAILABLE for a database connection failure (mapped here once for every route, not by
 * each); undefined for anything else.
 */
export function knownError(error: unknown): ErrorReply | undefined {
  const coded = codedErrorReply(error);
  if (coded) return coded;
  return isDatabaseUnavailable(error) ? codedErrorReply(DatabaseErrors.DATABASE_UNAVAILABLE()) : undefined;
}

/**
 * A 503 (a dependency down, the process not ready) tells the client when to come back: RETRY_AFTER_SECONDS
 * unless whoever refused the request said otherwise (the concurrency limit, by request class).
 */
export function setRetryAfter(reply: FastifyReply, statusCode: number): void {
  if (statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
}

/** The one error body shape: {"error": {"code", "message"}} (plus details when useful). */
export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: details ? { code, message, details } : { code, message } };
}

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    removeAdditional: false, // unknown fields are an error, not silently dropped
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    allErrors: false,
    strict: false,
  });
  addFormats(ajv);
  // RFC 3339 (ajv-formats' date-time) allows a leap second, 23:59:60, which a JavaScript Date cannot hold:
  // routes read a date-time with new Date(), and an Invalid Date then fails as a 500. A date-time here is
  // one that Date can represent.
  const rfc3339 = ajv.formats['date-time'] as { validate: (s: string) => boolean };
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => rfc3339.validate(s) && Number.isFinite(Date.parse(s)) });
  return ajv;
}

const htmlNotFoundPages = new WeakMap<object, () => string>();
const concurrencyGates = new WeakMap<object, ConcurrencyGate>();

/**
 * Limits the server's requests by class (the storefront role's classes): null from the classifier for a
 * request that must never be refused. Does nothing on a server built without a concurrency limit.
 */
export function setRequestClassifier(app: HttpServer, classify: RequestClassifier): void {
  concurrencyGates.get(app)?.setClassifier(classify);
}

/** The server's concurrency limit, when it has one (tests, the ops view). */
export function concurrencyGateOf(app: HttpServer): ConcurrencyGate | undefined {
  return concurrencyGates.get(app);
}

/**
 * Lets a role that serves pages (the storefront) answer a browser's request for an unknown page with
 * an HTML 404 page; API clients and everything under /api keep the JSON error.
 */
export function setHtmlNotFoundPage(app: HttpServer, renderPage: () => string): void {
  htmlNotFoundPages.set(app, renderPage);
}

function wantsHtmlPage(request: FastifyRequest): boolean {
  return (request.method === 'GET' || request.method === 'HEAD') && !request.url.startsWith('/api/')
    && (request.headers.accept ?? '').includes('text/html');
}

const SECURITY_HEADER_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:', 'https:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      formAction: ["'self'"],
      upgradeInsecureRequests: null,
    },
  },
};

/** Runs helmet once against a recording response and returns the headers it would set. */
export function staticSecurityHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) { headers[name.toLowerCase()] = String(value); },
    removeHeader(name: string) { delete headers[name.toLowerCase()]; },
    getHeader(name: string) { return headers[name.toLowerCase()]; },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => { if (err) throw err; });
  return headers;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function createHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: opts.bodyLimitBytes,
    // request.protocol, ip and host from X-Forwarded-* only when the peer is a listed proxy
    trustProxy: opts.trustProxy?.length ? [...opts.trustProxy] : false,
    // Per-request lines would drown the logs at peak; requests are counted and timed in metrics instead.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    // A request that arrives on an open keep-alive connection while draining is served (and told to close
    // the connection): the process is still whole, and a 503 would be a shopper-visible failure.
    return503OnClosing: false,
    requestIdHeader: 'x-request-id',
    // Most requests never log, so their child logger (pino copies and re-serialises the bindings, and
    // runs redaction set-up) is only made when something is written to it.
    childLoggerFactory: (logger, bindings, childOptions) => new LazyChildLogger(logger, bindings, childOptions),
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // Errors raised before routing (bad percent-encoding, over-long path segments) and by the HTTP parser
    // (oversized headers, timeouts) bypass the error handler; without these they would answer in
    // Fastify's own body shape instead of {"error":{"code","message"}}.
    frameworkErrors: (error, _request, reply) => {
      timeUnmatched(reply as FastifyReply);
      const mapped = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? HttpErrors.URI_TOO_LONG()
        : HttpErrors.BAD_REQUEST(error.code === 'FST_ERR_BAD_URL' ? 'The URL is not validly percent-encoded.' : undefined);
      (reply as FastifyReply).code(mapped.statusCode).send(errorBody(mapped.code, mapped.message));
    },
    clientErrorHandler,
    // The same server Fastify would create, with every request wrapped in a trace span when tracing is on.
    serverFactory: (handler, fastifyOptions) => {
      const options = fastifyOptions as { http?: http.ServerOptions; keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number; maxRequestsPerSocket?: number };
      const server = http.createServer(options.http ?? {}, tracedRequestListener(handler));
      server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
      server.requestTimeout = options.requestTimeout ?? 0;
      server.setTimeout(options.connectionTimeout ?? 0);
      if ((options.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket!;
      return server;
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const gate = opts.concurrencyLimit ? new ConcurrencyGate(opts.concurrencyLimit) : undefined;
  if (gate) {
    concurrencyGates.set(app, gate);
    app.addHook('onClose', (_instance, done) => { gate.close(); done(); });
  }

  // Per-route hooks, which know their route: RED metrics, and with tracing the span's name and the handler
  // running inside the request's span (see runInRequestContext). A request then looks nothing up (Fastify
  // builds a fresh routeOptions object on every access). Tracing starts (or not) before any role
  // registers its routes, so without it the handler is left as it is.
  app.addHook('onRoute', (route) => {
    const hooks = route as { onRequest?: unknown; onResponse?: unknown };
    const add = (existing: unknown, hook: unknown): unknown[] => (existing === undefined ? [hook] : [...[existing].flat(), hook]);
    hooks.onResponse = add(hooks.onResponse, responseTimer(route.url));
    // First of the route's own hooks: a request refused for overload costs as little as possible.
    if (gate) hooks.onRequest = add(hooks.onRequest, gate.hookFor(route.url));
    if (!tracingActive()) return;
    const url = route.url;
    hooks.onRequest = add(hooks.onRequest, (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
      nameServerSpan(request.raw, url);
      done();
    });
    const handler = route.handler;
    route.handler = function tracedHandler(this: unknown, request, reply) {
      return runInRequestContext(request.raw, () => handler.call(this as never, request, reply));
    };
  });

  // Node itself answers an Expect header other than 100-continue with an empty 417; a listener takes
  // that over, so the answer has the one error shape.
  app.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const err = HttpErrors.EXPECTATION_FAILED();
    const body = JSON.stringify(errorBody(err.code, err.message));
    res.writeHead(err.statusCode, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });

  // JSON bodies are validated strictly (a string is not a number); query strings, params and headers
  // are text on the wire and are coerced.
  const strictAjv = makeAjv(false);
  const coercingAjv = makeAjv(true);
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
    return withStorableText(ajv.compile(schema) as CompiledValidator) as ReturnType<Parameters<typeof app.setValidatorCompiler>[0]>;
  });

  // Security headers are the same on every response, so they are computed once (see
  // docs/decisions/0006-static-security-headers.md) and set by one cheap hook.
  const securityHeaders = staticSecurityHeaders(SECURITY_HEADER_OPTIONS);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    // 'close' follows the response's end or the client's going away, whichever comes first.
    httpRequestsInFlight.count++;
    httpRequestsReceived.count++;
    reply.raw.once('close', () => { httpRequestsInFlight.count--; });
    done();
  });
  await app.register(formbody, { bodyLimit: opts.bodyLimitBytes });
  // Only writes are limited. A read-only route gets no rate-limit hook at all (rather than one that runs on
  // every request to say "allowed"): the catalog is the hottest path of the shop.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (route.config?.rateLimit === undefined && methods.every((m) => READ_METHODS.has(m))) {
      route.config = { ...route.config, rateLimit: false };
    }
  });
  await app.register(rateLimit, {
    global: true,
    max: opts.rateLimitWritesPerMinute,
    timeWindow: 60_000,
    // Only writes are limited: browsing must never be throttled by a busy neighbour's cart.
    allowList: (req) => READ_METHODS.has(req.method),
    errorResponseBuilder: (_req, ctx) => {
      const err = HttpErrors.RATE_LIMITED(`Rate limit of ${ctx.max} writes per minute exceeded; retry in ${ctx.after}.`);
      return Object.assign(err, { statusCode: 429 });
    },
  });
  if (opts.openapi) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: opts.openapi.title, description: opts.openapi.description, version: '0.1.0' },
        components: {
          securitySchemes: {
            adminToken: { type: 'http', scheme: 'bearer', description: 'HOLDFAST_ADMIN_TOKEN' },
            orderToken: { type: 'http', scheme: 'bearer', description: 'accessToken returned by checkout' },
          },
        },
      },
      // A field with a default may be left out (Ajv fills it in), but TypeBox lists it as required.
      transform: ({ schema, url }) => ({
        url,
        schema: schema && {
          ...schema,
          ...(schema.querystring ? { querystring: defaultsOptional(schema.querystring) } : {}),
          ...(schema.body ? { body: defaultsOptional(schema.body) } : {}),
          ...(schema.headers ? { headers: defaultsOptional(schema.headers) } : {}),
        },
      }),
    });
  }

  app.setNotFoundHandler((request, reply) => {
    timeUnmatched(reply);
    const renderPage = htmlNotFoundPages.get(app);
    if (renderPage && wantsHtmlPage(request)) {
      return reply.code(404).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(renderPage());
    }
    const err = HttpErrors.NOT_FOUND(`No route for ${request.method} ${request.url.split('?')[0]}`);
    reply.code(404).send(errorBody(err.code, err.message));
  });

  // During a database outage every request that needs it fails: a few log lines say so, not one per request.
  const databaseDown = new FailureRun(opts.logger, 'requests needing the database');
  const poolBusy = new FailureRun(opts.logger, 'requests waiting for a database connection');
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const known = knownError(error);
    if (known) {
      if (known.code === 'DATABASE_UNAVAILABLE') databaseDown.failed(error, 'answering 503 DATABASE_UNAVAILABLE with Retry-After');
      else if (known.code === 'DATABASE_BUSY') poolBusy.failed(error, 'answering 503 DATABASE_BUSY with Retry-After');
      // A request refused for overload is the limit working (counted in holdfast_concurrency_shed_total), not a failure.
      else if (known.statusCode >= 500 && known.code !== 'OVERLOADED') request.log.error({ err: error }, 'request failed');
      setRetryAfter(reply, known.statusCode);
      return reply.code(known.statusCode).send(errorBody(known.code, known.message, known.details));
    }
    const fe = error as FastifyError;
    if (fe.validation) {
      const first = fe.validation[0];
      const where = fe.validationContext ?? 'request';
      const path = first?.instancePath ? `${where}${first.instancePath.replace(/\//g, '.')}` : where;
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      const message = `${path} ${first?.message ?? 'is invalid'}${extra ? `: "${extra}"` : ''}`;
      return reply.code(400).send(errorBody('VALIDATION_FAILED', message));
    }
    const mapped = mapFastifyError(fe);
    if (mapped) return reply.code(mapped.statusCode).send(errorBody(mapped.code, mapped.message));
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('INTERNAL', 'Internal error.'));
  });

  return app;
}

// PostgreSQL cannot store U+0000 in text, nor an unpaired UTF-16 surrogate in jsonb (JSON.stringify
// escapes it as "\ud800", which jsonb rejects). Either would surface as a database error, a 5xx, deep in
// some query; they are rejected at the door instead, as part of schema validation (a failure is reported
// like any other schema violation, with the path of the offending value).
type CompiledValidator = ((data: unknown, dataCxt?: unknown) => boolean | PromiseLike<unknown>) & { errors?: unknown; schemaEnv?: unknown };

function withStorableText(validate: CompiledValidator): CompiledValidator {
  const checked: CompiledValidator = (data, dataCxt) => {
    const valid = validate(data, dataCxt);
    if (valid !== true) { checked.errors = validate.errors; return valid; }
    const where = findUnstorableText(data, '');
    if (where === undefined) { checked.errors = null; return true; }
    checked.errors = [{ instancePath: where.replace(/\./g, '/'), message: 'contains a NUL character or an unpaired surrogate', params: {} }];
    return false;
  };
  // Fastify passes the parent object (so Ajv may coerce a root value) only to functions that carry this.
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}

/** A request's logger, made (as a pino child with the request id) the first time it is used. */
class LazyChildLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: Bindings;
  readonly #childOptions: ChildLoggerOptions;
  constructor(parent: FastifyBaseLogger, bindings: Bindings, childOptions: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#childOptions = childOptions;
  }
  get real(): FastifyBaseLogger { return this.#child ??= this.#parent.child(this.#bindings, this.#childOptions); }
  get level(): string { return this.real.level; }
  set level(level: string) { this.real.level = level; }
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  declare silent: LogFn;
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger { return this.real.child(bindings, options); }
}

// The log methods live on the prototype: a request that never logs allocates nothing for them.
for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const) {
  LazyChildLogger.prototype[level] = function (this: LazyChildLogger, ...args: unknown[]) {
    (this.real[level] as (...a: unknown[]) => void)(...args);
  } as LogFn;
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];
const statusClassOf = (status: number) => STATUS_CLASSES[Math.floor(status / 100) - 1] ?? `${Math.floor(status / 100)}xx`;

/** The onResponse hook of one route: observes the request's duration under its route label. */
function responseTimer(route: string) {
  const byMethodAndStatus = new Map<string, HistogramChild>();
  return (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (metricsSettings.httpEnabled) observeDuration(byMethodAndStatus, route, request.method, reply.statusCode, reply.elapsedTime);
    done();
  };
}

const unmatchedSeries = new Map<string, HistogramChild>();
/** Requests no route took (404s, malformed URLs) are timed under route="unmatched" when they finish. */
function timeUnmatched(reply: FastifyReply): void {
  if (!metricsSettings.httpEnabled) return;
  reply.raw.once('finish', () => observeDuration(unmatchedSeries, 'unmatched', reply.request.method, reply.statusCode, reply.elapsedTime));
}

function observeDuration(series: Map<string, HistogramChild>, route: string, method: string, status: number, elapsedMs: number): void {
  const statusClass = statusClassOf(status);
  const key = method + statusClass;
  let child = series.get(key);
  if (!child) {
    child = httpRequestDuration.labels({ route, method, status_class: statusClass });
    series.set(key, child);
  }
  child.observe(elapsedMs / 1000);
}

/** A copy of a JSON schema in which no object requires a property that has a default (for the docs). */
function defaultsOptional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(defaultsOptional);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = defaultsOptional(value);
  const properties = copy.properties as Record<string, { default?: unknown }> | undefined;
  if (Array.isArray(copy.required) && properties) {
    copy.required = (copy.required as string[]).filter((name) => properties[name]?.default === undefined);
  }
  return copy;
}

/** Text PostgreSQL can store: no NUL character, no unpaired surrogate (routes without a body schema check it themselves). */
export const isStorableText = (s: string): boolean => !s.includes('\u0000') && s.isWellFormed();
const storable = isStorableText;

/** Path of the first string (value or key) PostgreSQL cannot store, or undefined. Nesting beyond 64
 * levels is left to the schema (none here nests that deep), so hostile bodies cannot exhaust the stack. */
function findUnstorableText(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return storable(value) ? undefined : path;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  // Runs on every validated request (a product page's params too): a value's path is built only when
  // the search descends into it or finds it, not for every key (decision 0012).
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!storable(key)) return path;
    const v = record[key];
    if (typeof v === 'string') {
      if (!storable(v)) return `${path}.${key}`;
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    const found = findUnstorableText(v, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Answers HTTP parser errors (raw socket, no request object) in the one error shape. */
function clientErrorHandler(this: { log: FastifyBaseLogger }, err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const mapped = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? HttpErrors.REQUEST_TIMEOUT()
    : err.code === 'HPE_HEADER_OVERFLOW' ? HttpErrors.HEADERS_TOO_LARGE()
      : HttpErrors.BAD_REQUEST('The request is not valid HTTP/1.1.');
  // Not the error itself: its rawPacket holds the request bytes, Authorization header included.
  this.log.trace({ code: err.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(mapped.code, mapped.message));
    socket.write(`HTTP/1.1 ${mapped.statusCode} ${STATUS_CODES[mapped.statusCode] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

function mapFastifyError(fe: FastifyError): HttpError | undefined {
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return HttpErrors.INVALID_JSON(fe.message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return HttpErrors.EMPTY_BODY();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return HttpErrors.UNSUPPORTED_MEDIA_TYPE(fe.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HttpErrors.BODY_TOO_LARGE();
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return HttpErrors.BAD_REQUEST(fe.message);
    default:
      break;
  }
  if (fe.code === 'RATE_LIMITED' || fe.statusCode === 429) return HttpErrors.RATE_LIMITED(fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Fastify/plugin client errors (e.g. malformed URL encoding): keep the status, give a stable code.
    return new HttpError('BAD_REQUEST', fe.statusCode, fe.message);
  }
  return undefined;
}
