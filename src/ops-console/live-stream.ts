// The overview's server-sent events: one producer for every open view (a snapshot is computed once a
// second however many views are open, and not at all when none is), a cap on concurrent streams, and
// each stream dropped as soon as its client goes away (or lags too far behind). A stream belongs to the
// session it was opened with and ends with it: at the session's expiry, at once when it signs out here,
// and within a session check when it signs out on another control replica. Stopping the console ends
// every stream and refuses new ones, so the HTTP server's drain is not held open by them (nor by a
// browser's reconnect while later modules are still stopping).
import type { ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger.ts';

/** A client this far behind (bytes the socket has not taken) is dropped rather than buffered for. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Told to a view whose session ended, so the page stops reconnecting and asks to sign in again. */
const SIGNED_OUT_EVENT = 'event: signed-out\ndata: {}\n\n';

/** The session a stream was opened with: its key (the id's hash) and when it expires. */
export interface StreamSession { key: string; expiresAt: Date }

export interface LiveStreamOptions {
  /** the event's data (JSON-encoded), computed once per tick for every stream */
  produce(): Promise<unknown>;
  /** of these sessions (keys), the ones still signed in */
  signedIn(keys: string[]): Promise<Set<string>>;
  maxStreams: number;
  intervalMs: number;
  /** how often the open streams' sessions are looked up again (a sign-out on another replica) */
  sessionCheckMs: number;
  logger: Logger;
}

export class LiveStream {
  readonly #opts: LiveStreamOptions;
  readonly #clients = new Map<ServerResponse, StreamSession>();
  #timer: NodeJS.Timeout | undefined;
  #producing = false;
  #failing = false;
  #last: string | undefined;
  #sessionsCheckedAt = 0;
  /** Once closed, no stream is taken on: a browser reconnecting while the process stops would hold its drain. */
  #closed = false;

  constructor(opts: LiveStreamOptions) { this.#opts = opts; }

  get open(): number { return this.#clients.size; }
  get full(): boolean { return this.#clients.size >= this.#opts.maxStreams; }
  /** The console stopped: a new stream is refused (the route answers 503 before taking the response over). */
  get closed(): boolean { return this.#closed; }

  /** Takes over a response (already given its headers by the caller) as one more stream of `session`'s. */
  add(res: ServerResponse, session: StreamSession): void {
    if (this.#closed) { res.end(); return; }
    this.#clients.set(res, session);
    res.once('close', () => this.#remove(res));
    res.write('retry: 3000\n\n');
    if (this.#last) res.write(this.#last);
    this.#sessionsCheckedAt ||= Date.now();
    this.#timer ??= setInterval(() => { void this.#tick(); }, this.#opts.intervalMs);
    void this.#tick();
  }

  /** Ends the streams of a session that signed out. */
  endSession(key: string): void {
    for (const [res, session] of this.#clients) if (session.key === key) this.#signOut(res);
  }

  #signOut(res: ServerResponse): void {
    res.end(SIGNED_OUT_EVENT);
    this.#remove(res);
  }

  #remove(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#last = undefined;
      this.#sessionsCheckedAt = 0;
    }
  }

  /** Ends the streams whose session expired, and, every sessionCheckMs, those whose session is gone. */
  async #endEndedSessions(): Promise<void> {
    const now = Date.now();
    for (const [res, session] of this.#clients) if (session.expiresAt.getTime() <= now) this.#signOut(res);
    if (this.#clients.size === 0 || now - this.#sessionsCheckedAt < this.#opts.sessionCheckMs) return;
    this.#sessionsCheckedAt = now;
    const signedIn = await this.#opts.signedIn([...new Set([...this.#clients.values()].map((s) => s.key))]);
    for (const [res, session] of this.#clients) if (!signedIn.has(session.key)) this.#signOut(res);
  }

  async #tick(): Promise<void> {
    if (this.#producing || this.#clients.size === 0) return;
    this.#producing = true;
    try {
      await this.#endEndedSessions();
      if (this.#clients.size === 0) return;
      const data = await this.#opts.produce();
      if (this.#failing) this.#opts.logger.info('the ops console overview can be read again');
      this.#failing = false;
      this.#last = `event: overview\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of this.#clients.keys()) {
        if (res.writableLength > MAX_BUFFERED_BYTES) { res.destroy(); continue; }
        res.write(this.#last);
      }
    } catch (err) {
      if (!this.#failing) this.#opts.logger.warn({ err, task: 'ops console overview' }, 'could not read the overview; the live views keep their last readings until it works again');
      this.#failing = true;
      for (const res of this.#clients.keys()) res.write('event: unavailable\ndata: {}\n\n');
    } finally {
      this.#producing = false;
    }
  }

  /** Ends every stream and takes on no more (the console stops). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const res of this.#clients.keys()) res.end();
    this.#clients.clear();
  }
}
