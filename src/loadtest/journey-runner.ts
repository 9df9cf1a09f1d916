// One iteration of a journey: its steps in order, each timed from the moment it was meant to start.
// The first step's intended start is the iteration's scheduled time (open model) or the moment the
// virtual user got to it (closed model); a later step's is the end of the previous response plus the
// think time. A response that arrives late because the server stalled, or because this thread was
// busy, therefore shows its full delay in the figures.
import type { CompiledJourney, CompiledStep } from './compiled-scenario.ts';
import type { HttpClient, HttpOutcome, HttpRequest } from './http-dispatch.ts';
import type { ResponseView, ShopperSpec, Vars } from './scenario-types.ts';
import { CookieJar } from './cookie-jar.ts';
import { waitingRoomHeader } from './waiting-room-answer.ts';
import { TemplateError, variable, variables } from './template-engine.ts';
import type { WorkerRecorder, ResponseKind } from './worker-recorder.ts';
import type { ShopperTracer, ShopperTraces } from './shopper-trace.ts';

export interface RunnerContext {
  client: HttpClient;
  recorder: WorkerRecorder;
  /** performance.now() at the run's start. */
  t0: number;
  targetOrigin: string;
  /** The target URL's path prefix without a trailing slash ('' for a bare origin). */
  basePath: string;
  timeoutMs: number;
  originAllowed(origin: string): boolean;
  /** Variables from the scenario's data and setup (set when the run starts; the runner keeps them in a variables() object). */
  shared: Vars;
  budget: { remaining: number };
  /** Set at the hard stop: steps still to run are not started. */
  halted: { value: boolean };
  /** Set at the end of the schedule when iterations should not start further steps (requests in flight finish). */
  draining?: { value: boolean };
  /** Requests in flight now (for the concurrency series). */
  active: { requests: number; iterations: number };
  /** The requests of steps whose request never changes, built on first use (filled by the runner). */
  constantRequests?: Map<CompiledStep, HttpRequest>;
  /** Each iteration a new shopper: its own cookie jar, waiting in a waiting room (the scenario's `shopper`). */
  shopper?: ShopperSpec;
  /** A response slower than this (ms) marks the iteration affected, as an error does; an `until` step's wait is exempt. */
  requestObjectiveMs?: number;
  /** One record per shopper, when the run asks for them (shopper-trace.ts). */
  shopperTraces?: ShopperTraces;
}

export type IterationOutcome = 'completed' | 'failed' | 'interrupted' | 'budget';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(ctx: RunnerContext, req: HttpRequest): Promise<HttpOutcome> {
  return new Promise((resolve) => ctx.client.send(req, resolve));
}

const absoluteCache = new Map<string, { origin: string; path: string }>();
function splitAbsolute(url: string): { origin: string; path: string } {
  let hit = absoluteCache.get(url);
  if (!hit) {
    const u = new URL(url);
    hit = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (absoluteCache.size < 1000) absoluteCache.set(url, hit);
  }
  return hit;
}

function responseView(outcome: HttpOutcome, durationMs: number): ResponseView {
  let parsed: { value: unknown } | undefined;
  return {
    status: outcome.status, headers: outcome.headers, body: outcome.body, durationMs,
    json() {
      parsed ??= { value: JSON.parse(outcome.body) };
      return parsed.value;
    },
  };
}

/** "HTTP 409 OUT_OF_STOCK" from a Holdfast-style error body ({"error":{"code":...}}), else "HTTP 409". */
function statusMessage(outcome: HttpOutcome): string {
  if (outcome.body.startsWith('{')) {
    try {
      const code = (JSON.parse(outcome.body) as { error?: { code?: unknown } }).error?.code;
      if (typeof code === 'string') return `HTTP ${outcome.status} ${code.slice(0, 60)}`;
    } catch { /* not JSON */ }
  }
  return `HTTP ${outcome.status}`;
}

/**
 * How long a waiting room asks this shopper to wait before asking again (seconds), when the answer is
 * Holdfast's (and Cloudflare's) JSON form of the waiting room: 429 {"error":{"code":"WAITING_ROOM"},
 * "waitingRoom":{"inWaitingRoom":true,"refreshIntervalSeconds":N}}, or any answer with Holdfast's
 * `Holdfast-Waiting-Room: queued; ...; refresh=N` header (its waiting page, whose body a page step does not
 * read); undefined for any other answer.
 */
