// Distributed tracing with OpenTelemetry. W3C trace context flows from a storefront request through the
// payment job (its `traceparent` field) into the payment worker, the provider call (a `traceparent`
// header) and the provider's server span. Spans go to an OTLP/HTTP endpoint (Tempo, Jaeger, a collector,
// or the control role) through a batch processor with a bounded queue.
//
// Tracing is off unless started: every helper below then costs one check of a module variable, so the
// hot paths (HTTP handlers, DB queries) pay nothing when it is disabled.
import http from 'node:http';
import {
  context, propagation, trace, SpanKind, SpanStatusCode, ROOT_CONTEXT,
  type Attributes, type Context, type Link, type Span, type Tracer, type TextMapGetter, type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  TracerProvider, BatchSpanProcessor, ParentBasedSampler, SamplingDecision, TraceIdRatioBasedSampler,
  type Sampler, type SamplingResult, type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  ATTR_SERVICE_NAME, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_ROUTE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_PATH,
  ATTR_URL_FULL, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_DB_SYSTEM_NAME, ATTR_DB_QUERY_SUMMARY,
} from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP traces endpoint, e.g. http://tempo:4318/v1/traces. */
  endpoint?: string | undefined;
  /** Overrides the OTLP exporter (tests use the SDK's InMemorySpanExporter). */
  exporter?: SpanExporter | undefined;
  /** Fraction of new traces sampled (a continued trace follows its parent's decision). */
  sampleRatio: number;
  /** New traces started per second at most, on top of the ratio (0 = no limit). */
  maxTracesPerSecond?: number;
  /** Spans buffered for export at most; beyond it new spans are dropped rather than memory growing. */
  maxQueueSize: number;
  /** How often the batch processor exports. */
  exportIntervalMs?: number;
}

export interface Tracing {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
let tracer: Tracer | undefined;
let provider: TracerProvider | undefined;
let rootSampleRatio = 1;
let newTraceBudget: TraceBudget | undefined;
let contextManagerSet = false;

/**
 * At most `perSecond` new traces a second (a token bucket holding one second's worth). A trace costs the
 * same CPU whatever the traffic, so at a fixed ratio tracing would take a growing share of the CPU as a
 * surge grows; with the budget its cost is bounded, while ordinary traffic keeps the full ratio.
 */
class TraceBudget {
  #tokens: number;
  #refilledAt = performance.now();
  readonly #perSecond: number;
  constructor(perSecond: number) { this.#perSecond = perSecond; this.#tokens = perSecond; }
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#perSecond, this.#tokens + ((now - this.#refilledAt) / 1000) * this.#perSecond);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * Root sampling. A new trace of an incoming request has been decided already, by startServerSpan (ratio
 * and budget, before any span object exists), so its server span is kept; any other new trace is sampled
 * at the ratio by trace id. Continued traces follow their parent (ParentBasedSampler).
 */
class RootSampler implements Sampler {
  readonly #ratio: TraceIdRatioBasedSampler;
  constructor(ratio: number) { this.#ratio = new TraceIdRatioBasedSampler(ratio); }
  shouldSample(ctx: Context, traceId: string, _name: string, kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    if (kind === SpanKind.SERVER) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.#ratio.shouldSample(ctx, traceId);
  }
  toString(): string { return `RootSampler{server spans decided per request, others ${this.#ratio.toString()}}`; }
}

const headerGetter: TextMapGetter<http.IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => { carrier[key] = value; },
};

/** Starts tracing for this process. Returns undefined (tracing stays off) without an exporter or endpoint. */
export function startTracing(opts: TracingOptions): Tracing | undefined {
  const exporter = opts.exporter ?? (opts.endpoint ? new OTLPTraceExporter({ url: opts.endpoint, timeoutMillis: 5000 }) : undefined);
  if (!exporter) return undefined;
  if (!contextManagerSet) {
    // Async context (AsyncLocalStorage) is what lets a DB query find the request span it runs under.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(propagator);
    contextManagerSet = true;
  }
  const p = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: `holdfast-${opts.serviceName}` }),
    sampler: new ParentBasedSampler({ root: new RootSampler(opts.sampleRatio) }),
    spanProcessors: [new BatchSpanProcessor({
      exporter,
      maxQueueSize: opts.maxQueueSize,
      maxExportBatchSize: Math.min(512, opts.maxQueueSize),
      scheduledDelayMillis: opts.exportIntervalMs ?? 1000,
    })],
  });
  provider = p;
  tracer = p.getTracer('holdfast');
  rootSampleRatio = opts.sampleRatio;
  newTraceBudget = opts.maxTracesPerSecond ? new TraceBudget(opts.maxTracesPerSecond) : undefined;
  return {
    forceFlush: () => p.forceFlush(),
    shutdown: async () => {
      if (provider === p) { provider = undefined; tracer = undefined; }
      await p.shutdown();
    },
  };
}

export function tracingActive(): boolean {
  return tracer !== undefined;
}

