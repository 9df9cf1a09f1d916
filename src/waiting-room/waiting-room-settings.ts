// The waiting room's settings: Cloudflare Waiting Room's names and rules (docs/surge-protection.md), in
// camelCase, plus what Holdfast adds (`mode: auto` and its objective, the refresh interval). One TypeBox
// schema validates the configured settings and every `PUT /api/admin/waiting-room`; the rules a schema
// cannot say (an event's times in order, limits overridden together, no overlapping events) are checked
// after it, and every problem of both kinds is listed at once, each named by its place in the JSON.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { schemaProblems, type SchemaProblem } from '../platform/config/schema-problems.ts';

const MAX_INT = 2_147_483_647;

const totalActiveUsers = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_INT, description });
const newUsersPerMinute = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_INT, description });
const sessionDurationSeconds = (description: string) => Type.Integer({ minimum: 1, maximum: 1800, description });
const queueingMethod = (options: { default?: string } = {}) => Type.Enum(['fifo', 'random', 'passthrough', 'reject'], {
  ...options,
  description: 'fifo: in order of arrival; random: each refresh is an equal draw for the open places; passthrough: everyone enters (counted); reject: nobody enters',
});
const Timestamp = (description: string) => Type.String({ format: 'date-time', description });

export const WaitingRoomEventSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Unique name: letters, digits, hyphens and underscores' }),
  description: Type.Optional(Type.String({ maxLength: 500 })),
  eventStartTime: Timestamp('When the event starts; its settings apply from then (at least 1 minute before eventEndTime)'),
  eventEndTime: Timestamp('When the event ends and the room\'s own settings apply again'),
  prequeueStartTime: Type.Optional(Type.Union([Timestamp('From then on every new shopper queues until the start (at least 5 minutes before eventStartTime)'), Type.Null()])),
  shuffleAtEventStart: Type.Boolean({ default: false, description: 'Shoppers who arrived while prequeueing get places in random order at the start (needs prequeueStartTime)' }),
  suspended: Type.Boolean({ default: false, description: 'A suspended event is ignored' }),
  totalActiveUsers: Type.Optional(totalActiveUsers('Overrides the room\'s; overridden together with newUsersPerMinute')),
  newUsersPerMinute: Type.Optional(newUsersPerMinute('Overrides the room\'s; overridden together with totalActiveUsers')),
  sessionDurationSeconds: Type.Optional(sessionDurationSeconds('Overrides the room\'s')),
  disableSessionRenewal: Type.Optional(Type.Boolean()),
  queueingMethod: Type.Optional(queueingMethod()),
}, { additionalProperties: false });

export const WaitingRoomAutoSchema = Type.Object({
  latencyObjectiveMs: Type.Integer({ default: 500, minimum: 10, maximum: 60_000, description: 'p99 of the storefront\'s pages that admitted shoppers must stay under (the browse SLO)' }),
  eventLoopUtilizationMax: Type.Number({ default: 0.9, minimum: 0.1, maximum: 1, description: 'Event-loop utilisation past which the shop counts as saturated, whatever its latency' }),
  minNewUsersPerMinute: Type.Integer({ default: 30, minimum: 1, maximum: MAX_INT, description: 'The room never admits fewer new shoppers a minute than this while engaged' }),
  disengageAfterSeconds: Type.Integer({ default: 60, minimum: 1, maximum: 3600, description: 'How long the queue must stay empty with latency back under the objective before the room stops queueing' }),
}, { additionalProperties: false, default: {} });