export function waitingRoomRefreshSeconds(outcome: HttpOutcome): number | undefined {
  const header = waitingRoomHeader(outcome);
  if (header) return Math.min(header.refreshSeconds, 300);
  if (outcome.status !== 429 || !outcome.body.startsWith('{')) return undefined;
  try {
    const body = JSON.parse(outcome.body) as { error?: { code?: unknown }; waitingRoom?: { inWaitingRoom?: unknown; refreshIntervalSeconds?: unknown } };
    if (body.error?.code !== 'WAITING_ROOM' || body.waitingRoom?.inWaitingRoom !== true) return undefined;
    const refresh = body.waitingRoom.refreshIntervalSeconds;
    // A room that gives no usable interval is asked again after a second, as a browser's page would.
    return typeof refresh === 'number' && Number.isFinite(refresh) && refresh >= 1 ? Math.min(refresh, 300) : 1;
  } catch {
    return undefined;
  }
}

/** The request with the iteration's cookies, reading the response's headers so Set-Cookie reaches the jar. */
function withCookies(request: HttpRequest, jar: CookieJar): HttpRequest {
  const cookie = jar.header();
  if (cookie === undefined && request.readHeaders) return request;
  return { ...request, headers: cookie === undefined ? request.headers : { ...request.headers, cookie }, readHeaders: true };
}

/** The request a step sends with these variables; throws a TemplateError when one of them is missing. */
function buildRequest(ctx: RunnerContext, step: CompiledStep, vars: Vars): HttpRequest {
  pickInto(step, vars);
  const url = step.url(vars);
  let origin: string;
  let path: string;
  if (url.startsWith('http://') || url.startsWith('https://')) ({ origin, path } = splitAbsolute(url));
  else { origin = ctx.targetOrigin; path = ctx.basePath + (url.startsWith('/') ? url : `/${url}`); }
  return {
    origin, path, method: step.method, headers: step.headers(vars), body: step.body(vars), timeoutMs: step.timeoutMs ?? ctx.timeoutMs,
    readBody: step.needsBody, readHeaders: step.checks.length > 0 || step.extract !== undefined,
  };
}

function constantRequest(ctx: RunnerContext, step: CompiledStep, vars: Vars): HttpRequest {
  const built = (ctx.constantRequests ??= new Map());
  let request = built.get(step);
  if (request === undefined) {
    request = buildRequest(ctx, step, vars);
    built.set(step, request);
  }
  return request;
}

function pickInto(step: CompiledStep, vars: Vars): void {
  for (const [name, listName] of step.pick) {
    const list = variable(vars, listName);
    if (!Array.isArray(list) || list.length === 0) throw new TemplateError(`pick ${name} from "${listName}": it is ${Array.isArray(list) ? 'an empty list' : 'not a list'}`);
    vars[name] = list[Math.floor(Math.random() * list.length)];
  }
}

/**
 * Runs one journey. Resolves with how it ended; every measurement goes to ctx.recorder. `into`: the
 * variables to run with and extract into (made by variables()); by default a new layer over ctx.shared.
 */
export async function runIteration(ctx: RunnerContext, journey: CompiledJourney, intendedStart: number, vu: number, iteration: number, into?: Vars): Promise<IterationOutcome> {
  const shopper = { slow: false, error: false };
  const trace = ctx.shopperTraces?.begin(journey.name, intendedStart);
  const outcome = await runSteps(ctx, journey, intendedStart, vu, iteration, shopper, into, trace);
  trace?.end(outcome);
  if (shopper.slow || shopper.error) ctx.recorder.iterations.affected++;
  if (shopper.error) ctx.recorder.iterations.affectedByErrors++;
  return outcome;
}

