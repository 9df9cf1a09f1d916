// Who enters the shop and who waits: pure decisions from the settings in force, a snapshot of the state
// the storefront replicas share (PostgreSQL, synchronised in the background) and the shopper's signed pass.
// Nothing here reads a clock, a random source or the database: the caller passes them in.
//
// The semantics are Cloudflare Waiting Room's (docs/surge-protection.md):
// - An admitted shopper stays in while they make a request at least every sessionDurationSeconds; their
//   pass is renewed in memory, no database round trip.
// - FIFO: every arrival who must wait gets the next ticket. The replicas let the queue in by moving one
//   shared frontier, `nextTicketToAdmit`, forward by the places open (frontierAdvance()); a shopper whose
//   ticket is below the frontier is admitted on their next refresh. Position = ticket - frontier + 1.
// - random: each refresh of a queued shopper is an equal draw for the places open now: the chance is
//   open places ÷ shoppers waiting, one draw per refresh interval (a faster refresh is not a second ticket).
// - passthrough: everyone enters, and is counted. reject: nobody enters (maintenance, event-only shops).
// - queueAll, or an event prequeueing: nobody new enters; those already in stay in.
// - A pass that is missing, forged, altered or expired is a new arrival: the back of the queue.
// - A scheduled event that shuffles at its start gives the shoppers who prequeued their places in a
//   random order: their tickets are put through a keyed permutation of the prequeue's ticket range, so
//   no per-shopper state is needed to shuffle them and nobody can predict the order without the secret.
import { createHmac } from 'node:crypto';
import type { EffectiveSettings, QueueingMethod } from './waiting-room-settings.ts';
import type { PassCheck, WaitingRoomPass } from './waiting-room-cookie.ts';

/**
 * What the storefront replicas agree on, as of the last background synchronisation. Between two
 * synchronisations a replica counts its own decisions into its copy (an admission adds to activeUsers and
 * admittedLastMinute, a new ticket to queuedUsers), and uses only its share of the places the last
 * synchronisation found open, so that replicas together stay within the limits.
 */
export interface SharedRoomState {
  /**
   * Shoppers in the shop: admitted passes seen within their session, plus shoppers the frontier has let in
   * who have not come back yet (counted for a grace of a couple of refresh intervals, so the frontier does
   * not run ahead while they are between two refreshes).
   */
  activeUsers: number;
  /** Shoppers let in during the last 60 s, whether straight in or from the queue. */
  admittedLastMinute: number;
  /** Shoppers waiting (tickets given and not yet let in, less those known to have left). */
  queuedUsers: number;
  /** The lowest ticket not yet let in (FIFO). Tickets are 1, 2, 3, ... in order of arrival. */
  nextTicketToAdmit: number;
  /** The tickets given while an event with shuffleAtEventStart was prequeueing: [firstTicket, endTicket). */
  shuffle: { firstTicket: number; endTicket: number; seed: string } | null;
  /**
   * How fast the FIFO frontier has moved lately (tickets a minute; FrontierPace), while shoppers wait:
   * what a waiting shopper's estimate is worked out from. Absent or null: not enough of it seen yet.
   */
  frontierPerMinute?: number | null;
}

/** The `mode: auto` controller's output (auto-mode-controller.ts): whether the room queues, and at what rate. */
export interface AutoAdmission {
  engaged: boolean;
  newUsersPerMinute: number;
}

/** Whether and how the room queues, all things considered. */
export interface RoomLimits {
  /** false: everyone enters (mode off, passthrough, auto not engaged). */
  queueing: boolean;
  method: QueueingMethod;
  totalActiveUsers: number;
  newUsersPerMinute: number;
  /** Nobody new is let in: queueAll, or an event prequeueing. */
  closedToNewShoppers: boolean;
}