export const WaitingRoomSettingsSchema = Type.Object({
  mode: Type.Enum(['off', 'on', 'auto'], { default: 'off', description: 'off: nobody queues; on: the limits below apply; auto: the room engages by itself when the shop\'s latency heads past the objective and admits at the rate that keeps it there' }),
  totalActiveUsers: totalActiveUsers('Shoppers in the shop at once at most (Cloudflare: about 75% of what the shop serves well)'),
  newUsersPerMinute: newUsersPerMinute('Shoppers let in per minute at most, queued or new (at most totalActiveUsers)'),
  sessionDurationSeconds: sessionDurationSeconds('A shopper stays active while they make a request at least this often'),
  disableSessionRenewal: Type.Boolean({ default: false, description: 'true: a visit lasts sessionDurationSeconds from admission, whatever the shopper does' }),
  queueingMethod: queueingMethod({ default: 'fifo' }),
  queueAll: Type.Boolean({ default: false, description: 'Emergency stop: admit nobody new (shoppers already in stay in)' }),
  revokeSessionAfterCheckout: Type.Boolean({ default: false, description: 'true: a completed checkout frees the shopper\'s place at once (Cloudflare\'s revoke); shopping again then means queueing again' }),
  queueingStatusCode: Type.Union([Type.Literal(200), Type.Literal(202), Type.Literal(429)], { default: 200, description: 'HTTP status of the waiting page (the JSON form is always 429)' }),
  refreshIntervalSeconds: Type.Integer({ default: 20, minimum: 1, maximum: 300, description: 'How often a queued shopper\'s page asks again; with FIFO and a frontier moving at a known pace, each shopper of a queue of 1,000 or more is asked back at their turn instead (at most six intervals later, and 2 minutes)' }),
  maxQueuedUsers: Type.Integer({ default: 0, minimum: 0, maximum: MAX_INT, description: 'Queue length past which new arrivals are told the queue is full (0: no limit)' }),
  auto: WaitingRoomAutoSchema,
  events: Type.Array(WaitingRoomEventSchema, { default: [], maxItems: 5, description: 'Scheduled events, such as a planned sale (at most five; they may not overlap)' }),
}, { additionalProperties: false });

// The required numbers get their defaults here rather than in the schema, so that a PUT of an
// incomplete object is still told nothing is missing only because the stored settings had it.
const BASE_DEFAULTS = { totalActiveUsers: 1000, newUsersPerMinute: 1000, sessionDurationSeconds: 300 };

export type WaitingRoomSettings = Static<typeof WaitingRoomSettingsSchema>;
export type WaitingRoomEvent = Static<typeof WaitingRoomEventSchema>;
export type WaitingRoomAutoSettings = Static<typeof WaitingRoomAutoSchema>;
export type QueueingMethod = WaitingRoomSettings['queueingMethod'];
export type WaitingRoomMode = WaitingRoomSettings['mode'];

export const MIN_EVENT_LENGTH_MS = 60_000;
export const MIN_PREQUEUE_MS = 5 * 60_000;

export type SettingsResult = { ok: true; settings: WaitingRoomSettings } | { ok: false; problems: SchemaProblem[] };

/** The settings with every default filled in (the room as it is before anyone configures it). */
export function defaultWaitingRoomSettings(): WaitingRoomSettings {
  const checked = checkWaitingRoomSettings({});
  if (!checked.ok) throw new Error(`waiting room defaults are invalid: ${checked.problems.map((p) => `${p.at}: ${p.message}`).join('; ')}`);
  return checked.settings;
}

/** Fills in defaults and checks `value` as a whole: the schema, then the rules across fields. */
export function checkWaitingRoomSettings(value: unknown): SettingsResult {
  if (!isPlainObject(value)) return { ok: false, problems: [{ segments: [], at: '', message: 'must be a JSON object' }] };
  if (deeperThan(value, MAX_DEPTH)) return { ok: false, problems: [{ segments: [], at: '', message: TOO_DEEP }] };
  // structuredClone, not Value.Clone: it copies an own `__proto__` key as a key (then refused as unknown)
  // instead of assigning it, which would set the copy's prototype and drop the key unseen.
  const withDefaults = Value.Default(WaitingRoomSettingsSchema, structuredClone({ ...BASE_DEFAULTS, ...value }));
  const problems = [...schemaProblems(WaitingRoomSettingsSchema, withDefaults), ...ruleProblems(withDefaults)];
  return problems.length ? { ok: false, problems } : { ok: true, settings: withDefaults as WaitingRoomSettings };
}

/**
 * `PUT /api/admin/waiting-room`: the body is a JSON merge patch (RFC 7396) of the current settings. Keys
 * it names replace the current values, objects are merged key by key, `null` removes an optional key (an
 * event's prequeueStartTime), and a list (events) is replaced whole. The result is checked as a whole, so
 * a patch that leaves the room inconsistent (newUsersPerMinute above totalActiveUsers) is refused with
 * the problem named at its place; nothing is changed then.
 */