async function runSteps(ctx: RunnerContext, journey: CompiledJourney, intendedStart: number, vu: number, iteration: number, shopper: { slow: boolean; error: boolean }, into: Vars | undefined, trace: ShopperTracer | undefined): Promise<IterationOutcome> {
  // Each iteration's own variables sit on top of the shared ones (data and setup), which it never changes.
  // Every layer is a null-prototype object, so the chain holds variables only: shared variables that
  // arrive as an ordinary object (a structured clone from the main thread) are copied into one, once.
  if (into === undefined && Object.getPrototypeOf(ctx.shared) !== null) ctx.shared = variables(ctx.shared);
  const vars: Vars = into ?? (Object.create(ctx.shared) as Vars);
  vars.$vu = vu;
  vars.$iteration = iteration;
  let intended = intendedStart;
  const { recorder } = ctx;
  const jar = ctx.shopper?.cookies ? new CookieJar() : undefined;
  const waitsInRoom = ctx.shopper?.waitingRoom === true;
  /** When this shopper was first told to wait in the room (the intended start of that request), while queued. */
  let queuedSince: number | undefined;
  /** When the `until` step being polled started (its first request's intended start), while it polls. */
  let pollingSince: number | undefined;
  let first = true;
  /** The run ended with this shopper still in the queue. */
  const interrupted = (): IterationOutcome => {
    if (queuedSince !== undefined) recorder.stillQueuedAtEnd();
    return 'interrupted';
  };
  for (let s = 0; s < journey.steps.length; s++) {
    const step = journey.steps[s]!;
    if (ctx.halted.value || (!first && ctx.draining?.value)) return interrupted();
    first = false;
    if (ctx.budget.remaining <= 0) { recorder.budgetExhausted = true; return 'budget'; }
    let request: HttpRequest;
    try {
      request = step.constantRequest ? constantRequest(ctx, step, vars) : buildRequest(ctx, step, vars);
    } catch (err) {
      // A missing variable means an earlier step did not deliver: record it as a failed check.
      recorder.check(step.key, `variables for the request (${(err as Error).message.slice(0, 80)})`, false);
      return 'failed';
    }
    if (!ctx.originAllowed(request.origin)) {
      recorder.check(step.key, `${request.origin} is not loopback (use --allow-remote)`, false);
      return 'failed';
    }
    let now = performance.now();
    const wait = intended - now;
    if (wait > 1) {
      await sleep(wait);
      if (ctx.draining?.value) return interrupted();
      now = performance.now();
    }
    if (ctx.halted.value) return interrupted();
    ctx.budget.remaining--;
    const active = ctx.active;
    active.requests++;
    recorder.concurrency(Math.floor((now - ctx.t0) / 1000), active.requests, active.iterations);
    const outcome = await send(ctx, jar ? withCookies(request, jar) : request);
    active.requests--;
    jar?.store(outcome.headers['set-cookie']);
    if (waitsInRoom) {
      const refreshSeconds = waitingRoomRefreshSeconds(outcome);
      if (refreshSeconds !== undefined) {
        // In the queue: not a response of the step, nor part of its latency. Ask again after the interval.
        queuedSince ??= intended;
        recorder.waitingRoomPoll();
        trace?.waiting(outcome, now);
        intended = outcome.endedAt + refreshSeconds * 1000;
        s--;
        continue;
      }
      if (queuedSince !== undefined) {
        // A refresh that timed out or got a 5xx did not let the shopper in: the shopper failed while waiting.
        if (outcome.failure || outcome.status >= 500) recorder.failedWhileQueued();
        else recorder.queued((intended - queuedSince) * 1000);
        queuedSince = undefined;
        trace?.leftQueue(outcome);
      }
    }
    let kind: ResponseKind;
    if (outcome.failure) kind = outcome.failure.kind;
    else if (step.expect ? step.expect.has(outcome.status) : outcome.status >= 200 && outcome.status < 400) kind = 'ok';
    else kind = 'status';
    let untilMessage: string | undefined;
    if (step.until && kind === 'ok') {
      // Not yet: ask again after the interval, while the step's time keeps running from its first request.
      pollingSince ??= intended;
      if (!step.until.met(responseView(outcome, outcome.endedAt - pollingSince))) {
        const next = outcome.endedAt + step.until.intervalMs;
        if (next - pollingSince < step.until.timeoutMs) { intended = next; s--; continue; }
        kind = 'timeout';
        untilMessage = `until ${step.until.text}: not met within ${step.until.timeoutMs / 1000} s`;
      }
    }
    if (pollingSince !== undefined) { intended = pollingSince; pollingSince = undefined; }
    const latencyMs = outcome.endedAt - intended;
    const sec = Math.floor((outcome.endedAt - ctx.t0) / 1000);
    recorder.response(step.key, sec, latencyMs * 1000, kind, outcome.status, outcome.bytes, untilMessage ?? (kind === 'status' ? statusMessage(outcome) : outcome.failure?.message));
    if (kind !== 'ok' && kind !== 'interrupted') shopper.error = true;
    else if (kind === 'ok' && !step.until && ctx.requestObjectiveMs !== undefined && latencyMs > ctx.requestObjectiveMs) shopper.slow = true;
    if (kind !== 'interrupted') trace?.response(request.method, request.path, latencyMs, outcome.status, kind === 'ok');
    if (kind === 'interrupted') return 'interrupted';
    if (kind === 'ok' || kind === 'status') {
      if (step.checks.length || step.extract) {
        const view = responseView(outcome, latencyMs);
        for (const c of step.checks) {
          let pass = false;
          try { pass = c.test(view, vars) === true; } catch { pass = false; }
          recorder.check(step.key, c.name, pass);
          if (!pass) shopper.error = true;
        }
        if (step.extract && kind === 'ok' && !step.stopOn?.has(outcome.status)) {
          let missing: string[];
          try { missing = step.extract(view, vars); } catch { missing = ['(extractor failed)']; }
          recorder.check(step.key, 'extracted values', missing.length === 0);
          if (missing.length && !step.continueOnError) return 'failed';
        }
      }
    }
    if (kind !== 'ok' && !step.continueOnError) return 'failed';
    if (kind === 'ok' && step.stopOn?.has(outcome.status)) return 'completed';
    intended = outcome.endedAt;
    if (step.think) intended += (step.think.min + Math.random() * (step.think.max - step.think.min)) * 1000;
  }
  return 'completed';
}