export function roomLimits(settings: EffectiveSettings, auto: AutoAdmission | null): RoomLimits {
  const prequeueing = settings.event?.phase === 'prequeueing';
  let queueing = settings.mode !== 'off' && settings.queueingMethod !== 'passthrough';
  let newUsersPerMinute = settings.newUsersPerMinute;
  if (settings.mode === 'auto' && !settings.queueAll && !settings.event) {
    // Auto sizes the room only outside scheduled events: a planned sale keeps the limits planned for it.
    queueing = queueing && (auto?.engaged ?? false);
    if (auto?.engaged) newUsersPerMinute = Math.min(settings.newUsersPerMinute, Math.max(1, Math.floor(auto.newUsersPerMinute)));
  }
  // queueAll and a prequeue hold everyone new whatever the method (Cloudflare), passthrough included.
  if (settings.mode !== 'off' && (settings.queueAll || prequeueing)) queueing = true;
  return {
    queueing, method: settings.queueingMethod, totalActiveUsers: settings.totalActiveUsers, newUsersPerMinute,
    closedToNewShoppers: settings.queueAll || prequeueing,
  };
}

/** Shoppers a room may let in at once while its last minute holds fewer (pacedNewUsersPerMinute). */
export const MIN_ADMISSION_BURST = 10;

/**
 * The per-minute limit as the next synchronisation interval may use it. `newUsersPerMinute` counts over a
 * sliding minute, so on its own it lets a whole minute's shoppers in at once when the room starts to queue
 * (nobody was let in during the last minute): at three times the shop's rate, the first twenty seconds of
 * a surge all got in, the very overload the room is there to prevent, and the queue then stood still until
 * they left the minute. Paced, an interval may let in at most its share of the minute more than the minute
 * held at the last synchronisation; the per-minute limit still holds. A minute holding fewer than
 * MIN_ADMISSION_BURST may fill up to that at once, so that a small room (three places) is not let in one by
 * one; the pace is unchanged.
 */
export function pacedNewUsersPerMinute(newUsersPerMinute: number, admittedLastMinuteAtLastSync: number, intervalSeconds: number): number {
  // At least one: a newcomer asking right after a synchronisation (the same millisecond) is not held for that.
  const share = Math.max(1, Math.ceil((newUsersPerMinute * intervalSeconds) / 60));
  return Math.min(newUsersPerMinute, Math.max(MIN_ADMISSION_BURST, admittedLastMinuteAtLastSync + share));
}

/**
 * How fast the FIFO frontier moves: what a waiting shopper's wait depends on (their place is ticket −
 * frontier). Cloudflare divides by the shoppers let in during the last minute; while a room that has just
 * started queueing fills its first minute, that count is a fraction of the pace, and the estimates came out
 * several times too long. The frontier's own pace over the last PACE_WINDOW_MS is the rate that matters
 * (abandoned tickets it skips count, as they count in the place too), and it is the same on every replica.
 */
export class FrontierPace {
  static readonly PACE_WINDOW_MS = 30_000;
  static readonly MIN_SPAN_MS = 5_000;
  private samples: { at: number; frontier: number }[] = [];

  /** The frontier as a synchronisation read it; with nobody waiting, the pace starts again. */
  add(at: number, frontier: number, queuedUsers: number): void {
    if (queuedUsers <= 0) { this.samples = []; return; }
    this.samples.push({ at, frontier });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - FrontierPace.PACE_WINDOW_MS) this.samples.shift();
  }

  /** Tickets a minute over the window, or null when under MIN_SPAN_MS of it has been seen. */
  perMinute(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < FrontierPace.MIN_SPAN_MS) return null;
    return ((last.frontier - first.frontier) * 60_000) / (last.at - first.at);
  }
}

/** Places open now: under both the active-shopper limit and the per-minute limit. */
export function openPlaces(limits: RoomLimits, state: SharedRoomState): number {
  if (limits.closedToNewShoppers) return 0;
  return Math.max(0, Math.min(limits.totalActiveUsers - state.activeUsers, limits.newUsersPerMinute - state.admittedLastMinute));
}

/** How far the background synchronisation may move the FIFO frontier now (0 for the other methods). */
export function frontierAdvance(limits: RoomLimits, state: SharedRoomState): number {
  if (!limits.queueing || limits.method !== 'fifo') return 0;
  return Math.min(openPlaces(limits, state), state.queuedUsers);
}

