// The waiting room on the HTTP server: the hook that holds shoppers who are not admitted (the waiting page,
// or its JSON form on /api/* and for `Accept: application/json`), and its two routes,
// PUT /api/admin/waiting-room (settings) and GET /api/ops/waiting-room (state), both behind the admin token.
import { Type } from 'typebox';
import { Signer } from '@fastify/cookie';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/http-server.ts';
import { STATUS_OF_KIND } from '../platform/http/http-errors.ts';
import { errorResponses } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { isExemptFromWaitingRoom, type AdmissionDecision, type QueueStatus } from './admission.ts';
import { WAITING_ROOM_COOKIE, waitingRoomCookieOptions, type WaitingRoomPass } from './waiting-room-cookie.ts';
import { WAITING_ROOM_MESSAGES } from './waiting-room-errors.ts';
import { waitingPage } from './waiting-page.ts';
import { waitingRoomQueued } from './waiting-room-metrics.ts';
import type { WaitingRoom } from './waiting-room-service.ts';

/** Set on a shopper request the room let through while `mode: auto` measures the shop. */
const TIMED = 'waitingRoomTimed';
/** Set when the answer carries a pass of the shopper's own (not the shared entry pass). */
const OWN_PASS = 'waitingRoomOwnPass';
declare module 'fastify' {
  interface FastifyRequest { [TIMED]: boolean; [OWN_PASS]: boolean }
}

/** The storefront's signed cookies the room's scope reads (storefront/storefront-cookies.ts writes them). */
const CART_COOKIE = 'hf_cart';
const ORDER_PAGE = /^\/orders\/([0-9a-f-]{36})(?:\/|$)/i;
const ORDER_API = /^\/api\/orders\/[0-9a-f-]{36}$/i;
const CART_API = /^\/api\/carts\/[0-9a-f-]{36}(?:\/|$)/i;

/**
 * Installs the room in front of every route. `cookieSecret`: what the storefront signs its cart and order
 * cookies with (the admin token's hash), so the room knows a shopper's cart or order without the database.
 */
export function installWaitingRoom(app: HttpServer, room: WaitingRoom, cookieSecret: string): void {
  const signer = new Signer(cookieSecret, 'sha256');
  const signedValid = (raw: string | undefined) => raw !== undefined && signer.unsign(raw).valid;
  // `mode: auto` times the shopper requests the room let through (not operations, assets or waiting pages).
  // A flag on the request rather than a WeakSet of requests: a weak entry per request is work for every
  // garbage collection, at tens of thousands of requests a second.
  app.decorateRequest(TIMED, false);
  app.decorateRequest(OWN_PASS, false);
  // Every hook here is synchronous when the room is off (the default): no promise nor microtask turn per
  // request, nothing read, nothing set.
  // A completed checkout (the API's 202, the form's 303 to the order page) may end the shopper's session.
  app.addHook('onSend', (req, reply, payload, done) => {
    if (room.isOff()) return done(null, payload);
    if (req[OWN_PASS]) keepFromSharedCaches(reply);
    if (req.method !== 'POST') return done(null, payload);
    const path = req.url.split('?')[0];
    const completed = (path === '/api/checkout' && reply.statusCode === 202) || (path === '/checkout' && reply.statusCode === 303);
    if (completed && req.headers.cookie && room.revokeAfterCheckout(parseCookie(req.headers.cookie)[WAITING_ROOM_COOKIE], Date.now())) {
      appendSetCookie(reply, stringifySetCookie({ name: WAITING_ROOM_COOKIE, value: '', path: '/', httpOnly: true, sameSite: 'lax', maxAge: 0 }));
    }
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    if (req[TIMED]) room.recordLatency(reply.elapsedTime, Date.now());
    done();
  });
  app.addHook('onRequest', (req, reply, done) => {
    // Off (the default): nothing is read, nothing is set; the shop behaves as without a room.
    if (room.isOff()) return done();
    // A request the room answered (the waiting page, its JSON) goes no further: done is not called. Most
    // requests are decided in memory and go on at once, with no promise in between.
    let decided: Promise<void> | undefined;
    try {
      decided = admitOrQueue(req, reply);
    } catch (err) {
      return done(err as Error);
    }
    if (decided) decided.then(() => { if (!reply.sent) done(); }, done);
    else if (!reply.sent) done();
  });
  /** Lets the request through, or answers it; a promise only while a newcomer waits for the database. */
  function admitOrQueue(req: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const cookies = req.headers.cookie ? parseCookie(req.headers.cookie) : {};
    const orderPage = ORDER_PAGE.exec(path);
    const hasValidOrderToken = orderPage ? signedValid(cookies[`hf_order_${orderPage[1]!.toLowerCase()}`])
      // The order API checks the bearer token itself (a wrong one is a 404); holding one is what counts here.
      : ORDER_API.test(path) && /^Bearer \S+/i.test(req.headers.authorization ?? '');
    const hasCart = signedValid(cookies[CART_COOKIE]) || CART_API.test(path);
    if (isExemptFromWaitingRoom({ method: req.method, path, hasValidOrderToken, hasCart })) return;
    const now = Date.now();
    const decision = room.decide(cookies[WAITING_ROOM_COOKIE], now);
    if (decision instanceof Promise) return decision.then((d) => { answer(req, reply, path, d, now); });
    answer(req, reply, path, decision, now);
    return undefined;
  }
  function answer(req: FastifyRequest, reply: FastifyReply, path: string, decision: AdmissionDecision, now: number): void {
    if (decision.kind === 'pass_through') return;
    if (decision.kind === 'admit') {
      if (decision.setCookie) setPass(req, reply, room, decision.pass, now);
      if (room.measuresLatency()) req[TIMED] = true;
      return;
    }
    if (decision.kind === 'queue' && decision.pass && decision.setCookie) setPass(req, reply, room, decision.pass, now);
    if (decision.kind === 'queue') reply.header(WAITING_ROOM_HEADER, waitingRoomHeader(decision.status));
    if (wantsWaitingRoomJson(path, req.headers.accept)) {
      const json = waitingRoomJson(decision.status, now);
      waitingRoomQueued.inc({ form: decision.kind === 'reject' ? 'closed' : 'json' });
      reply.code(json.statusCode).headers(json.headers).send(json.body);
      return;
    }
    const page = waitingPage(decision.status, { statusCode: room.effective(now).queueingStatusCode, now, requestedPath: path });
    waitingRoomQueued.inc({ form: decision.kind === 'reject' ? 'closed' : 'page' });
    reply.code(page.statusCode).headers(page.headers).send(page.html);
  }
}

