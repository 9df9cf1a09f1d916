// The overview's server-sent events: one producer for every open view (a snapshot is computed once a
// second however many views are open, and not at all when none is), a cap on concurrent streams, and
// each stream dropped as soon as its client goes away (or lags too far behind). Stopping the console ends
// every stream, so the HTTP server's drain is not held open by them.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger.ts';

/** A client this far behind (bytes the socket has not taken) is dropped rather than buffered for. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

export interface LiveStreamOptions {
  /** the event's data (JSON-encoded), computed once per tick for every stream */
  produce(): Promise<unknown>;
  maxStreams: number;
  intervalMs: number;
  logger: Logger;
}

export class LiveStream {
  readonly #opts: LiveStreamOptions;
  readonly #clients = new Set<ServerResponse>();
  #timer: NodeJS.Timeout | undefined;
  #producing = false;
  #failing = false;
  #last: string | undefined;

  constructor(opts: LiveStreamOptions) { this.#opts = opts; }

  get open(): number { return this.#clients.size; }
  get full(): boolean { return this.#clients.size >= this.#opts.maxStreams; }

  /** Takes over a response (already given its headers by the caller) as one more stream. */
  add(res: ServerResponse): void {
    this.#clients.add(res);
    res.once('close', () => this.#remove(res));
    res.write('retry: 3000\n\n');
    if (this.#last) res.write(this.#last);
    this.#timer ??= setInterval(() => { void this.#tick(); }, this.#opts.intervalMs);
    void this.#tick();
  }

  #remove(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#last = undefined;
    }
  }

  async #tick(): Promise<void> {
    if (this.#producing || this.#clients.size === 0) return;
    this.#producing = true;
    try {
      const data = await this.#opts.produce();
      if (this.#failing) this.#opts.logger.info('the ops console overview can be read again');
      this.#failing = false;
      this.#last = `event: overview\ndata: ${JSON.stringify(data)}\n\n`;
      for (const res of this.#clients) {
        if (res.writableLength > MAX_BUFFERED_BYTES) { res.destroy(); continue; }
        res.write(this.#last);
      }
    } catch (err) {
      if (!this.#failing) this.#opts.logger.warn({ err, task: 'ops console overview' }, 'could not read the overview; the live views keep their last readings until it works again');
      this.#failing = true;
      for (const res of this.#clients) res.write('event: unavailable\ndata: {}\n\n');
    } finally {
      this.#producing = false;
    }
  }

  /** Ends every stream (the console stops). */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
