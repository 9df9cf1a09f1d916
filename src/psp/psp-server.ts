// One simulator account's HTTP server: Stripe's wire format (form-encoded bodies with bracket notation,
// JSON responses, Stripe error objects and headers, Bearer or Basic secret-key auth), the ledger behind
// it, and the psp.* faults applied to it at run time (latency, errors, timeouts, down).
import http from 'node:http';
import type net from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { Logger } from '../platform/observability/logger.ts';
import { registry } from '../platform/observability/metrics.ts';
import { pspRequestsTotal, pspRequestDuration } from './psp-metrics.ts';
import { tracedRequestListener, nameServerSpan, tracingActive } from '../platform/observability/tracing.ts';
import type { FaultReader } from '../faults/index.ts';
import { parseStripeForm, type FormObject } from './stripe-form.ts';
import { StripeError, StripeErrors } from './stripe-errors.ts';
import { unservedStripeRoute } from './unserved-stripe-routes.ts';
import { stripeId } from './psp-objects.ts';
import { executeWrite, type WriteResponse } from './psp-idempotency.ts';
import { isDatabaseUnavailable } from '../platform/db/database-errors.ts';
import { databaseProbe } from '../platform/db/database.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import {
  DEFAULT_API_VERSION, createPaymentIntent, confirmPaymentIntent, cancelPaymentIntent, retrievePaymentIntent,
  listPaymentIntents, searchPaymentIntents, createRefund, retrieveRefund, listRefundsEndpoint,
  type PspAccount, type PspResult, type RequestContext,
} from './psp-service.ts';

export interface PspServerOptions {
  account: PspAccount;
  pool: pg.Pool;
  faults?: FaultReader | undefined;
  logger: Logger;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Longest /readyz waits for the ledger's database before answering 503 (config readinessTimeoutMs). */
  readinessTimeoutMs: number;
}

export interface PspServer {
  readonly account: PspAccount;
  /** http://host:port, known once started. */
  readonly url: string;
  readonly port: number;
  /** True while psp.down holds it off the network. */
  readonly down: boolean;
  readonly app: FastifyInstance<http.Server, http.IncomingMessage, http.ServerResponse, FastifyBaseLogger>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type FaultPlan = { latencyMs: number; error?: { status: number; phase: 'before' | 'after' }; timeout?: { phase: 'before' | 'after' } };

interface PspRequestState { ctx?: RequestContext; plan?: FaultPlan; outcome?: string; started: bigint }

const BAD_CONTENT_TYPE = Symbol('bad-content-type');

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The secret key from `Authorization: Bearer sk_...` or HTTP Basic with the key as user name. */
export function presentedKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return bearer[1]!.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const user = decoded.split(':')[0] ?? '';
    return user || undefined;
  }
  return undefined;
}