/**
 * The shared entry pass's Set-Cookie, per scheme: the room hands one pass object to the newcomers of one
 * second (issued that second, so its Max-Age is the same for all of them), signed and written here once.
 */
const entryCookies = new WeakMap<WaitingRoomPass, { http?: string; https?: string }>();

function setPass(req: FastifyRequest, reply: FastifyReply, room: WaitingRoom, pass: WaitingRoomPass, now: number): void {
  const nowS = Math.floor(now / 1000);
  const secure = req.protocol === 'https';
  const cookie = () => stringifySetCookie({ name: WAITING_ROOM_COOKIE, value: room.encode(pass), ...waitingRoomCookieOptions(pass, nowS, secure) });
  if (!pass.uncounted) {
    req[OWN_PASS] = true;
    return appendSetCookie(reply, cookie());
  }
  let made = entryCookies.get(pass);
  if (!made) entryCookies.set(pass, made = {});
  const scheme = secure ? 'https' : 'http';
  appendSetCookie(reply, made[scheme] ??= cookie());
}

/**
 * An answer that hands a shopper a pass of their own must not be kept by a shared cache (a CDN in front of
 * the shop) and handed to others with it: a catalog page's `public` becomes `private`, and an answer with
 * no Cache-Control gets `private`. The shared entry pass is the same for every newcomer of its second, so
 * an answer carrying it stays as cacheable as the route made it.
 */
function keepFromSharedCaches(reply: FastifyReply): void {
  const cacheControl = reply.getHeader('cache-control');
  if (cacheControl === undefined) reply.header('cache-control', 'private');
  else if (/\bpublic\b/i.test(String(cacheControl))) reply.header('cache-control', String(cacheControl).replace(/\bpublic\b/i, 'private'));
}

/** Adds a Set-Cookie header beside any the route sets (@fastify/cookie appends its own to these). */
function appendSetCookie(reply: FastifyReply, cookie: string): void {
  const existing = reply.getHeader('set-cookie');
  reply.header('set-cookie', existing === undefined ? cookie : [...[existing].flat().map(String), cookie]);
}

/**
 * On every answer that keeps a shopper waiting (the page and its JSON form): `Holdfast-Waiting-Room:
 * queued; position=12; wait=90; refresh=20` (`wait` absent when not known). A client that does not run the
 * page's script, or does not read its body (a load tester's shopper on a page), can tell it is waiting
 * from the headers alone, and where it stands.
 */
export const WAITING_ROOM_HEADER = 'holdfast-waiting-room';

export function waitingRoomHeader(status: QueueStatus): string {
  return [status.phase, `position=${status.position}`, ...(status.waitTimeKnown ? [`wait=${status.waitTimeSeconds}`] : []), `refresh=${Math.max(1, status.refreshIntervalSeconds)}`].join('; ');
}

/** The JSON a waiting shopper's client gets: on /api/*, and wherever the client asks for JSON rather than a page. */
export function wantsWaitingRoomJson(path: string, accept: string | undefined): boolean {
  if (path === '/api' || path.startsWith('/api/')) return true;
  const a = (accept ?? '').toLowerCase();
  return a.includes('application/json') && !a.includes('text/html');
}

