// The adaptive concurrency limit (adaptive-concurrency.ts, decision 0017) on a Fastify server: a gate each
// route's onRequest hook passes through. The server is built with the gate switched on or off (config
// concurrencyLimitEnabled); a role that wants its requests limited says which class each one belongs to
// (setRequestClassifier). Until it does, and for requests its classifier returns null for (health,
// readiness, metrics, ops, admin), nothing is limited. A request over the limit is answered at once with
// 503 OVERLOADED and its class's Retry-After, before its body is read or its handler runs: the error goes
// to the route's error handler, so an API client gets the JSON error and a shopper's page an HTML page.
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defineErrors } from '../errors/domain-error.ts';
import { registry } from '../observability/metrics.ts';
import { METRICS } from '../../telemetry/index.ts';
import { AdaptiveConcurrencyLimiter, REQUEST_CLASSES, type AdaptiveConcurrencyOptions, type AdaptiveConcurrencySnapshot, type RequestClass } from './adaptive-concurrency.ts';

export const AdmissionErrors = defineErrors('admission', {
  OVERLOADED: { kind: 'unavailable', message: 'The shop is busy; retry after the time in Retry-After.' },
});

/** What a classifier sees of a request: enough to tell checkout from browsing from a bot's search. */
export interface RequestToClassify {
  method: string;
  /** The route's pattern as registered (`/api/products/:slug`), not the URL: keys stay few. */
  route: string;
  /** The query asks for a search (`q`) or a page past the first (`cursor`): heavy reads no cache serves. */
  searchOrDeepPage: boolean;
  userAgent: string | undefined;
}

/** The class of a request, or null for a request the limit must never refuse. */
export type RequestClassifier = (request: RequestToClassify) => RequestClass | null;

type Done = (err?: Error) => void;

/** The limit of one server: classifies, admits or sheds, and releases a slot when its response is over. */
export class ConcurrencyGate {
  readonly limiter: AdaptiveConcurrencyLimiter;
  #classify: RequestClassifier | undefined;

  constructor(options: Partial<AdaptiveConcurrencyOptions>) {
    this.limiter = new AdaptiveConcurrencyLimiter(options);
    currentGates.add(this);
  }

  setClassifier(classify: RequestClassifier): void {
    this.#classify = classify;
  }

  /** The onRequest hook of the route `route`. */
  hookFor(route: string): (request: FastifyRequest, reply: FastifyReply, done: Done) => void {
    return (request, reply, done) => {
      const classify = this.#classify;
      if (classify === undefined) { done(); return; }
      const query = request.query as Record<string, unknown> | undefined;
      const requestClass = classify({
        method: request.method, route,
        searchOrDeepPage: query !== undefined && (query.q !== undefined || query.cursor !== undefined),
        userAgent: request.headers['user-agent'],
      });
      if (requestClass === null) { done(); return; }
      const started = performance.now();
      const decision = this.limiter.tryAcquire(requestClass, started, route);
      if (!decision.admitted) {
        // The class's Retry-After, which the error handlers keep (setRetryAfter does not overwrite it).
        reply.header('retry-after', String(decision.retryAfterSeconds)).header('cache-control', 'no-store');
        done(AdmissionErrors.OVERLOADED(undefined, { requestClass, retryAfterSeconds: decision.retryAfterSeconds }));
        return;
      }
      // 'close' fires once the response is sent and also when the client goes away first: the slot is
      // freed either way (release is idempotent).
      reply.raw.once('close', () => {
        const res = reply.raw;
        const outcome = !res.writableFinished ? 'ignore' : res.statusCode === 503 ? 'dropped' : 'success';
        const now = performance.now();
        decision.release(now, now - started, outcome);
      });
      done();
    };
  }

  close(): void {
    currentGates.delete(this);
  }
}

/** Gates of this process (one per server that limits; the metrics read them all). */
const currentGates = new Set<ConcurrencyGate>();

/** A figure of every live gate's limiter, per request class, summed over the gates (one process may run several servers). */
function sumByClass(pick: (s: AdaptiveConcurrencySnapshot) => Record<RequestClass, number>): Record<RequestClass, number> {
  const sums = Object.fromEntries(REQUEST_CLASSES.map((c) => [c, 0])) as Record<RequestClass, number>;
  for (const g of currentGates) {
    const figures = pick(g.limiter.snapshot());
    for (const c of REQUEST_CLASSES) sums[c] += figures[c];
  }
  return sums;
}

new client.Gauge({
  name: METRICS.concurrencyLimit.name,
  help: 'Adaptive concurrency limit of the process: requests it works on at once at most (decision 0017)',
  registers: [registry],
  collect() {
    this.reset();
    let total = 0;
    for (const g of currentGates) total += g.limiter.snapshot().limit;
    if (currentGates.size > 0) this.set(total);
  },
});

new client.Gauge({
  name: METRICS.concurrencyInflight.name,
  help: 'Requests in flight under the adaptive concurrency limit, by request class',
  labelNames: ['request_class'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (currentGates.size === 0) return;
    const inflight = sumByClass((s) => s.inflightByClass);
    for (const c of REQUEST_CLASSES) this.set({ request_class: c }, inflight[c]);
  },
});

new client.Counter({
  name: METRICS.concurrencyShed.name,
  help: 'Requests refused with 503 OVERLOADED by the adaptive concurrency limit, by request class',
  labelNames: ['request_class'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (currentGates.size === 0) return;
    const shed = sumByClass((s) => s.shedTotal);
    for (const c of REQUEST_CLASSES) this.inc({ request_class: c }, shed[c]);
  },
});