/** The `traceparent` of the active span, to carry the trace across the queue; undefined when not tracing. */
export function currentTraceparent(): string | undefined {
  if (!tracer) return undefined;
  const span = trace.getActiveSpan();
  if (!span || !span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(context.active(), carrier, recordSetter);
  return carrier.traceparent;
}

/** Adds the active trace context (traceparent, tracestate) to outgoing request headers. */
export function injectTraceHeaders(headers: Record<string, string>): void {
  if (!tracer) return;
  propagator.inject(context.active(), headers, recordSetter);
}

function endWith(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
  span.end();
}

/**
 * Runs fn inside a child span of the active one. With `requireParent` nothing is recorded unless a
 * trace is in progress: background polling must not start a trace of its own for every query.
 */
export async function withSpan<T>(
  name: string, kind: SpanKind, attributes: Record<string, string | number | boolean>,
  fn: (span: Span | undefined) => Promise<T>, opts: { requireParent?: boolean; parent?: Context } = {},
): Promise<T> {
  if (!tracer) return fn(undefined);
  const parent = opts.parent ?? context.active();
  if (opts.requireParent && !trace.getSpan(parent)?.isRecording()) return fn(undefined);
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  try {
    const result = await context.with(trace.setSpan(parent, span), () => fn(span));
    span.end();
    return result;
  } catch (err) {
    endWith(span, err);
    throw err;
  }
}

/** A span per named PostgreSQL query, when the query runs under a traced operation. */
export function traceQuery<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!tracer) return fn();
  return withSpan(name, SpanKind.CLIENT, { [ATTR_DB_SYSTEM_NAME]: 'postgresql', [ATTR_DB_QUERY_SUMMARY]: name }, fn, { requireParent: true });
}

/** A client span for an outgoing HTTP call; the callback injects the returned context into its headers. */
export function traceHttpClient<T>(method: string, url: string, operation: string, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracer) return fn(undefined);
  const u = new URL(url);
  return withSpan(`${method} ${operation}`, SpanKind.CLIENT, {
    [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_FULL]: `${u.origin}${u.pathname}`,
    [ATTR_SERVER_ADDRESS]: u.hostname, [ATTR_SERVER_PORT]: Number(u.port || (u.protocol === 'https:' ? 443 : 80)),
  }, fn);
}

/** Continues the trace a job was enqueued under (its traceparent) with a consumer span around fn. */
export function traceJob<T>(name: string, traceparent: string | undefined, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  if (!tracer) return fn();
  const parent = traceparent ? propagator.extract(ROOT_CONTEXT, { traceparent }, headerGetter) : ROOT_CONTEXT;
  return withSpan(name, SpanKind.CONSUMER, attributes, fn, { parent });
}

// Server spans. The span starts when the request arrives (before any framework work) and ends when the
// response is finished; its context is kept per request so route handlers run inside it.
// Span exports to the control role (/v1/traces) are not traced either: each would be exported in turn.
const OPS_PATHS = /^\/(metrics|healthz|readyz|v1\/traces)(\?|$)/;
const serverContexts = new WeakMap<http.IncomingMessage, { span: Span; ctx: Context }>();

function startServerSpan(req: http.IncomingMessage, res: http.ServerResponse): Context | undefined {
  if (!tracer) return undefined;
  // Scrapes, probes and span exports are not shopper traffic: they would only fill the trace store (and,
  // tested first, they take nothing from the budget of new traces).
  if (OPS_PATHS.test(req.url ?? '')) return undefined;
  // A new trace is decided here, once (RootSampler keeps the server span of a request chosen here): a
  // request that is not sampled costs nothing more, no span object and no context.
  if (req.headers.traceparent === undefined) {
    if (rootSampleRatio < 1 && Math.random() >= rootSampleRatio) return undefined;
    if (newTraceBudget && !newTraceBudget.take()) return undefined;
  }
  const parent = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
  const method = req.method ?? 'GET';
  const span = tracer.startSpan(method, {
    kind: SpanKind.SERVER,
    attributes: { [ATTR_HTTP_REQUEST_METHOD]: method, [ATTR_URL_PATH]: (req.url ?? '/').split('?')[0]! },
  }, parent);
  const ctx = trace.setSpan(parent, span);
  serverContexts.set(req, { span, ctx });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  res.once('finish', end);
  res.once('close', end);
  return ctx;
}

/** Wraps a node:http request listener so every request gets a server span continuing its traceparent. */
export function tracedRequestListener(listener: http.RequestListener): http.RequestListener {
  return (req, res) => {
    const ctx = startServerSpan(req, res);
    if (!ctx) { listener(req, res); return; }
    context.with(ctx, () => listener(req, res));
  };
}

/** Names the request's server span after its route (low cardinality: /api/products/:slug). */
export function nameServerSpan(req: http.IncomingMessage, route: string | undefined): void {
  const entry = serverContexts.get(req);
  if (!entry || !route) return;
  entry.span.updateName(`${req.method} ${route}`);
  entry.span.setAttribute(ATTR_HTTP_ROUTE, route);
}

/**
 * Runs a route handler in its request's span context. Body parsing resumes on socket events outside
 * the context the request arrived in, so the handler re-enters it explicitly.
 */
export function runInRequestContext<T>(req: http.IncomingMessage, fn: () => T): T {
  const entry = tracer ? serverContexts.get(req) : undefined;
  return entry ? context.with(entry.ctx, fn) : fn();
}

export { SpanKind };