export function applyWaitingRoomPatch(current: WaitingRoomSettings, patch: unknown): SettingsResult {
  if (!isPlainObject(patch)) return { ok: false, problems: [{ segments: [], at: '', message: 'must be a JSON object' }] };
  if (deeperThan(patch, MAX_DEPTH)) return { ok: false, problems: [{ segments: [], at: '', message: TOO_DEEP }] };
  return checkWaitingRoomSettings(mergePatch(current, patch));
}

/**
 * The settings nest three levels at most (events[0].name); a body nested far deeper is refused before it is
 * merged or copied, both of which recurse and would overflow the stack on thousands of levels.
 */
const MAX_DEPTH = 8;
const TOO_DEEP = `nests deeper than any setting (more than ${MAX_DEPTH} levels)`;

/** Whether `value` nests objects or arrays more than `max` levels deep (walked without recursion). */
function deeperThan(value: unknown, max: number): boolean {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 0 }];
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7396. Keys are defined, never assigned, so `__proto__` in a body is a key like any other (decision 0013). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  const define = (key: string, v: unknown) => Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  if (isPlainObject(target)) for (const key of Object.keys(target)) define(key, target[key]);
  for (const key of Object.keys(patch)) {
    const v = patch[key];
    if (v === null) delete out[key];
    else define(key, mergePatch(Object.hasOwn(out, key) ? out[key] : undefined, v));
  }
  return out;
}

/** A limit the schema accepts; a rule comparing limits leaves any other value to the schema's message. */
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;

const at = (segments: string[]): string => segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : `${i ? '.' : ''}${s}`)).join('');
const problem = (segments: string[], message: string): SchemaProblem => ({ segments, at: at(segments), message });

/**
 * What Cloudflare checks beyond each field's own type (its events API), and the limits' order. Run on the
 * value even when the schema found problems (every problem is listed at once), so each rule looks only at
 * fields of the right type and leaves the others to the schema's messages.
 */
function ruleProblems(value: unknown): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (!isPlainObject(value)) return problems;
  const s = value as Partial<WaitingRoomSettings>;
  if (isCount(s.newUsersPerMinute) && isCount(s.totalActiveUsers) && s.newUsersPerMinute > s.totalActiveUsers) {
    problems.push(problem(['newUsersPerMinute'], `must be at most totalActiveUsers (${s.totalActiveUsers}), got ${s.newUsersPerMinute}`));
  }
  const spans: { index: number; from: number; to: number }[] = [];
  const names = new Map<string, number>();
  const events = Array.isArray(s.events) ? s.events : [];
  events.forEach((e, index) => {
    if (!isPlainObject(e) || typeof e.eventStartTime !== 'string' || typeof e.eventEndTime !== 'string') return;
    const place = (key: string) => ['events', String(index), key];
    const start = Date.parse(e.eventStartTime);
    const end = Date.parse(e.eventEndTime);
    const prequeue = typeof e.prequeueStartTime === 'string' ? Date.parse(e.prequeueStartTime) : null;
    if (Number.isNaN(start) || Number.isNaN(end) || Number.isNaN(prequeue)) return;
    if (end - start < MIN_EVENT_LENGTH_MS) problems.push(problem(place('eventStartTime'), `must be at least 1 minute before eventEndTime (${e.eventEndTime}), got ${JSON.stringify(e.eventStartTime)}`));
    if (prequeue !== null && start - prequeue < MIN_PREQUEUE_MS) problems.push(problem(place('prequeueStartTime'), `must be at least 5 minutes before eventStartTime (${e.eventStartTime}), got ${JSON.stringify(e.prequeueStartTime)}`));
    if (e.shuffleAtEventStart && prequeue === null) problems.push(problem(place('shuffleAtEventStart'), 'needs prequeueStartTime: only shoppers who prequeued can be shuffled'));
    if ((e.totalActiveUsers === undefined) !== (e.newUsersPerMinute === undefined)) {
      const missing = e.totalActiveUsers === undefined ? 'totalActiveUsers' : 'newUsersPerMinute';
      problems.push(problem(place(missing), `must be set too: totalActiveUsers and newUsersPerMinute are overridden together`));
    } else if (isCount(e.totalActiveUsers) && isCount(e.newUsersPerMinute) && e.newUsersPerMinute > e.totalActiveUsers) {
      problems.push(problem(place('newUsersPerMinute'), `must be at most the event's totalActiveUsers (${e.totalActiveUsers}), got ${e.newUsersPerMinute}`));
    }
    const seen = typeof e.name === 'string' ? names.get(e.name) : undefined;
    if (seen !== undefined) problems.push(problem(place('name'), `must be unique, got ${JSON.stringify(e.name)} (also events[${seen}])`));
    else if (typeof e.name === 'string') names.set(e.name, index);
    spans.push({ index, from: prequeue ?? start, to: end });
  });
  spans.sort((a, b) => a.from - b.from);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur.from < prev.to) problems.push(problem(['events', String(cur.index)], `overlaps events[${prev.index}] (an event runs from its prequeue, or its start, to its end); use one event or move one`));
  }
  return problems;
}

