// The ops console's routes (/ops, control role). Pages are server-rendered; every state-changing form is a
// POST that carries the session's CSRF token and answers with a redirect back to a page (so a reload never
// repeats it). The admin token is only ever in the sign-in form's body: it is exchanged for a session
// cookie (HttpOnly, SameSite=Strict, Secure over TLS) and never written into a page or a URL.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
// the parser and serialiser @fastify/cookie uses; its plugin is not registered here, since the storefront
// registers it on the same server when every role runs in one process
import { parseCookie, stringifySetCookie } from 'cookie';
import { isStorableText, type HttpServer } from '../platform/http/http-server.ts';
import { errorResponses, UuidSchema } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { clearFault, listFaultStates, setFault } from '../faults/index.ts';
import { renderPostmortemHtml, type IncidentResponder, type MetricsWindow } from '../incidents/index.ts';
import { OpsConsoleErrors } from './ops-console-errors.ts';
import { createSession, csrfMatches, endSession, findSession, type ConsoleSession } from './console-sessions.ts';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import type { Autoscaler } from '../autoscaler/index.ts';
import { clearStatusOverride, computeStatusPage, loadStatusInputs, overrideEnd, setStatusOverride, COMPONENT_STATUSES, STATUS_COMPONENTS, type ComponentStatusValue, type StatusComponentName } from '../incidents/index.ts';
import { countOrdersByStatus, listOrders } from '../orders/index.ts';
import { countDeadLetters, listDeadLetters, retryDeadLetter } from '../payments/index.ts';
import { changeWaitingRoomSettings, storedWaitingRoomSettings, type RoomChangeRecorder, type WaitingRoom, type WaitingRoomSettings } from '../waiting-room/index.ts';
import type { LiveStream } from './live-stream.ts';
import { capacityPage, paymentsPage, scalingPage, statusComponentsPage, waitingRoomPage } from './console-operations-views.ts';
import { listCapacityRuns } from '../capacity/index.ts';
import type { OverviewSnapshot } from './console-overview.ts';
import { alertsPage, faultsPage, incidentPage, incidentsPage, overviewPage, renderPanels, signInPage } from './console-views.ts';

export const SESSION_COOKIE = 'hf_ops_session';
/** The sign-in form's own CSRF token (double submit: the cookie and the form must agree). */
export const SIGN_IN_COOKIE = 'hf_ops_sign_in';
const SIGN_IN_COOKIE_SECONDS = 3600;
/** Who the timeline and the change log name for what is done from the console. */
const ACTOR = 'ops console';

/** Notices a form's redirect may ask for (?done=...): a fixed list, so no text reaches a page through a URL. */
const NOTICES: Record<string, string> = {
  acknowledged: 'Incident acknowledged.', resolved: 'Incident resolved.', noted: 'Note added to the timeline.',
  injected: 'Fault injected: every process follows within a second.', cleared: 'Fault cleared.',
  'room-changed': 'Waiting room settings saved: every storefront replica follows within a synchronisation.',
  'retried': 'The order is back on the payment queue.',
  'override-set': 'Component set by hand: the status page follows within its refresh (5 s).',
  'override-cleared': 'Component handed back to its automatic state.',
};
/** Capacity runs the capacity page lists (newest first). */
const CAPACITY_RUNS_SHOWN = 50;
/** Orders pending payment the payments page lists. */
const PENDING_SHOWN = 50;

export interface ConsoleRouteDeps {
  pool: pg.Pool;
  adminTokenSha256: string;
  sessionTtlSeconds: number;
  stream: LiveStream;
  overview(): Promise<OverviewSnapshot>;
  incidents: IncidentResponder;
  metrics: MetricsWindow;
  queue: JobQueue;
  autoscaler: Autoscaler;
  /** the waiting room's settings as the storefronts start with them (in force while none are stored) */
  waitingRoomConfigured(): Promise<WaitingRoomSettings>;
  /** the room itself, when this process runs the storefront role too (its live counts) */
  waitingRoom: WaitingRoom | undefined;
  changes: RoomChangeRecorder;
}

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();
const sessionOf = (req: FastifyRequest): ConsoleSession => sessions.get(req)!;
const cookiesOf = (req: FastifyRequest): Record<string, string | undefined> => (req.headers.cookie ? parseCookie(req.headers.cookie) : {});
const noticeOf = (req: FastifyRequest): string | undefined => NOTICES[String((req.query as { done?: unknown } | undefined)?.done ?? '')];
const formOf = (req: FastifyRequest): Record<string, unknown> => (req.body && typeof req.body === 'object' ? req.body as Record<string, unknown> : {});
/** A form field's text. The forms have no body schema, so the check every schema'd body gets is made here. */
const field = (req: FastifyRequest, name: string): string | undefined => {
  const v = formOf(req)[name];
  if (typeof v !== 'string') return undefined;
  if (!isStorableText(v)) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID(`${name} contains a NUL character or an unpaired surrogate.`);
  return v;
};