export type RoomState = 'not_queueing' | 'queueing' | 'queue_all' | 'event_prequeueing';

/** The room's state as Cloudflare's status API names it (plus queue_all), for GET /api/ops/waiting-room. */
export function roomState(settings: EffectiveSettings, limits: RoomLimits, state: SharedRoomState): RoomState {
  if (settings.mode === 'off') return 'not_queueing';
  if (settings.queueAll) return 'queue_all';
  if (settings.event?.phase === 'prequeueing') return 'event_prequeueing';
  if (!limits.queueing) return 'not_queueing';
  return state.queuedUsers > 0 || openPlaces(limits, state) === 0 ? 'queueing' : 'not_queueing';
}

/** What a waiting shopper is told (the page and the JSON form). */
export interface QueueStatus {
  /** queued: waiting for a place; prequeue: waiting for a sale to start; queue_full: not even queued; closed: reject. */
  phase: 'queued' | 'prequeue' | 'queue_full' | 'closed';
  /** 1 is next. With random places (or a prequeue to be shuffled), the number of shoppers in the draw. */
  position: number;
  /** The position is an order (FIFO), not the size of a draw. */
  positionIsOrder: boolean;
  waitTimeKnown: boolean;
  /** Estimated wait (0 when unknown); with random places, the median. */
  waitTimeSeconds: number;
  refreshIntervalSeconds: number;
  queueIsFull: boolean;
  queueAll: boolean;
  /** When a prequeued sale starts (ms since the epoch). */
  eventStartsAt: number | null;
}

export type AdmissionDecision =
  /** The room is off: nothing to do, no cookie. */
  | { kind: 'pass_through' }
  | {
      kind: 'admit';
      pass: Readonly<WaitingRoomPass>;
      /** Send the pass (new, admitted from the queue, renewed, or re-signed with the current secret). */
      setCookie: boolean;
      /**
       * Counts towards admittedLastMinute and the active shoppers: new (straight in, or back with a pass not
       * counted yet) or from_queue; null: already in, or a newcomer's uncounted pass.
       */
      admission: 'new' | 'from_queue' | null;
      /** For an admission from the queue: how long the shopper waited (s). */
      waitedSeconds: number | null;
    }
  | { kind: 'queue'; pass: Readonly<WaitingRoomPass> | null; setCookie: boolean; status: QueueStatus; newArrival: boolean }
  | { kind: 'reject'; status: QueueStatus };

export interface AdmissionInput {
  settings: EffectiveSettings;
  state: SharedRoomState;
  auto: AutoAdmission | null;
  /** The shopper's pass as the cookie codec checked it. */
  pass: PassCheck;
  /** Now, ms since the epoch. */
  now: number;
  /** Uniform in [0, 1): the random method's draw. */
  random: () => number;
  /** The next arrival ticket (shared by the replicas); called at most once, only for an arrival who must wait. */
  issueTicket: () => number;
  /** The pass's visitor id for an arrival (newVisitorId()). */
  newVisitorId: () => string;
}

/** A queued pass lasts this long without a refresh (Cloudflare: five minutes, renewed while the tab is open). */
const QUEUED_PASS_SECONDS = 300;

/**
 * How long a queued pass (and its ticket's place) lasts after the shopper's last request: five minutes,
 * or three refresh intervals when those are longer, so a page that refreshes at its interval never loses
 * its place. A shopper asked back later (comebackMaxSeconds: at most two minutes, or one interval when
 * that is longer) comes back well inside it.
 */
export function queuedPassSeconds(settings: Pick<EffectiveSettings, 'refreshIntervalSeconds'>): number {
  return Math.max(QUEUED_PASS_SECONDS, 3 * settings.refreshIntervalSeconds);
}

/** A newcomer's pass in the queue, holding `ticket` (a shopper let in at once gets one too, ticket 0, before admit()). */
export function queuedPass(visitorId: string, ticket: number, settings: Pick<EffectiveSettings, 'refreshIntervalSeconds'>, nowS: number): WaitingRoomPass {
  return { visitorId, state: 'queued', ticket, issuedAt: nowS, lastSeenAt: nowS, expiresAt: nowS + queuedPassSeconds(settings) };
}

