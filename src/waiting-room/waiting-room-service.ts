// One storefront replica's waiting room: the settings in force, its copy of the state the replicas share
// (PostgreSQL, migrations/015-waiting-room.sql) and the decisions made from them.
//
// The hot path stays in memory. An admitted shopper's request is decided from their signed pass alone
// (admission.ts); what it changes (a renewed session, a queued shopper's refresh, a shopper let in from the
// queue) goes into a batch this replica brings to PostgreSQL in the background, every syncMs (1 s by
// default), in the same round as it reads the shared counts back and, under the room's row lock, moves the
// FIFO frontier past as many waiting tickets as places are open. Only a new shopper arriving while the room
// queues waits for the database: waiting_room_arrive gives them a place or the next ticket under the same
// lock, so two replicas never give away one place and tickets follow the order of arrival across replicas.
//
// How far replicas drift: each works from counts at most one synchronisation old (plus the round trip).
// With FIFO the limits hold exactly (places are given under the lock); a session's end is seen by the
// others within one synchronisation of its expiry. With `random` (or `passthrough`) each replica may let
// in, between two synchronisations, the places the last one found open, so the shop can hold up to
// (replicas − 1) × open places more than the limit for at most one synchronisation interval.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../platform/observability/logger.ts';
import { FailureRun } from '../platform/observability/failure-run.ts';
import {
  decideAdmission, FrontierPace, pacedNewUsersPerMinute, queueStatus, roomLimits, queuedPass, queuedPassSeconds,
  type AdmissionDecision, type AutoAdmission, type RoomState, type SharedRoomState,
} from './admission.ts';
import { AutoModeController, type AutoModeDecision } from './auto-mode-controller.ts';
import { ShopLatency } from './shop-latency.ts';
import { newVisitorId, waitingRoomCookieCodec, type WaitingRoomCookieCodec, type WaitingRoomPass } from './waiting-room-cookie.ts';
import {
  applyWaitingRoomPatch, checkWaitingRoomSettings, effectiveSettings,
  type EffectiveSettings, type WaitingRoomSettings,
} from './waiting-room-settings.ts';
import { WaitingRoomErrors } from './waiting-room-errors.ts';
import { arrive, ensureRoom, flushBatch, storeSettings, syncRoom, takeTickets, type RoomBatch } from './waiting-room-queries.ts';
import { ticketDispenser, type TicketDispenser } from './ticket-dispenser.ts';
import { waitingRoomActiveUsers, waitingRoomAdmitted, waitingRoomQueuedUsers, waitingRoomWaitSeconds } from './waiting-room-metrics.ts';

/** What the room records as a change event (the changes context's recorder, or nothing in a unit test). */
export interface RoomChangeRecorder {
  record(change: { kind: 'waiting_room.state_changed' | 'config.changed'; subject: string; summary: string; details?: Record<string, unknown> }): Promise<unknown>;
}

export interface WaitingRoomOptions {
  pool: pg.Pool;
  /** The configured settings (HOLDFAST_WAITING_ROOM); settings stored by PUT take precedence. */
  configured: Record<string, unknown>;
  syncMs: number;
  logger: Logger;
  changes?: RoomChangeRecorder;
  /** Who changed the settings, for the change log. */
  source?: string;
}

/** GET /api/ops/waiting-room. */
export interface WaitingRoomStatus {
  mode: WaitingRoomSettings['mode'];
  state: RoomState;
  limits: { totalActiveUsers: number; newUsersPerMinute: number; sessionDurationSeconds: number; queueingMethod: string; queueAll: boolean };
  event: { name: string; phase: string } | null;
  /** `mode: auto`: whether the controller has engaged the room, at what rate, and why (null in other modes). */
  auto: { engaged: boolean; newUsersPerMinute: number; pressure: number; reason: string } | null;
  activeUsers: number;
  queuedUsers: number;
  admittedLastMinute: number;
  estimatedWaitSeconds: number | null;
  replicas: number;
  syncIntervalMs: number;
  settings: WaitingRoomSettings;
}

const emptyBatch = (): RoomBatch => ({ sessions: new Map(), queuedSeen: new Map(), leftQueue: new Set(), revoked: new Set() });

