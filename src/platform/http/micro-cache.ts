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

  /** The cached page for key while it is fresh, else undefined: lets a hit be answered without a promise. */
  peek(key: string): T | undefined {
    const hit = this.#entries.get(key);
    return hit && hit.expiresAt > Date.now() ? hit.body : undefined;
  }

  /** The cached page for key, or render() it once for all concurrent callers. Errors are not cached. */
  get(key: string, render: () => Promise<T>): Promise<T> {
    const hit = this.peek(key);
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

  #store(key: string, body: T): void {
    this.#entries.delete(key);
    // Maps iterate in insertion order, so the first key is the oldest entry: evict it when full.
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { body, expiresAt: Date.now() + this.#ttlMs });
  }
}