/**
 * How much later than the refresh interval a queued shopper whose turn is further off may be asked back:
 * six intervals, at most two minutes (and never less than the interval). Tied to the interval, so a room
 * set to refresh often (a small shop, a test) still answers within a few of its intervals when its rate is
 * raised meanwhile, and a page left open still updates its place and estimate; under two minutes, so a
 * place is never lost waiting to be asked back (a queued pass lasts five minutes without a refresh). Not
 * three: with the default 20 s, the shoppers who queued as a 60 s surge began came back while it lasted,
 * and the overload bench's full run gave 0.15 and 0.19 × C against 0.40 × C with two minutes.
 */
const COMEBACK_MAX_INTERVALS = 6;
const COMEBACK_MAX_SECONDS = 120;
/**
 * Only a queue this long is asked back later than the interval. A shorter one asks at most this many
 * times an interval (50 a second at 20 s), nothing beside a shop's own traffic, and a small room's page
 * notices its turn within the interval as before.
 */
const COMEBACK_MIN_QUEUED = 1000;

/** The longest a queued shopper is asked to wait before asking again, with refresh interval `refresh` and `queuedUsers` waiting. */
export function comebackMaxSeconds(refresh: number, queuedUsers: number): number {
  if (queuedUsers < COMEBACK_MIN_QUEUED) return refresh;
  return Math.max(refresh, Math.min(COMEBACK_MAX_INTERVALS * refresh, COMEBACK_MAX_SECONDS));
}

export function decideAdmission(input: AdmissionInput): AdmissionDecision {
  const { settings, state, now } = input;
  if (settings.mode === 'off') return { kind: 'pass_through' };
  const nowS = Math.floor(now / 1000);
  const limits = roomLimits(settings, input.auto);
  if (settings.queueingMethod === 'reject' && settings.event?.phase !== 'prequeueing') {
    return { kind: 'reject', status: closedStatus(settings) };
  }
  const check = input.pass;
  const pass = check.valid ? check.pass : null;
  const resign = check.valid && check.resign;

  if (pass?.state === 'admitted') {
    if (pass.uncounted) {
      // Back with a pass issued while the room was not queueing: a shopper after all, counted from now,
      // with a pass of their own (the one they came back with may be shared by that second's newcomers).
      const expiresAt = settings.disableSessionRenewal ? pass.expiresAt : nowS + settings.sessionDurationSeconds;
      const own: WaitingRoomPass = { visitorId: input.newVisitorId(), state: 'admitted', ticket: 0, issuedAt: pass.issuedAt, lastSeenAt: nowS, expiresAt };
      return { kind: 'admit', pass: own, setCookie: true, admission: 'new', waitedSeconds: null };
    }
    const renewed = renewSession(pass, settings, nowS);
    return { kind: 'admit', pass: renewed ?? pass, setCookie: renewed !== null || resign, admission: null, waitedSeconds: null };
  }
  if (!limits.queueing) {
    // Everyone enters; a queued shopper too. The pass is still issued, so that when the room starts
    // queueing (auto engaging, an event) the shoppers already in are known and stay in. A newcomer's
    // pass is not counted until it comes back: a client that keeps no cookies sends none, and counting
    // each of its requests as a shopper for a whole session would fill the room with nobody (and the
    // database with a row a request, on the hot path the room must leave alone when it does not queue).
    if (pass) return admit(pass, settings, nowS);
    const entered = admit(arrival(input, 0, settings, nowS), settings, nowS);
    return { ...entered, pass: { ...entered.pass, uncounted: true }, admission: null };
  }
  const open = openPlaces(limits, state);
  if (pass) {
    // A queued shopper's refresh.
    if (limits.method === 'random' && !limits.closedToNewShoppers) {
      const tooSoon = nowS - pass.lastSeenAt < settings.refreshIntervalSeconds;
      if (!tooSoon && won(open, state.queuedUsers, input.random())) return admit(pass, settings, nowS);
      const refreshed = tooSoon ? pass : refreshQueued(pass, settings, nowS);
      return { kind: 'queue', pass: refreshed, setCookie: !tooSoon || resign, status: queueStatus(settings, limits, state, pass.ticket, now), newArrival: false };
    }
    const ticket = orderedTicket(pass.ticket, settings, state);
    if (!limits.closedToNewShoppers && ticket < state.nextTicketToAdmit) return admit(pass, settings, nowS);
    return { kind: 'queue', pass: refreshQueued(pass, settings, nowS), setCookie: true, status: queueStatus(settings, limits, state, pass.ticket, now), newArrival: false };
  }
  // An arrival, or a pass that was not worth anything: straight in if nobody waits and a place is open.
  if (!limits.closedToNewShoppers && state.queuedUsers === 0 && open > 0) return admit(arrival(input, 0, settings, nowS), settings, nowS);
  if (settings.maxQueuedUsers > 0 && state.queuedUsers >= settings.maxQueuedUsers) {
    return { kind: 'queue', pass: null, setCookie: false, status: { ...queueStatus(settings, limits, state, null, now), phase: 'queue_full', queueIsFull: true }, newArrival: true };
  }
  const queued = arrival(input, input.issueTicket(), settings, nowS);
  if (limits.method === 'random' && !limits.closedToNewShoppers && won(open, state.queuedUsers + 1, input.random())) return admit(queued, settings, nowS);
  return { kind: 'queue', pass: queued, setCookie: true, status: queueStatus(settings, limits, state, queued.ticket, now), newArrival: true };
}