/** Only the console's own paths are followed after signing in. */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/ops(\/[A-Za-z0-9/_-]*)?$/.test(next) && !next.startsWith('/ops/sign-') ? next : '/ops';
}

/** A console cookie: HttpOnly and SameSite=Strict always; Secure when the request came over TLS. */
export function consoleCookie(name: string, value: string, opts: { path: string; maxAge: number; secure: boolean }): string {
  return stringifySetCookie({ name, value, path: opts.path, maxAge: opts.maxAge, httpOnly: true, sameSite: 'strict', secure: opts.secure });
}

function cookie(req: FastifyRequest, name: string, value: string, opts: { path: string; maxAge: number }): string {
  // Secure whenever the request came over TLS (or, from a proxy HOLDFAST_TRUST_PROXY lists, X-Forwarded-Proto says so):
  // a local console on http must still be able to sign in.
  return consoleCookie(name, value, { ...opts, secure: req.protocol === 'https' });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

async function uplotAssets(): Promise<{ js: string; css: string }> {
  const dist = path.dirname(createRequire(import.meta.url).resolve('uplot'));
  const [js, css] = await Promise.all([readFile(path.join(dist, 'uPlot.iife.min.js'), 'utf8'), readFile(path.join(dist, 'uPlot.min.css'), 'utf8')]);
  return { js, css };
}

export async function consoleRoutes(app: HttpServer, deps: ConsoleRouteDeps): Promise<void> {
  const assetsDir = path.join(import.meta.dirname, 'assets');
  const [uplot, script, styles] = await Promise.all([
    uplotAssets(), readFile(path.join(assetsDir, 'ops-console.js'), 'utf8'), readFile(path.join(assetsDir, 'ops-console.css'), 'utf8'),
  ]);
  const assets: Record<string, { type: string; body: string }> = {
    'uplot.iife.min.js': { type: 'text/javascript; charset=utf-8', body: uplot.js },
    'uplot.min.css': { type: 'text/css; charset=utf-8', body: uplot.css },
    'ops-console.js': { type: 'text/javascript; charset=utf-8', body: script },
    'ops-console.css': { type: 'text/css; charset=utf-8', body: styles },
  };
  const expectedToken = Buffer.from(deps.adminTokenSha256, 'hex');
  const hidden = { hide: true } as const;

  app.register(async (scope) => {
    // pages of a signed-in operator must never be kept by a browser or proxy
    scope.addHook('onSend', (req, reply, payload, done) => {
      if (!req.url.startsWith('/ops/assets/')) reply.header('cache-control', 'no-store');
      done(null, payload);
    });

    scope.get('/ops/assets/:file', { schema: { ...hidden, params: Type.Object({ file: Type.String({ maxLength: 64 }) }) } }, async (req, reply) => {
      const asset = assets[(req.params as { file: string }).file];
      if (!asset) throw OpsConsoleErrors.OPS_CONSOLE_ASSET_NOT_FOUND();
      return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
    });

    const signInForm = (req: FastifyRequest, reply: FastifyReply, status: number, error?: string) => {
      const preCsrf = randomBytes(24).toString('base64url');
      reply.header('set-cookie', cookie(req, SIGN_IN_COOKIE, preCsrf, { path: '/ops/sign-in', maxAge: SIGN_IN_COOKIE_SECONDS }));
      return reply.code(status).type('text/html; charset=utf-8').send(signInPage({ preCsrf, error, next: safeNext((req.query as { next?: unknown } | undefined)?.next ?? field(req, 'next')) }));
    };

    scope.get('/ops/sign-in', { schema: { ...hidden, querystring: Type.Object({ next: Type.Optional(Type.String({ maxLength: 200 })) }) } }, async (req, reply) => signInForm(req, reply, 200));

    scope.post('/ops/sign-in', { schema: hidden }, async (req, reply) => {
      const pre = cookiesOf(req)[SIGN_IN_COOKIE];
      const submitted = field(req, 'csrf');
      if (!pre || !submitted || !csrfMatches({ csrfToken: pre }, submitted)) throw OpsConsoleErrors.OPS_CONSOLE_CSRF_INVALID();
      const token = field(req, 'token') ?? '';
      if (!token || !timingSafeEqual(digest(token), expectedToken)) return signInForm(req, reply, 401, 'That is not the admin token.');
      const session = await createSession(deps.pool, deps.sessionTtlSeconds);
      reply.header('set-cookie', [
        cookie(req, SESSION_COOKIE, session.id, { path: '/ops', maxAge: deps.sessionTtlSeconds }),
        cookie(req, SIGN_IN_COOKIE, '', { path: '/ops/sign-in', maxAge: 0 }),
      ]);
      return reply.redirect(safeNext(field(req, 'next')), 303);
    });

    // everything else needs a session; a state-changing request also the session's CSRF token
    scope.register(async (ops) => {
      ops.addHook('preHandler', async (req, reply) => {
        const session = await findSession(deps.pool, cookiesOf(req)[SESSION_COOKIE]);
        if (!session) {
          if (req.method === 'GET' || req.method === 'HEAD') {
            const next = req.url.split('?')[0]!;
            return reply.redirect(`/ops/sign-in${next === '/ops' ? '' : `?next=${encodeURIComponent(safeNext(next))}`}`, 303);
          }
          throw OpsConsoleErrors.OPS_CONSOLE_SIGN_IN_REQUIRED();
        }
        if (req.method !== 'GET' && req.method !== 'HEAD' && !csrfMatches(session, field(req, 'csrf'))) throw OpsConsoleErrors.OPS_CONSOLE_CSRF_INVALID();
        sessions.set(req, session);
      });
      const page = (reply: FastifyReply, body: string) => reply.type('text/html; charset=utf-8').send(body);
      const IdParams = Type.Object({ id: UuidSchema });
      const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });
      const Done = Type.Object({ done: Type.Optional(Type.String({ maxLength: 32 })) });

      ops.post('/ops/sign-out', { schema: hidden }, async (req, reply) => {
        await endSession(deps.pool, cookiesOf(req)[SESSION_COOKIE]);
        // its live views here end now; those on other control replicas at their next session check
        deps.stream.endSession(sessionOf(req).key);
        reply.header('set-cookie', cookie(req, SESSION_COOKIE, '', { path: '/ops', maxAge: 0 }));
        return reply.redirect('/ops/sign-in', 303);
      });

      ops.get('/ops', { schema: { ...hidden, querystring: Done } }, async (req, reply) =>
        page(reply, overviewPage(await deps.overview(), { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) })));

      ops.get('/ops/events', { schema: hidden }, async (req, reply) => {
        if (deps.stream.closed) throw OpsConsoleErrors.OPS_CONSOLE_STOPPING();
        if (deps.stream.full) throw OpsConsoleErrors.OPS_CONSOLE_STREAMS_EXHAUSTED();
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          ...(reply.getHeaders() as Record<string, string>),
          'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no',
        });
        const { key, expiresAt } = sessionOf(req);
        deps.stream.add(res, { key, expiresAt });
      });

      ops.get('/ops/alerts', { schema: hidden }, async (req, reply) => page(reply, alertsPage(await deps.overview(), { csrf: sessionOf(req).csrfToken })));

      ops.get('/ops/incidents', { schema: hidden }, async (req, reply) =>
        page(reply, incidentsPage(await deps.incidents.list({ limit: 100 }), { csrf: sessionOf(req).csrfToken })));

      ops.get('/ops/incidents/:id', { schema: { ...hidden, params: IdParams, querystring: Done } }, async (req, reply) =>
        page(reply, incidentPage(await deps.incidents.get((req.params as { id: string }).id), { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) })));

      ops.get('/ops/incidents/:id/postmortem', { schema: { ...hidden, params: IdParams } }, async (req, reply) =>
        page(reply, renderPostmortemHtml(await deps.incidents.postmortem((req.params as { id: string }).id, deps.metrics))));

      ops.post('/ops/incidents/:id/acknowledge', { schema: { ...hidden, params: IdParams } }, async (req, reply) => {
        const { id } = req.params as { id: string };
        await deps.incidents.acknowledge(id, ACTOR);
        return reply.redirect(`/ops/incidents/${id}?done=acknowledged`, 303);
      });

      ops.post('/ops/incidents/:id/resolve', { schema: { ...hidden, params: IdParams } }, async (req, reply) => {
        const { id } = req.params as { id: string };
        const reason = field(req, 'reason')?.trim().slice(0, 500);
        await deps.incidents.resolve(id, ACTOR, reason || undefined);
        return reply.redirect(`/ops/incidents/${id}?done=resolved`, 303);
      });

      ops.post('/ops/incidents/:id/notes', { schema: { ...hidden, params: IdParams } }, async (req, reply) => {
        const { id } = req.params as { id: string };
        const text = field(req, 'text')?.trim() ?? '';
        if (!text || text.length > 2000) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('A note needs 1 to 2,000 characters of text.');
        await deps.incidents.addNote(id, text, ACTOR);
        return reply.redirect(`/ops/incidents/${id}?done=noted`, 303);
      });

      ops.get('/ops/faults', { schema: { ...hidden, querystring: Done } }, async (req, reply) =>
        page(reply, faultsPage(await listFaultStates(deps.pool), await deps.overview(), { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) })));

      ops.post('/ops/faults/:name', { schema: { ...hidden, params: NameParams } }, async (req, reply) => {
        const { name } = req.params as { name: string };
        const ttl = Number(field(req, 'ttlSeconds'));
        if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 3600) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('The expiry must be a whole number of seconds from 1 to 604,800 (a week).');
        let params: unknown;
        try { params = JSON.parse(field(req, 'params')?.trim() || '{}'); } catch { params = undefined; }
        if (!params || typeof params !== 'object' || Array.isArray(params)) throw OpsConsoleErrors.OPS_CONSOLE_FAULT_PARAMS_INVALID();
        await setFault(deps.pool, name, params, ttl, { source: ACTOR });
        return reply.redirect(`/ops/faults?done=injected#fault-${name}`, 303);
      });

      ops.post('/ops/faults/:name/clear', { schema: { ...hidden, params: NameParams } }, async (req, reply) => {
        const { name } = req.params as { name: string };
        await clearFault(deps.pool, name, { source: ACTOR });
        return reply.redirect(`/ops/faults?done=cleared#fault-${name}`, 303);
      });
      ops.get('/ops/scaling', { schema: hidden }, async (req, reply) => page(reply, scalingPage(deps.autoscaler.status(), { csrf: sessionOf(req).csrfToken })));

      ops.get('/ops/capacity', { schema: hidden }, async (req, reply) =>
        page(reply, capacityPage(await listCapacityRuns(deps.pool, { limit: CAPACITY_RUNS_SHOWN }), { csrf: sessionOf(req).csrfToken })));

      ops.get('/ops/waiting-room', { schema: { ...hidden, querystring: Done } }, async (req, reply) => {
        const [{ settings }, live] = await Promise.all([deps.waitingRoomConfigured().then((configured) => storedWaitingRoomSettings(deps.pool, configured)), deps.waitingRoom?.status()]);
        return page(reply, waitingRoomPage(settings, live, { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) }));
      });

      ops.post('/ops/waiting-room', { schema: hidden }, async (req, reply) => {
        const patch: Record<string, unknown> = {};
        const mode = field(req, 'mode');
        if (mode !== undefined) patch.mode = mode;
        for (const name of ['totalActiveUsers', 'newUsersPerMinute'] as const) {
          const v = field(req, name);
          if (v === undefined) continue;
          if (!/^[0-9]{1,9}$/.test(v.trim())) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID(`${name} must be a whole number.`);
          patch[name] = Number(v);
        }
        const queueAll = field(req, 'queueAll');
        if (queueAll !== undefined) {
          if (queueAll !== 'true' && queueAll !== 'false') throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('queueAll is true or false.');
          patch.queueAll = queueAll === 'true';
        }
        if (!Object.keys(patch).length) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('Nothing to change.');
        await changeWaitingRoomSettings(deps.pool, await deps.waitingRoomConfigured(), patch, { changes: deps.changes, source: ACTOR });
        return reply.redirect('/ops/waiting-room?done=room-changed', 303);
      });

      ops.get('/ops/status', { schema: { ...hidden, querystring: Done } }, async (req, reply) =>
        page(reply, statusComponentsPage(computeStatusPage(await loadStatusInputs(deps.pool, Date.now())), { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) })));

      const componentField = (req: FastifyRequest): StatusComponentName => {
        const name = field(req, 'component');
        if (!name || !(STATUS_COMPONENTS as readonly string[]).includes(name)) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID(`component is one of ${STATUS_COMPONENTS.join(', ')}.`);
        return name as StatusComponentName;
      };
      ops.post('/ops/status/override', { schema: hidden }, async (req, reply) => {
        const component = componentField(req);
        const status = field(req, 'status');
        if (!status || !(COMPONENT_STATUSES as readonly string[]).includes(status)) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID(`status is one of ${COMPONENT_STATUSES.join(', ')}.`);
        const reason = field(req, 'reason')?.trim() ?? '';
        if (!reason || reason.length > 500) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('A reason of 1 to 500 characters is needed.');
        const minutes = field(req, 'durationMinutes')?.trim() ?? '';
        if (minutes !== '' && !/^[0-9]{1,5}$/.test(minutes)) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('durationMinutes must be a whole number of minutes, or empty.');
        if (minutes !== '' && (Number(minutes) < 1 || Number(minutes) > 43_200)) throw OpsConsoleErrors.OPS_CONSOLE_FORM_INVALID('durationMinutes is 1 to 43200 (30 days), or empty.');
        const now = Date.now();
        await setStatusOverride(deps.pool, {
          component, status: status as ComponentStatusValue, reason, setBy: ACTOR, startsAt: now,
          endsAt: overrideEnd(minutes === '' ? {} : { durationMinutes: Number(minutes) }, now), source: ACTOR,
        });
        return reply.redirect('/ops/status?done=override-set', 303);
      });
      ops.post('/ops/status/override/clear', { schema: hidden }, async (req, reply) => {
        await clearStatusOverride(deps.pool, componentField(req), Date.now(), { source: ACTOR, clearedBy: ACTOR });
        return reply.redirect('/ops/status?done=override-cleared', 303);
      });

      ops.get('/ops/payments', { schema: { ...hidden, querystring: Done } }, async (req, reply) => {
        const [pending, counts, dead, deadCount] = await Promise.all([
          listOrders(deps.pool, { status: 'pending_payment', limit: PENDING_SHOWN }), countOrdersByStatus(deps.pool), listDeadLetters(deps.queue), countDeadLetters(deps.queue),
        ]);
        return page(reply, paymentsPage(pending.items, counts, { shown: dead, total: Math.max(deadCount, dead.length) }, { csrf: sessionOf(req).csrfToken, notice: noticeOf(req) }));
      });

      ops.post('/ops/payments/dead-letters/:id/retry', { schema: { ...hidden, params: IdParams } }, async (req, reply) => {
        await retryDeadLetter(deps.queue, deps.pool, (req.params as { id: string }).id);
        return reply.redirect('/ops/payments?done=retried', 303);
      });
    });
  });

  // The same overview as JSON, for scripts and the OpenAPI document (admin token, like every ops route).
  adminScope(app, deps.adminTokenSha256, (admin) => {
    admin.get('/api/ops/console/overview', {
      schema: {
        tags: ['operations'], security: ADMIN_SECURITY,
        summary: "The ops console's overview: rate, error ratio and p99 per component (last 5 minutes), SLO burns, payment backlog, breakers, replicas, waiting room, alerts with root causes, open incidents",
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errorResponses(401) },
      },
    }, async () => {
      const snapshot = await deps.overview();
      return { ...snapshot, panels: renderPanels(snapshot) };
    });
  });
}
