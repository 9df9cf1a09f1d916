// The public status page as a role serves it: computed from the database (incidents, operators' updates,
// hand-set states, and the SLO burns the control role writes) at most every few seconds, however many
// shoppers ask, and the storefront's banner from the same computation. A refresh that fails (the database
// away) keeps the last page: the status page is exactly what should stay up.
import type pg from 'pg';
import type { Logger } from '../platform/observability/logger.ts';
import { computeStatusPage, storefrontBanner, type StatusPage } from './status-page.ts';
import { renderStorefrontBanner } from './status-page-view.ts';
import { loadStatusInputs } from './status-page-store.ts';

export class StatusPageService {
  readonly #pool: pg.Pool;
  readonly #maxAgeMs: number;
  readonly #logger: Logger | undefined;
  readonly #clock: () => number;
  #page: StatusPage | undefined;
  #computedAt = 0;
  #refreshing: Promise<StatusPage> | undefined;
  #banner = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: { pool: pg.Pool; maxAgeMs?: number; logger?: Logger; clock?: () => number }) {
    this.#pool = opts.pool;
    this.#clock = opts.clock ?? Date.now;
    this.#maxAgeMs = opts.maxAgeMs ?? 5000;
    this.#logger = opts.logger;
  }

  /** The page, recomputed when older than maxAgeMs (one computation at a time). */
  async page(): Promise<StatusPage> {
    if (this.#page && this.#clock() - this.#computedAt < this.#maxAgeMs) return this.#page;
    this.#refreshing ??= this.#refresh().finally(() => { this.#refreshing = undefined; });
    return this.#refreshing;
  }

  async #refresh(): Promise<StatusPage> {
    try {
      const now = this.#clock();
      const page = computeStatusPage(await loadStatusInputs(this.#pool, now));
      this.#page = page;
      this.#computedAt = now;
      this.#banner = renderStorefrontBanner(storefrontBanner(page.components));
      return page;
    } catch (err) {
      if (this.#page) {
        this.#logger?.warn({ err }, 'status page not refreshed; serving the last one');
        return this.#page;
      }
      throw err;
    }
  }

  /** The storefront's banner HTML now ('' while checkout and payments are operational); never waits. */
  bannerHtml(): string { return this.#banner; }

  /** Keeps the banner current in the background. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => { this.page().catch(() => {}); }, this.#maxAgeMs);
    this.#timer.unref();
    this.page().catch(() => {});
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