function arrival(input: AdmissionInput, ticket: number, settings: EffectiveSettings, nowS: number): WaitingRoomPass {
  return queuedPass(input.newVisitorId(), ticket, settings, nowS);
}

function won(open: number, waiting: number, draw: number): boolean {
  return open > 0 && draw < Math.min(1, open / Math.max(1, waiting));
}

/** Lets `pass` in. A pass holding a ticket leaves the queue (from_queue); one without came straight in. */
function admit(pass: WaitingRoomPass, settings: EffectiveSettings, nowS: number): Extract<AdmissionDecision, { kind: 'admit' }> {
  const fromQueue = pass.ticket > 0;
  return {
    kind: 'admit',
    pass: { ...pass, state: 'admitted', lastSeenAt: nowS, expiresAt: nowS + settings.sessionDurationSeconds },
    setCookie: true,
    admission: fromQueue ? 'from_queue' : 'new',
    waitedSeconds: fromQueue ? nowS - pass.issuedAt : null,
  };
}

/**
 * A renewed admitted pass, or null when the one the shopper has will do. Re-signed only when a tenth of
 * the session has passed since it was last renewed: the session's end is known to that precision, and a
 * page view costs no signature and no Set-Cookie most of the time.
 */
function renewSession(pass: WaitingRoomPass, settings: EffectiveSettings, nowS: number): WaitingRoomPass | null {
  const step = Math.max(1, Math.floor(settings.sessionDurationSeconds / 10));
  if (nowS - pass.lastSeenAt < step) return null;
  const expiresAt = settings.disableSessionRenewal ? pass.expiresAt : nowS + settings.sessionDurationSeconds;
  return { ...pass, lastSeenAt: nowS, expiresAt };
}

function refreshQueued(pass: WaitingRoomPass, settings: EffectiveSettings, nowS: number): WaitingRoomPass {
  return { ...pass, state: 'queued', lastSeenAt: nowS, expiresAt: nowS + queuedPassSeconds(settings) };
}

/** The ticket's place in the order: shuffled if it was given during a prequeue that shuffles at the start. */
export function orderedTicket(ticket: number, settings: EffectiveSettings, state: SharedRoomState): number {
  const s = state.shuffle;
  if (!s || settings.event?.phase !== 'running' || ticket < s.firstTicket || ticket >= s.endTicket) return ticket;
  return s.firstTicket + keyedPermutation(ticket - s.firstTicket, s.endTicket - s.firstTicket, s.seed);
}