export class WaitingRoom {
  readonly syncMs: number;
  private readonly opts: WaitingRoomOptions;
  private readonly configured: WaitingRoomSettings;
  private readonly replicaId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private settings: WaitingRoomSettings;
  private settingsVersion = -1;
  private codec: WaitingRoomCookieCodec | undefined;
  private shared: SharedRoomState = { activeUsers: 0, admittedLastMinute: 0, queuedUsers: 0, nextTicketToAdmit: 1, shuffle: null };
  private state: RoomState = 'not_queueing';
  private replicas = 1;
  private batch: RoomBatch = emptyBatch();
  /** Shoppers let in during the last minute as of the last synchronisation, and when it read them: what the pace adds to. */
  private admittedAtLastSync = 0;
  private lastSyncReadAt = 0;
  private readonly frontierPace = new FrontierPace();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private readonly syncFailures: FailureRun;
  /** `mode: auto` steers only once the process has started: its start-up is no measure of the shop. */
  private started = false;
  private readonly latency = new ShopLatency();
  private controller = new AutoModeController();
  private autoDecision: AutoModeDecision | null = null;
  private readonly tickets: TicketDispenser;
  /**
   * The pass every newcomer gets while the room does not queue, one object a second given to all of that
   * second's newcomers (the routes sign it and make its Set-Cookie once): a client that keeps no cookie
   * costs no signature, and a browser that keeps it trades it for a pass of its own when it comes back
   * (admission.ts).
   */
  private entryPass: WaitingRoomPass | null = null;

  constructor(opts: WaitingRoomOptions) {
    this.opts = opts;
    this.syncMs = opts.syncMs;
    this.syncFailures = new FailureRun(opts.logger, 'waiting room synchronisation');
    const checked = checkWaitingRoomSettings(opts.configured);
    if (!checked.ok) {
      throw new Error(`HOLDFAST_WAITING_ROOM is not valid: ${checked.problems.map((p) => `${p.at || '(the object)'}: ${p.message}`).join('; ')}`);
    }
    this.configured = checked.settings;
    this.settings = checked.settings;
    this.tickets = ticketDispenser((visitorIds) => takeTickets(opts.pool, visitorIds));
  }

  /** Makes the room's row (and its secret) on first start, reads the stored settings and the shared counts. */
  async init(): Promise<void> {
    const row = await ensureRoom(this.opts.pool, randomBytes(32).toString('base64url'));
    this.codec = waitingRoomCookieCodec(row.secret);
    this.applyStored(row.settings, row.settings_version);
    await this.sync();
  }