/** The event shaping the room now, and how. */
export interface EventInForce {
  name: string;
  /** prequeueing: before the start, every new shopper queues; running: the event's settings apply. */
  phase: 'prequeueing' | 'running';
  startsAt: number;
  endsAt: number;
  shuffleAtEventStart: boolean;
  /** The event's admission rate (its own, or the room's): what a prequeued shopper's wait is estimated with. */
  newUsersPerMinute: number;
}

/** The settings in force at one moment: the room's, overridden by a running event's. */
export interface EffectiveSettings {
  mode: WaitingRoomMode;
  totalActiveUsers: number;
  newUsersPerMinute: number;
  sessionDurationSeconds: number;
  disableSessionRenewal: boolean;
  queueingMethod: QueueingMethod;
  queueAll: boolean;
  queueingStatusCode: 200 | 202 | 429;
  refreshIntervalSeconds: number;
  maxQueuedUsers: number;
  auto: WaitingRoomAutoSettings;
  event: EventInForce | null;
  /** The next event not yet prequeueing or running (for "the sale starts at ..."), if any. */
  nextEvent: { name: string; prequeueStartsAt: number | null; startsAt: number } | null;
}

/** Which event is in force at `now` (ms since the epoch), prequeueing or running, and the settings that follow. */
export function effectiveSettings(settings: WaitingRoomSettings, now: number): EffectiveSettings {
  const base: EffectiveSettings = {
    mode: settings.mode, totalActiveUsers: settings.totalActiveUsers, newUsersPerMinute: settings.newUsersPerMinute,
    sessionDurationSeconds: settings.sessionDurationSeconds, disableSessionRenewal: settings.disableSessionRenewal,
    queueingMethod: settings.queueingMethod, queueAll: settings.queueAll, queueingStatusCode: settings.queueingStatusCode,
    refreshIntervalSeconds: settings.refreshIntervalSeconds, maxQueuedUsers: settings.maxQueuedUsers, auto: settings.auto,
    event: null, nextEvent: null,
  };
  for (const e of settings.events) {
    if (e.suspended) continue;
    const startsAt = Date.parse(e.eventStartTime);
    const endsAt = Date.parse(e.eventEndTime);
    const prequeueStartsAt = e.prequeueStartTime ? Date.parse(e.prequeueStartTime) : null;
    if (now >= endsAt) continue;
    if (now >= startsAt) {
      base.event = { name: e.name, phase: 'running', startsAt, endsAt, shuffleAtEventStart: e.shuffleAtEventStart, newUsersPerMinute: e.newUsersPerMinute ?? settings.newUsersPerMinute };
      if (e.totalActiveUsers !== undefined) base.totalActiveUsers = e.totalActiveUsers;
      if (e.newUsersPerMinute !== undefined) base.newUsersPerMinute = e.newUsersPerMinute;
      if (e.sessionDurationSeconds !== undefined) base.sessionDurationSeconds = e.sessionDurationSeconds;
      if (e.disableSessionRenewal !== undefined) base.disableSessionRenewal = e.disableSessionRenewal;
      if (e.queueingMethod !== undefined) base.queueingMethod = e.queueingMethod;
    } else if (prequeueStartsAt !== null && now >= prequeueStartsAt) {
      base.event = { name: e.name, phase: 'prequeueing', startsAt, endsAt, shuffleAtEventStart: e.shuffleAtEventStart, newUsersPerMinute: e.newUsersPerMinute ?? settings.newUsersPerMinute };
    } else if (!base.nextEvent || startsAt < base.nextEvent.startsAt) {
      base.nextEvent = { name: e.name, prequeueStartsAt, startsAt };
    }
  }
  return base;
}