/**
 * A bijection of [0, n) chosen by `seed`: a four-round Feistel network on the smallest even number of
 * bits that holds n, with HMAC-SHA256 as its round function, walked until the result falls inside [0, n).
 */
export function keyedPermutation(index: number, n: number, seed: string): number {
  if (!(Number.isSafeInteger(n) && n > 0 && n <= 2 ** 48)) throw new RangeError(`permutation size must be in [1, 2^48], got ${n}`);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < n)) throw new RangeError(`index must be in [0, ${n}), got ${index}`);
  if (n === 1) return 0;
  let bits = Math.max(2, Math.ceil(Math.log2(n)));
  bits += bits % 2;
  const half = 2 ** (bits / 2);
  const round = (r: number, value: number) => createHmac('sha256', seed).update(`${r}:${value}`).digest().readUIntBE(0, 6) % half;
  let x = index;
  do {
    let left = Math.floor(x / half);
    let right = x % half;
    for (let r = 0; r < 4; r++) [left, right] = [right, (left + round(r, right)) % half];
    x = left * half + right;
  } while (x >= n);
  return x;
}

function closedStatus(settings: EffectiveSettings): QueueStatus {
  return {
    phase: 'closed', position: 0, positionIsOrder: false, waitTimeKnown: false, waitTimeSeconds: 0,
    // Cloudflare's reject has no refresh interval; a scheduled event's prequeue or start is when to come back.
    refreshIntervalSeconds: 0, queueIsFull: false, queueAll: settings.queueAll, eventStartsAt: settings.nextEvent?.startsAt ?? null,
  };
}

/**
 * Where a waiting shopper stands and how long they should expect to wait. FIFO: the shoppers ahead ÷ the
 * frontier's pace (FrontierPace) once it is known; until then, as Cloudflare estimates it, ÷ the rate
 * shoppers have been let in over the last minute (at most the configured rate; with nobody let in during
 * the last minute, or a frontier that has stood still, the wait is not known); plus half a refresh interval,
 * since a shopper the frontier has passed is let in on their next refresh. Random: each refresh is a draw
 * won with chance p = places per refresh ÷ shoppers waiting, so the wait is geometric; its median is told.
 */
