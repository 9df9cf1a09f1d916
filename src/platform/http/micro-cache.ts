// A micro-cache: public responses (catalog API pages, rendered catalog and product pages) kept in
// process for a couple of seconds. Those pages already tell shared caches they may be reused for longer (Cache-Control), so this
// adds no staleness a CDN would not; what it buys is that a surge on one hot product costs one pair of
// database queries per interval instead of one per request, and concurrent misses for the same page share
// a single render (no stampede). Nothing here is needed by another replica: a cold cache is only slower.

export interface MicroCacheOptions { ttlMs: number; maxEntries: number }

export class MicroCache<T = string> {
  readonly #entries = new Map<string, { body: T; expiresAt: number }>();
  readonly #inFlight = new Map<string, Promise<T>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(opts: MicroCacheOptions) {
    this.#ttlMs = opts.ttlMs;
    this.#maxEntries = opts.maxEntries;
  }

  /**
   * Hands the page for key to `send`: at once when it is cached (no promise, no microtask: the hot path of
   * a surge), else once rendered. Returns undefined on a hit and the pending send on a miss, so a Fastify
   * handler can return it as it is.
   */
  serve(key: string, render: () => Promise<T>, send: (body: T) => void): Promise<void> | undefined {
    const hit = this.#fresh(key);
    if (hit !== undefined) { send(hit); return undefined; }
    return this.get(key, render).then(send);
  }

  /** The cached page for key, or render() it once for all concurrent callers. Errors are not cached. */
  get(key: string, render: () => Promise<T>): Promise<T> {
    const hit = this.#fresh(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = render()
        .then((body) => { this.#store(key, body); return body; })
        .finally(() => { this.#inFlight.delete(key); });
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  get size(): number { return this.#entries.size; }

  #fresh(key: string): T | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.expiresAt > Date.now() ? hit.body : undefined;
  }

  #store(key: string, body: T): void {
    this.#entries.delete(key);
    // Maps iterate in insertion order, so the first key is the oldest entry: evict it when full.
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { body, expiresAt: Date.now() + this.#ttlMs });
  }
}