/** A host clients can connect to: the wildcard addresses become loopback. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function createPspServer(opts: PspServerOptions): Promise<PspServer> {
  const { account, pool } = opts;
  const log = opts.logger.child({ component: 'psp', account: account.name });
  const ledgerAnswers = databaseProbe(pool, opts.readinessTimeoutMs);
  const expectedKey = digest(account.secretKey);
  let httpServer!: http.Server;
  let boundPort = opts.port;
  let started = false;
  let stopping = false;
  let isDown = false;
  let relisten: Promise<void> | undefined;
  const held = new Set<net.Socket>();
  const states = new WeakMap<FastifyRequest, PspRequestState>();

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
    genReqId: () => stripeId('req', 14),
    serverFactory: (handler) => {
      httpServer = http.createServer(tracedRequestListener(handler));
      httpServer.keepAliveTimeout = 30_000;
      return httpServer;
    },
    routerOptions: {
      ignoreTrailingSlash: true,
      maxParamLength: 500,
      // The router would parse the query string before any hook runs, i.e. before the API key is checked:
      // a request's parameters are read from its URL by the handler instead (readParams), once authenticated.
      querystringParser: () => ({}),
    },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseStripeForm(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, _body, done) => done(null, BAD_CONTENT_TYPE));

  const faultParams = <N extends 'psp.latency' | 'psp.errors' | 'psp.timeout' | 'psp.down'>(name: N) => {
    const p = opts.faults?.get(name);
    if (!p) return undefined;
    return !p.account || p.account === account.name ? p : undefined;
  };

  const planFaults = (): FaultPlan => {
    const plan: FaultPlan = { latencyMs: 0 };
    const latency = faultParams('psp.latency');
    if (latency) plan.latencyMs = latency.latencyMs + Math.floor(Math.random() * (latency.jitterMs ?? 0));
    const timeout = faultParams('psp.timeout');
    if (timeout && Math.random() < timeout.rate) {
      plan.timeout = { phase: timeout.phase ?? 'before' };
      return plan;
    }
    const errors = faultParams('psp.errors');
    if (errors && Math.random() < errors.rate) {
      const statuses = errors.statuses?.length ? errors.statuses : [500, 503];
      plan.error = { status: statuses[Math.floor(Math.random() * statuses.length)]!, phase: errors.phase ?? 'before' };
    }
    return plan;
  };

  const stateOf = (req: FastifyRequest): PspRequestState => {
    let s = states.get(req);
    if (!s) { s = { started: process.hrtime.bigint() }; states.set(req, s); }
    return s;
  };

  const record = (req: FastifyRequest, outcome: string, seconds: number) => {
    const labels = { account: account.name, route: req.routeOptions.url ?? 'unmatched', outcome };
    pspRequestsTotal.inc(labels);
    pspRequestDuration.observe(labels, seconds);
  };

  /** psp.timeout: never answer. The socket is held until the client gives up or the fault clears. */
  const hold = (req: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    const socket = req.raw.socket;
    const s = stateOf(req);
    held.add(socket);
    socket.once('close', () => {
      held.delete(socket);
      record(req, 'fault_timeout', Number(process.hrtime.bigint() - s.started) / 1e9);
    });
  };

  /** Drops the connection without an answer (the simulator is down or stopping). */
  const cut = (reply: FastifyReply) => {
    reply.hijack();
    reply.raw.socket?.destroy();
    return reply;
  };

  const sendError = (reply: FastifyReply, err: StripeError) => {
    if (err.status === 401) reply.header('www-authenticate', 'Basic realm="Stripe"');
    return reply.code(err.status).type('application/json').send(JSON.stringify({ error: err.body }));
  };

  app.addHook('onRequest', async (req, reply) => {
    const s = stateOf(req);
    reply.header('cache-control', 'no-cache, no-store');
    reply.header('request-id', req.id);
    if (!req.url.startsWith('/v1/')) return;
    const version = req.headers['stripe-version'];
    const apiVersion = typeof version === 'string' && version ? version : DEFAULT_API_VERSION;
    reply.header('stripe-version', apiVersion);
    if (isDown || stopping) return cut(reply);
    // Faults act like the network and load balancers in front of Stripe: before authentication.
    const plan = planFaults();
    s.plan = plan;
    if (plan.latencyMs > 0) {
      await sleep(plan.latencyMs);
      if (isDown || stopping) return cut(reply);
    }
    if (plan.timeout?.phase === 'before') { hold(req, reply); return reply; }
    if (plan.error?.phase === 'before') {
      s.outcome = 'fault_error';
      return sendError(reply, StripeErrors.apiError(plan.error.status));
    }
    const key = presentedKey(req.headers.authorization);
    if (!key) { s.outcome = 'unauthorized'; return sendError(reply, StripeErrors.missingApiKey()); }
    if (!timingSafeEqual(digest(key), expectedKey)) { s.outcome = 'unauthorized'; return sendError(reply, StripeErrors.invalidApiKey(key)); }
    if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(apiVersion)) {
      s.outcome = 'invalid_request';
      return sendError(reply, StripeErrors.invalidRequest(`Invalid Stripe API version: ${apiVersion}`, 'Stripe-Version'));
    }
    s.ctx = { account, apiVersion };
    return undefined;
  });

  app.addHook('onRequest', (req, _reply, done) => { if (tracingActive()) nameServerSpan(req.raw, req.routeOptions.url); done(); });

  app.addHook('onResponse', async (req, reply) => {
    if (!req.url.startsWith('/v1/')) return;
    const s = stateOf(req);
    const status = reply.statusCode;
    const outcome = s.outcome ?? (status < 300 ? 'succeeded' : status === 402 ? 'declined' : status === 401 ? 'unauthorized'
      : status === 404 ? 'not_found' : status === 409 ? 'conflict' : status < 500 ? 'invalid_request' : 'error');
    record(req, outcome, reply.elapsedTime / 1000);
  });

  // The ledger's database unreachable is the simulator's own outage: it answers as Stripe does for one of
  // its own, 503 api_error (a client retries with the same Idempotency-Key; the write did not commit, or
  // committed together with its idempotency record, which the retry then replays). Logged per outage.
  const ledgerDown = new FailureRun(log, 'simulator requests needing the ledger');
  app.setErrorHandler((error, req, reply) => {
    const s = stateOf(req);
    if (error instanceof StripeError) {
      if (error.body.type === 'idempotency_error') s.outcome = 'idempotency_error';
      return sendError(reply, error);
    }
    if (isDatabaseUnavailable(error)) {
      ledgerDown.failed(error, 'answering 503 api_error');
      s.outcome = 'error';
      return sendError(reply, StripeErrors.apiError(503));
    }
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (status < 500) {
      return sendError(reply, new StripeError(status === 413 ? 413 : 400, { type: 'invalid_request_error', message: `Invalid request: ${(error as Error).message}` }));
    }
    req.log.error({ err: error }, 'simulator request failed');
    s.outcome = 'error';
    return sendError(reply, StripeErrors.apiError(500));
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const unserved = unservedStripeRoute(req.method, path);
    return sendError(reply, unserved ? StripeErrors.unsupported(unserved) : StripeErrors.unrecognizedUrl(req.method, path));
  });

  const readParams = (req: FastifyRequest): FormObject => {
    const queryStart = req.url.indexOf('?');
    return queryStart < 0 ? {} : parseStripeForm(req.url.slice(queryStart + 1));
  };
  const bodyParams = (req: FastifyRequest): FormObject => {
    if (req.body === BAD_CONTENT_TYPE) {
      throw StripeErrors.invalidRequest(`Invalid request: the body must be application/x-www-form-urlencoded (got ${req.headers['content-type'] ?? 'none'}).`);
    }
    return (req.body ?? {}) as FormObject;
  };

  /** Sends a write's response, applying psp.errors / psp.timeout with phase 'after' (already committed). */
  const sendWrite = (req: FastifyRequest, reply: FastifyReply, res: WriteResponse) => {
    const s = stateOf(req);
    if (s.plan?.timeout?.phase === 'after') { hold(req, reply); return reply; }
    if (s.plan?.error?.phase === 'after') { s.outcome = 'fault_error'; return sendError(reply, StripeErrors.apiError(s.plan.error.status)); }
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string') reply.header('idempotency-key', key);
    if (res.replayOf) {
      s.outcome = 'replayed';
      reply.header('idempotent-replayed', 'true');
      reply.header('original-request', res.replayOf);
    }
    return reply.code(res.status).type('application/json').send(res.bodyText);
  };

  const sendRead = (req: FastifyRequest, reply: FastifyReply, res: PspResult) => {
    const s = stateOf(req);
    if (s.plan?.timeout?.phase === 'after') { hold(req, reply); return reply; }
    if (s.plan?.error?.phase === 'after') { s.outcome = 'fault_error'; return sendError(reply, StripeErrors.apiError(s.plan.error.status)); }
    return reply.code(res.status).type('application/json').send(JSON.stringify(res.body));
  };

  type Write = (tx: pg.PoolClient, ctx: RequestContext, params: FormObject, routeParams: Record<string, string>) => Promise<PspResult>;
  type Read = (db: pg.Pool, ctx: RequestContext, params: FormObject, routeParams: Record<string, string>) => Promise<PspResult>;

  const write = (url: string, fn: Write) => app.post(url, async (req, reply) => {
    const ctx = stateOf(req).ctx!;
    const params = bodyParams(req);
    const key = req.headers['idempotency-key'];
    const res = await executeWrite(pool, account, {
      idempotencyKey: typeof key === 'string' && key !== '' ? key : undefined,
      method: 'POST', path: req.url.split('?')[0]!, params, requestId: req.id,
    }, (tx) => fn(tx, ctx, params, req.params as Record<string, string>));
    return sendWrite(req, reply, res);
  });
  const read = (url: string, fn: Read) => app.get(url, async (req, reply) => {
    const ctx = stateOf(req).ctx!;
    return sendRead(req, reply, await fn(pool, ctx, readParams(req), req.params as Record<string, string>));
  });

  write('/v1/payment_intents', (tx, ctx, p) => createPaymentIntent(tx, ctx, p));
  write('/v1/payment_intents/:id/confirm', (tx, ctx, p, r) => confirmPaymentIntent(tx, ctx, r.id!, p));
  write('/v1/payment_intents/:id/cancel', (tx, ctx, p, r) => cancelPaymentIntent(tx, ctx, r.id!, p));
  read('/v1/payment_intents', (db, ctx, p) => listPaymentIntents(db, ctx, p));
  read('/v1/payment_intents/search', (db, ctx, p) => searchPaymentIntents(db, ctx, p));
  read('/v1/payment_intents/:id', (db, ctx, p, r) => retrievePaymentIntent(db, ctx, r.id!, p));
  write('/v1/refunds', (tx, ctx, p) => createRefund(tx, ctx, p));
  read('/v1/refunds', (db, ctx, p) => listRefundsEndpoint(db, ctx, p));
  read('/v1/refunds/:id', (db, ctx, p, r) => retrieveRefund(db, ctx, r.id!, p));

  // Not Stripe: liveness, readiness and metrics for operators (the psp role may run alone, without the
  // main port). Ready while the ledger's database answers and the simulator is not stopping.
  app.get('/healthz', async () => ({ status: 'ok', account: account.name, accountId: account.accountId }));
  app.get('/readyz', async (_req, reply) => {
    if (stopping) return reply.code(503).send({ status: 'draining', reason: 'shutting down' });
    if (!(await ledgerAnswers())) return reply.code(503).send({ status: 'unavailable', reason: 'ledger database unreachable' });
    return { status: 'ready', account: account.name };
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    httpServer.once('error', onError);
    httpServer.listen(port, opts.host, () => {
      httpServer.off('error', onError);
      resolve();
    });
  });

  const releaseHeld = () => {
    for (const socket of held) socket.destroy();
    held.clear();
  };

  /** Follows the faults: psp.down closes the listening socket (connection refused), clearing reopens it. */
  const applyFaults = () => {
    if (!started || stopping) return;
    const down = Boolean(faultParams('psp.down'));
    if (down && !isDown) {
      isDown = true;
      log.warn('psp.down: simulator stops listening');
      if (httpServer.listening) httpServer.close();
      httpServer.closeAllConnections();
      releaseHeld();
    } else if (!down && isDown && !relisten) {
      relisten = listen(boundPort).then(
        () => { isDown = false; log.warn({ port: boundPort }, 'psp.down cleared: simulator listening again'); },
        (err: Error) => log.error({ err, port: boundPort }, 'could not listen again after psp.down; will retry'),
      ).finally(() => { relisten = undefined; });
    }
    if (held.size > 0 && !faultParams('psp.timeout')) releaseHeld();
  };
  const unsubscribe = opts.faults?.subscribe(applyFaults);

  return {
    account,
    app,
    get url() { return `http://${connectableHost(opts.host)}:${boundPort}`; },
    get port() { return boundPort; },
    get down() { return isDown; },
    async start() {
      await app.ready();
      await listen(opts.port);
      boundPort = (httpServer.address() as net.AddressInfo).port;
      started = true;
      log.info({ url: `http://${opts.host}:${boundPort}`, accountId: account.accountId }, 'payment provider simulator listening');
      applyFaults();
    },
    async stop() {
      stopping = true;
      unsubscribe?.();
      await relisten?.catch(() => {});
      releaseHeld();
      if (httpServer.listening) {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        // In-flight requests get a moment to finish; then connections are cut.
        const force = setTimeout(() => httpServer.closeAllConnections(), 2000);
        await closed;
        clearTimeout(force);
      }
      await app.close();
    },
  };
}