export function queueStatus(settings: EffectiveSettings, limits: RoomLimits, state: SharedRoomState, ticket: number | null, now: number): QueueStatus {
  const refresh = settings.refreshIntervalSeconds;
  const queueIsFull = settings.maxQueuedUsers > 0 && state.queuedUsers >= settings.maxQueuedUsers;
  const base = { refreshIntervalSeconds: refresh, queueIsFull, queueAll: settings.queueAll, eventStartsAt: null as number | null };
  const prequeue = settings.event?.phase === 'prequeueing' ? settings.event : null;
  const waiting = Math.max(1, state.queuedUsers);
  if (prequeue) {
    const untilStart = Math.max(0, Math.ceil((prequeue.startsAt - now) / 1000));
    if (prequeue.shuffleAtEventStart || ticket === null) {
      return { ...base, phase: 'prequeue', position: waiting, positionIsOrder: false, waitTimeKnown: false, waitTimeSeconds: 0, eventStartsAt: prequeue.startsAt };
    }
    const position = Math.max(1, ticket - state.nextTicketToAdmit + 1);
    const wait = untilStart + Math.ceil(((position - 1) / prequeue.newUsersPerMinute) * 60);
    return { ...base, phase: 'prequeue', position, positionIsOrder: true, waitTimeKnown: true, waitTimeSeconds: wait, eventStartsAt: prequeue.startsAt };
  }
  const ratePerMinute = Math.min(state.admittedLastMinute, limits.newUsersPerMinute);
  const known = !settings.queueAll && ratePerMinute > 0;
  if (limits.method === 'random') {
    const perRefresh = (ratePerMinute * refresh) / 60;
    const p = Math.min(1, perRefresh / waiting);
    const median = p >= 1 ? refresh : refresh * Math.ceil(Math.log(0.5) / Math.log(1 - p));
    return { ...base, phase: 'queued', position: waiting, positionIsOrder: false, waitTimeKnown: known, waitTimeSeconds: known ? median : 0 };
  }
  const position = ticket === null ? waiting : Math.max(1, orderedTicket(ticket, settings, state) - state.nextTicketToAdmit + 1);
  const ahead = position - 1;
  // Until the frontier's pace is measured (the first seconds of queueing), the configured rate while places
  // are open (the frontier moves at it then; an estimate too early costs a refresh, one too late brings
  // everyone who arrived in those seconds back together), else the last minute's.
  const placesOpen = state.activeUsers < limits.totalActiveUsers;
  const measured = state.frontierPerMinute ?? null;
  const pace = measured ?? (placesOpen ? limits.newUsersPerMinute : ratePerMinute);
  if (settings.queueAll || !(pace > 0)) return { ...base, phase: 'queued', position, positionIsOrder: true, waitTimeKnown: false, waitTimeSeconds: 0 };
  const untilFrontier = (ahead / pace) * 60;
  // While the frontier moves, a shopper is asked back when it is due to reach them (in a long queue at most
  // comebackMaxSeconds() later, in a short one within the interval), not every interval. A shopper it will
  // reach before their next refresh, because otherwise the shoppers it passed while they were not asking came
  // in on their own refreshes: at the pace they had arrived (three times the shop's in a surge), in waves an
  // interval apart, not at the room's pace; and each waited up to an interval past their turn. A shopper
  // further back, because every refresh of a long queue is an answer the shop makes while it is busiest: at
  // every interval, a queue of 80,000 asked 4,000 times a second, more than the shop served its shoppers.
  // Asked back at their turn, a shopper costs the room a few answers however long they wait, and the refreshes
  // keep the pace of the frontier, not the length of the queue. A frontier that slows meanwhile asks them back
  // once more; one that speeds up lets them in when they come, their place kept (an arrival after them is
  // never let in before them by it). With every place taken the frontier waits for sessions to end, which no
  // pace foretells: the interval, and on average half of it after the frontier passes.
  if (measured === null ? placesOpen : measured > 0) {
    return {
      ...base, refreshIntervalSeconds: Math.max(1, Math.min(comebackMaxSeconds(refresh, state.queuedUsers), Math.ceil(untilFrontier))), phase: 'queued', position, positionIsOrder: true,
      waitTimeKnown: true, waitTimeSeconds: Math.ceil(untilFrontier) + 1,
    };
  }
  return { ...base, phase: 'queued', position, positionIsOrder: true, waitTimeKnown: true, waitTimeSeconds: Math.ceil(untilFrontier + refresh / 2) };
}

/** The request a waiting-room check is about, as far as the room's scope goes. */
export interface RoomScopeRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The request carries a valid access token for the order it is about (cookie or Authorization). */
  hasValidOrderToken: boolean;
  /** The shopper has a cart (made while they were in the shop): their cart and checkout never queue. */
  hasCart: boolean;
}

/**
 * Requests the room never holds: operations (health, readiness, metrics, ops and admin APIs), static
 * assets, the public status page (`/status`, `/api/status`: what a shopper reads to learn why the shop is
 * slow or queueing, from an in-memory copy), a shopper's own order (page and API, with its token), and the
 * cart and checkout of a shopper who is already shopping, so that nobody who got in is stopped from paying.
 */
export function isExemptFromWaitingRoom(req: RoomScopeRequest): boolean {
  const p = req.path;
  if (p === '/healthz' || p === '/readyz' || p === '/metrics' || p === '/api/openapi.json' || p.startsWith('/api/ops/') || p.startsWith('/api/admin/')
    || p === '/ops' || p.startsWith('/ops/') || p.startsWith('/assets/') || p.startsWith('/images/') || p === '/favicon.ico'
    || p === '/status' || p === '/api/status') return true;
  if ((p.startsWith('/orders/') || p.startsWith('/api/orders/')) && req.hasValidOrderToken) return true;
  if (req.hasCart && (p === '/cart' || p.startsWith('/cart/') || p.startsWith('/api/carts/') || p === '/checkout' || p === '/api/checkout')) return true;
  return false;
}