export interface WaitingRoomJsonBody {
  error: { code: 'WAITING_ROOM' | 'WAITING_ROOM_CLOSED'; message: string };
  waitingRoom: {
    inWaitingRoom: boolean;
    position: number;
    waitTimeKnown: boolean;
    waitTimeSeconds: number;
    refreshIntervalSeconds: number;
    queueIsFull: boolean;
    queueAll: boolean;
  };
}

export interface WaitingRoomJsonResponse {
  statusCode: number;
  headers: { 'retry-after': string; 'cache-control': string };
  body: WaitingRoomJsonBody;
}

/** Most a closed room asks a client to wait before trying again, when no event says when it opens. */
const CLOSED_RETRY_AFTER_SECONDS = 300;

/**
 * The JSON form of the waiting page: 429 with Retry-After (the refresh interval) and the shopper's place,
 * or, when the room rejects everyone, 503 WAITING_ROOM_CLOSED with Retry-After until the next event (at
 * most five minutes). Never cached: it is one shopper's place at one moment.
 */
export function waitingRoomJson(status: QueueStatus, now: number): WaitingRoomJsonResponse {
  const waitingRoom = {
    inWaitingRoom: status.phase !== 'closed', position: status.position, waitTimeKnown: status.waitTimeKnown,
    waitTimeSeconds: status.waitTimeSeconds, refreshIntervalSeconds: status.refreshIntervalSeconds,
    queueIsFull: status.queueIsFull, queueAll: status.queueAll,
  };
  if (status.phase === 'closed') {
    const untilEvent = status.eventStartsAt === null ? CLOSED_RETRY_AFTER_SECONDS : Math.ceil((status.eventStartsAt - now) / 1000);
    return {
      statusCode: STATUS_OF_KIND.unavailable,
      headers: { 'retry-after': String(Math.max(1, Math.min(CLOSED_RETRY_AFTER_SECONDS, untilEvent))), 'cache-control': 'no-store' },
      body: { error: { code: 'WAITING_ROOM_CLOSED', message: WAITING_ROOM_MESSAGES.WAITING_ROOM_CLOSED }, waitingRoom },
    };
  }
  const message = status.phase === 'queue_full' ? 'The queue is full; try again in a little while.'
    : status.phase === 'prequeue' ? 'The sale has not started; you are in the queue for it.'
      : WAITING_ROOM_MESSAGES.WAITING_ROOM;
  return {
    statusCode: STATUS_OF_KIND.throttled,
    headers: { 'retry-after': String(Math.max(1, status.refreshIntervalSeconds)), 'cache-control': 'no-store' },
    body: { error: { code: 'WAITING_ROOM', message }, waitingRoom },
  };
}

const LimitsSchema = Type.Object({
  totalActiveUsers: Type.Integer(), newUsersPerMinute: Type.Integer(), sessionDurationSeconds: Type.Integer(),
  queueingMethod: Type.String(), queueAll: Type.Boolean(),
});

const StatusSchema = Type.Object({
  mode: Type.String({ description: 'off, on or auto' }),
  state: Type.String({ description: 'not_queueing, queueing, queue_all or event_prequeueing' }),
  limits: LimitsSchema,
  event: Type.Union([Type.Object({ name: Type.String(), phase: Type.String() }), Type.Null()]),
  auto: Type.Union([Type.Object({
    engaged: Type.Boolean(), newUsersPerMinute: Type.Integer(), pressure: Type.Number(), reason: Type.String(),
  }), Type.Null()], { description: 'mode auto: whether the room has engaged by itself, the rate it admits at, and why' }),
  activeUsers: Type.Integer(),
  queuedUsers: Type.Integer(),
  admittedLastMinute: Type.Integer(),
  estimatedWaitSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'For a shopper arriving now; null when not known' }),
  replicas: Type.Integer({ description: 'Storefront replicas that synchronised in the last 10 s' }),
  syncIntervalMs: Type.Integer(),
  settings: Type.Record(Type.String(), Type.Unknown()),
});

export function waitingRoomRoutes(app: HttpServer, deps: { room: WaitingRoom; adminTokenSha256: string }): void {
  adminScope(app, deps.adminTokenSha256, (admin) => {
    admin.get('/api/ops/waiting-room', {
      schema: {
        tags: ['waiting-room'], security: ADMIN_SECURITY,
        summary: 'The waiting room now: mode, state, limits in force, active and queued shoppers, admitted in the last minute, estimated wait',
        response: { 200: StatusSchema, ...errorResponses(401) },
      },
    }, async () => deps.room.status());

    admin.put('/api/admin/waiting-room', {
      schema: {
        tags: ['waiting-room'], security: ADMIN_SECURITY,
        summary: 'Change the waiting room settings (a JSON merge patch of the settings in force); every replica follows within a synchronisation',
        body: Type.Record(Type.String(), Type.Unknown(), { description: 'Any of the settings, e.g. {"mode":"on","totalActiveUsers":500}; docs/surge-protection.md' }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errorResponses(400, 401, 429) },
      },
    }, async (req) => deps.room.updateSettings(req.body));
  });
}