  start(): void {
    this.latency.resetEventLoopUtilization();
    this.started = true;
    this.timer = setInterval(() => { void this.sync(); }, this.syncMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.syncing;
    await this.sync();
  }

  /** The room is off: requests go through exactly as without it (checked first, on every request). */
  isOff(): boolean {
    return this.settings.mode === 'off';
  }

  /** `mode: auto` steers by the shop's latency: only then are shopper requests timed. */
  measuresLatency(): boolean {
    return this.settings.mode === 'auto';
  }

  recordLatency(ms: number, now: number): void {
    this.latency.record(ms, now);
  }

  /** The controller's output while in `mode: auto` (null otherwise, or before its first decision). */
  private autoAdmission(): AutoAdmission | null {
    return this.settings.mode === 'auto' && this.autoDecision ? { engaged: this.autoDecision.engaged, newUsersPerMinute: this.autoDecision.newUsersPerMinute } : null;
  }

  effective(now: number): EffectiveSettings {
    return effectiveSettings(this.settings, now);
  }

  encode(pass: WaitingRoomPass): string {
    return this.requireCodec().encode(pass);
  }

  /**
   * Who this request's shopper is for the room: in (with a pass to send or not), waiting, or turned away.
   * Decided in memory, at once (no promise), except for a shopper with no valid pass arriving while the
   * room queues: that one is a promise, settled once the database gave a place or a ticket.
   */
  decide(rawCookie: string | undefined, now: number): AdmissionDecision | Promise<AdmissionDecision> {
    const settings = this.effective(now);
    if (settings.mode === 'off') return { kind: 'pass_through' };
    const nowS = Math.floor(now / 1000);
    const check = this.requireCodec().verify(rawCookie, nowS);
    const limits = roomLimits(settings, this.autoAdmission());
    const rejecting = settings.queueingMethod === 'reject' && settings.event?.phase !== 'prequeueing';
    if (!check.valid && limits.queueing && !rejecting) {
      return this.arrival(settings, now).then((decision) => { this.remember(decision, nowS, settings); return decision; });
    }
    let decision = decideAdmission({
      settings, state: this.shared, auto: this.autoAdmission(), pass: check, now, random: Math.random, newVisitorId,
      issueTicket: () => { throw new Error('a ticket is issued only by waiting_room_arrive'); },
    });
    if (decision.kind === 'admit' && decision.pass.uncounted) decision = { ...decision, pass: this.entryPassFor(decision.pass) };
    this.remember(decision, nowS, settings);
    return decision;
  }

  /** This second's shared entry pass (made from the first newcomer's, as decideAdmission issued it). */
  private entryPassFor(pass: WaitingRoomPass): WaitingRoomPass {
    const current = this.entryPass;
    if (current && current.issuedAt === pass.issuedAt && current.expiresAt === pass.expiresAt) return current;
    return this.entryPass = pass;
  }

  /** A new shopper while the room queues: the database gives a place or the next ticket. */
  private async arrival(settings: EffectiveSettings, now: number): Promise<AdmissionDecision> {
    const nowS = Math.floor(now / 1000);
    const limits = roomLimits(settings, this.autoAdmission());
    if (settings.maxQueuedUsers > 0 && this.shared.queuedUsers >= settings.maxQueuedUsers) {
      const status = { ...queueStatus(settings, limits, this.shared, null, now), phase: 'queue_full' as const, queueIsFull: true };
      return { kind: 'queue', pass: null, setCookie: false, status, newArrival: true };
    }
    const visitorId = newVisitorId();
    if (this.shared.queuedUsers > 0 || limits.closedToNewShoppers) {
      // Shoppers are waiting (as of the last synchronisation) or nobody new may enter: a newcomer queues
      // whatever the counts say now, so they take a ticket without the room's lock. Under a surge this is
      // what almost every newcomer costs: a row in a shared insert. If the queue drained since, the next
      // synchronisation's frontier lets them in. The insert is shared with the newcomers arriving at the same
      // time (ticket-dispenser.ts).
      const ticket = await this.tickets.take(visitorId);
      this.shared.queuedUsers++;
      return this.queuedArrival(visitorId, ticket, settings, now);
    }
    const r = await arrive(this.opts.pool, {
      visitorId, sessionSeconds: settings.sessionDurationSeconds, totalActiveUsers: limits.totalActiveUsers,
      newUsersPerMinute: this.pacedRate(limits.newUsersPerMinute, now), straightIn: !limits.closedToNewShoppers, ...this.windows(settings),
    });
    // The frontier only moves forward: a synchronisation answered meanwhile may have read a later one.
    this.shared = {
      ...this.shared, nextTicketToAdmit: Math.max(this.shared.nextTicketToAdmit, r.frontier), activeUsers: r.active,
      admittedLastMinute: r.admitted_last_minute, queuedUsers: r.queued,
    };
    if (r.admitted) {
      const pass: WaitingRoomPass = { visitorId, state: 'admitted', ticket: 0, issuedAt: nowS, lastSeenAt: nowS, expiresAt: nowS + settings.sessionDurationSeconds };
      waitingRoomAdmitted.inc({ how: 'new' });
      // Already in the sessions table: admission 'new' is not counted again by remember().
      return { kind: 'admit', pass, setCookie: true, admission: null, waitedSeconds: null };
    }
    return this.queuedArrival(visitorId, r.ticket, settings, now);
  }

  private queuedArrival(visitorId: string, ticket: number, settings: EffectiveSettings, now: number): AdmissionDecision {
    const nowS = Math.floor(now / 1000);
    return { kind: 'queue', pass: queuedPass(visitorId, ticket, settings, nowS), setCookie: true, status: queueStatus(settings, roomLimits(settings, this.autoAdmission()), this.shared, ticket, now), newArrival: true };
  }

  /** Counts a decision into this replica's copy of the shared state and its batch for the next synchronisation. */
  private remember(d: AdmissionDecision, nowS: number, settings: EffectiveSettings): void {
    // A newcomer's pass while the room does not queue is counted when it comes back (admission.ts).
    if (d.kind === 'admit' && d.pass.uncounted) return;
    if (d.kind === 'admit') {
      if (d.admission === 'new') {
        waitingRoomAdmitted.inc({ how: 'new' });
        this.shared.activeUsers++;
        this.shared.admittedLastMinute++;
      } else if (d.admission === 'from_queue') {
        waitingRoomAdmitted.inc({ how: 'from_queue' });
        if (d.waitedSeconds !== null) waitingRoomWaitSeconds.observe(d.waitedSeconds);
        this.batch.leftQueue.add(d.pass.ticket);
        // Let in by the frontier: already counted by the synchronisation that moved it. Won in a draw: not yet.
        if (settings.queueingMethod === 'random') { this.shared.activeUsers++; this.shared.admittedLastMinute++; }
      }
      if (d.admission !== null || d.setCookie) {
        this.batch.sessions.set(d.pass.visitorId, { admittedAt: d.admission !== null ? nowS : d.pass.issuedAt, expiresAt: d.pass.expiresAt });
      }
    } else if (d.kind === 'queue' && d.pass && !d.newArrival && d.pass.ticket > 0) {
      this.batch.queuedSeen.set(d.pass.ticket, nowS);
    }
  }

  /**
   * The per-minute limit paced over the time since the last synchronisation read the count
   * (pacedNewUsersPerMinute), at most five intervals: synchronisations slowed by a busy database do not
   * slow the pace, one that stalled does not let a burst in after it, and one asked for at once after
   * another (the ops view synchronises) adds one place at most.
   */
  private pacedRate(newUsersPerMinute: number, now: number): number {
    const sinceMs = Math.min(5 * this.syncMs, Math.max(0, now - this.lastSyncReadAt));
    return pacedNewUsersPerMinute(newUsersPerMinute, this.admittedAtLastSync, sinceMs / 1000);
  }

  /** Shoppers let in but not back yet count as active this long; a queued pass lapses after the other. */
  private windows(settings: EffectiveSettings): { pendingGraceSeconds: number; queuedTtlSeconds: number } {
    return {
      pendingGraceSeconds: 2 * settings.refreshIntervalSeconds + Math.ceil((2 * this.syncMs) / 1000),
      queuedTtlSeconds: queuedPassSeconds(settings),
    };
  }

  /** One synchronisation (never two at once); a failure keeps the batch for the next and is logged once per run. */
  sync(): Promise<void> {
    if (!this.syncing) this.syncing = this.syncOnce().finally(() => { this.syncing = undefined; });
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    const batch = this.batch;
    this.batch = emptyBatch();
    const now = Date.now();
    const settings = this.effective(now);
    const limits = roomLimits(settings, this.autoAdmission());
    const stateFloor = settings.mode === 'off' ? 'not_queueing'
      : settings.queueAll ? 'queue_all'
        : settings.event?.phase === 'prequeueing' ? 'event_prequeueing'
          : !limits.queueing ? 'not_queueing' : 'auto';
    try {
      await flushBatch(this.opts.pool, batch);
      const r = await syncRoom(this.opts.pool, {
        replicaId: this.replicaId, advance: limits.queueing && limits.method === 'fifo' && !limits.closedToNewShoppers,
        totalActiveUsers: limits.totalActiveUsers, newUsersPerMinute: this.pacedRate(limits.newUsersPerMinute, now), stateFloor, ...this.windows(settings),
        p99Ms: this.latency.p99(now), eventLoopUtilization: this.latency.eventLoopUtilization(),
      });
      this.admittedAtLastSync = r.admitted_last_minute;
      this.lastSyncReadAt = Date.now();
      // The frontier only moves forward: an arrival answered meanwhile may have read a later one.
      const frontier = Math.max(this.shared.nextTicketToAdmit, r.frontier);
      this.frontierPace.add(Date.now(), frontier, r.queued);
      this.shared = {
        activeUsers: r.active, admittedLastMinute: r.admitted_last_minute, queuedUsers: r.queued, nextTicketToAdmit: frontier, shuffle: null,
        frontierPerMinute: this.frontierPace.perMinute(),
      };
      this.state = r.state as RoomState;
      this.replicas = r.replicas;
      waitingRoomActiveUsers.set(r.active);
      waitingRoomQueuedUsers.set(r.queued);
      if (r.settings_version !== this.settingsVersion) this.applyStored(r.settings, r.settings_version);
      await this.steer(r.max_p99_ms, r.max_elu, now);
      if (r.state !== r.previous_state) {
        await this.opts.changes?.record({
          kind: 'waiting_room.state_changed', subject: 'waiting-room',
          summary: `waiting room ${r.previous_state} → ${r.state} (${r.active} active, ${r.queued} queued)`,
          details: { from: r.previous_state, to: r.state, activeUsers: r.active, queuedUsers: r.queued, mode: settings.mode },
        });
      }
      this.syncFailures.succeeded();
    } catch (err) {
      this.mergeBack(batch);
      this.syncFailures.failed(err, 'admitted shoppers are still served from their passes; will retry');
    }
  }

  /**
   * `mode: auto`: one step of the controller (decision 0018) on the busiest replica's measurements. Every
   * replica runs its own controller on the same shared inputs, so their decisions agree up to the moment
   * each synchronises (at most one interval apart).
   */
  private async steer(p99Ms: number | null, eventLoopUtilization: number, now: number): Promise<void> {
    const settings = this.effective(now);
    if (settings.mode !== 'auto' || !this.started) {
      if (this.autoDecision) { this.controller = new AutoModeController(); this.autoDecision = null; }
      return;
    }
    const d = this.controller.update(
      { now, p99Ms, eventLoopUtilization, queuedUsers: this.shared.queuedUsers, admittedLastMinute: this.shared.admittedLastMinute },
      { auto: settings.auto, maxNewUsersPerMinute: settings.newUsersPerMinute },
    );
    this.autoDecision = d;
    if (d.transition) {
      this.opts.logger.info({ transition: d.transition, pressure: d.pressure, newUsersPerMinute: d.newUsersPerMinute }, `waiting room auto mode ${d.transition}: ${d.reason}`);
      await this.opts.changes?.record({
        kind: 'waiting_room.state_changed', subject: 'waiting-room',
        summary: `waiting room auto mode ${d.transition}: ${d.reason}`,
        details: { auto: d.transition, pressure: d.pressure, newUsersPerMinute: d.newUsersPerMinute, p99Ms, eventLoopUtilization },
      });
    }
  }

  private mergeBack(old: RoomBatch): void {
    for (const [k, v] of old.sessions) if (!this.batch.sessions.has(k)) this.batch.sessions.set(k, v);
    for (const [k, v] of old.queuedSeen) if (!this.batch.queuedSeen.has(k)) this.batch.queuedSeen.set(k, v);
    for (const t of old.leftQueue) this.batch.leftQueue.add(t);
    for (const v of old.revoked) this.batch.revoked.add(v);
  }

  private applyStored(stored: unknown, version: number): void {
    this.settingsVersion = version;
    if (stored === null || stored === undefined) { this.settings = this.configured; return; }
    const checked = checkWaitingRoomSettings(stored);
    if (checked.ok) this.settings = checked.settings;
    else this.opts.logger.warn({ problems: checked.problems }, 'ignoring stored waiting room settings that no longer pass the checks');
  }

  /**
   * After a completed checkout, with revokeSessionAfterCheckout: ends the shopper's session (their place
   * is free from the next synchronisation). Returns whether there was an admitted pass to end.
   */
  revokeAfterCheckout(rawCookie: string | undefined, now: number): boolean {
    if (this.settings.mode === 'off' || !this.settings.revokeSessionAfterCheckout) return false;
    const check = this.requireCodec().verify(rawCookie, Math.floor(now / 1000));
    if (!check.valid || check.pass.state !== 'admitted') return false;
    this.batch.sessions.delete(check.pass.visitorId);
    this.batch.revoked.add(check.pass.visitorId);
    this.shared.activeUsers = Math.max(0, this.shared.activeUsers - 1);
    return true;
  }

  currentSettings(): WaitingRoomSettings {
    return this.settings;
  }

  /** PUT /api/admin/waiting-room: a JSON merge patch of the settings in force, checked whole, stored for every replica. */
  async updateSettings(patch: unknown): Promise<WaitingRoomSettings> {
    const { settings, version } = await changeWaitingRoomSettings(this.opts.pool, this.configured, patch, this.opts);
    this.settings = settings;
    this.settingsVersion = version;
    await this.sync();
    return settings;
  }

  /** GET /api/ops/waiting-room: synchronises first, so the answer is the shared state now. */
  async status(): Promise<WaitingRoomStatus> {
    await this.sync();
    const now = Date.now();
    const settings = this.effective(now);
    const limits = roomLimits(settings, this.autoAdmission());
    const next = queueStatus(settings, limits, this.shared, null, now);
    return {
      mode: settings.mode, state: this.state,
      limits: {
        totalActiveUsers: limits.totalActiveUsers, newUsersPerMinute: limits.newUsersPerMinute,
        sessionDurationSeconds: settings.sessionDurationSeconds, queueingMethod: settings.queueingMethod, queueAll: settings.queueAll,
      },
      event: settings.event ? { name: settings.event.name, phase: settings.event.phase } : null,
      auto: settings.mode === 'auto' && this.autoDecision
        ? { engaged: this.autoDecision.engaged, newUsersPerMinute: this.autoDecision.newUsersPerMinute, pressure: this.autoDecision.pressure, reason: this.autoDecision.reason }
        : null,
      activeUsers: this.shared.activeUsers, queuedUsers: this.shared.queuedUsers, admittedLastMinute: this.shared.admittedLastMinute,
      estimatedWaitSeconds: this.shared.queuedUsers > 0 && next.waitTimeKnown ? next.waitTimeSeconds : this.shared.queuedUsers > 0 ? null : 0,
      replicas: this.replicas, syncIntervalMs: this.syncMs, settings: this.settings,
    };
  }

  private requireCodec(): WaitingRoomCookieCodec {
    if (!this.codec) throw new Error('waiting room used before init()');
    return this.codec;
  }
}

/** The settings every replica follows: the stored ones, or the configured ones while none are stored (or they no longer pass the checks). */
export async function storedWaitingRoomSettings(pool: pg.Pool, configured: WaitingRoomSettings): Promise<{ settings: WaitingRoomSettings; version: number }> {
  // the room's row is made by whoever comes first (a storefront, or the ops console before any storefront ran)
  const row = await ensureRoom(pool, randomBytes(32).toString('base64url'));
  const checked = row.settings === null || row.settings === undefined ? undefined : checkWaitingRoomSettings(row.settings);
  return { settings: checked?.ok ? checked.settings : configured, version: row.settings_version };
}

/**
 * Changes the settings of every replica (a JSON merge patch of those in force, checked whole) and records
 * the change: PUT /api/admin/waiting-room in the storefront role, and the ops console from the control role
 * (the replicas follow at their next synchronisation).
 */
export async function changeWaitingRoomSettings(
  pool: pg.Pool, configured: WaitingRoomSettings, patch: unknown, opts: { changes?: RoomChangeRecorder | undefined; source?: string | undefined },
): Promise<{ settings: WaitingRoomSettings; version: number }> {
  const { settings: before } = await storedWaitingRoomSettings(pool, configured);
  const result = applyWaitingRoomPatch(before, patch);
  if (!result.ok) {
    throw WaitingRoomErrors.WAITING_ROOM_SETTINGS_INVALID(undefined, { problems: result.problems.map((p) => ({ at: p.at, message: p.message })) });
  }
  const version = await storeSettings(pool, result.settings);
  const changed = Object.keys(result.settings).filter((k) => JSON.stringify(result.settings[k as keyof WaitingRoomSettings]) !== JSON.stringify(before[k as keyof WaitingRoomSettings]));
  await opts.changes?.record({
    kind: 'config.changed', subject: 'waiting-room',
    summary: `waiting room settings changed (${changed.join(', ') || 'nothing'})`,
    details: { changed, mode: result.settings.mode, version, source: opts.source ?? null },
  });
  return { settings: result.settings, version };
}
