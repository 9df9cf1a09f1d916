// What a game day asks of the shop under test, over its public HTTP API only (so it runs against any
// Holdfast shop it can reach): faults, orders, alerts, root-cause findings, scaling, the waiting room, the
// change log (payment-provider failovers), and
// the payment provider's ledger (the Stripe-compatible list of PaymentIntents).

export interface ShopUrls {
  storefront: string;
  /** The control role's ops API (the storefront's own URL when every role runs in one process). */
  control: string;
  /** The provider accounts whose ledgers are read for double charges; empty when not reachable. */
  psp: string[];
}

export interface AlertView { id: string; name: string; state: string; service: string; since: string; resolvedAt: string | null; summary: string; rcaId: string | null }
export interface FindingView {
  id: string; alertId: string; createdAt: string; summary: string;
  causes: { candidate: string; label?: string; score: number }[];
  network: { involved: boolean | null; text: string };
}
export interface ScalingView {
  supervised: boolean;
  roles: { role: string; current: number; desired: number; decisions: { at: string; current: number; desired: number; direction: string; applied: boolean }[] }[];
}
export interface WaitingRoomView { mode: string; state: string; auto: { engaged: boolean; reason: string } | null; queuedUsers: number }
export interface ChangeView { id: number; at: string; kind: string; subject: string; summary: string; source: string; details: Record<string, unknown> }
export interface OrderView { id: string; status: string; createdAt: string; updatedAt: string }
export interface IntentView { id: string; status: string; created: number; amount_received?: number; metadata?: Record<string, string> }

export class ShopApiError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export class ShopApi {
  readonly urls: ShopUrls;
  readonly #token: string;
  readonly #pspKeys: string[];

  constructor(urls: ShopUrls, adminToken: string, pspKeys: string[]) {
    this.urls = urls;
    this.#token = adminToken;
    this.#pspKeys = pspKeys;
  }

  async #call<T>(base: string, method: string, path: string, opts: { body?: unknown; auth?: string; timeoutMs?: number } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${opts.auth ?? this.#token}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
      });
    } catch (err) {
      throw new ShopApiError(`${method} ${base}${path}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new ShopApiError(`${method} ${base}${path}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sets a fault with a time to live: a game day that dies without its rollback still leaves no fault behind for long. */
  setFault(name: string, params: Record<string, unknown>, ttlSeconds: number): Promise<unknown> {
    return this.#call(this.urls.storefront, 'PUT', `/api/admin/faults/${encodeURIComponent(name)}?ttlSeconds=${Math.max(1, Math.ceil(ttlSeconds))}`, { body: params });
  }

  clearFault(name: string): Promise<unknown> {
    return this.#call(this.urls.storefront, 'DELETE', `/api/admin/faults/${encodeURIComponent(name)}`);
  }

  async activeFaults(): Promise<string[]> {
    const data = await this.#call<{ items: { name: string; active: boolean }[] }>(this.urls.storefront, 'GET', '/api/admin/faults');
    return data.items.filter((f) => f.active).map((f) => f.name);
  }

  async alerts(): Promise<AlertView[]> {
    return (await this.#call<{ items: AlertView[] }>(this.urls.control, 'GET', '/api/ops/alerts')).items;
  }

  async findings(): Promise<FindingView[]> {
    return (await this.#call<{ items: FindingView[] }>(this.urls.control, 'GET', '/api/ops/rca')).items;
  }

  async incidents(): Promise<{ id: string; title: string; triggeredAt: string }[]> {
    return (await this.#call<{ items: { id: string; title: string; triggeredAt: string }[] }>(this.urls.control, 'GET', '/api/ops/incidents?limit=50')).items;
  }

  scaling(): Promise<ScalingView> {
    return this.#call<ScalingView>(this.urls.control, 'GET', '/api/ops/scaling');
  }

  /** Change events of these kinds recorded since `sinceMs` (the change log, oldest first). */
  async changes(sinceMs: number, kinds: string[]): Promise<ChangeView[]> {
    const q = new URLSearchParams({ since: new Date(sinceMs).toISOString(), limit: '500' });
    for (const k of kinds) q.append('kind', k);
    return (await this.#call<{ items: ChangeView[] }>(this.urls.control, 'GET', `/api/ops/changes?${q}`)).items;
  }

  waitingRoom(): Promise<WaitingRoomView> {
    return this.#call<WaitingRoomView>(this.urls.storefront, 'GET', '/api/ops/waiting-room');
  }

  /** Orders created since `sinceMs` (newest first, paged), optionally of one status. */
  async ordersSince(sinceMs: number, status?: string): Promise<OrderView[]> {
    const out: OrderView[] = [];
    let cursor: string | null = null;
    for (;;) {
      const q = new URLSearchParams({ limit: '100', ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) });
      const page: { items: OrderView[]; nextCursor: string | null } = await this.#call(this.urls.storefront, 'GET', `/api/admin/orders?${q}`, { timeoutMs: 15_000 });
      for (const o of page.items) {
        if (Date.parse(o.createdAt) < sinceMs) return out;
        out.push(o);
      }
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
  }

  /**
   * How many orders of a status were created in [fromMs, beforeMs): one count query on the shop. A shop
   * older than the count route answers 404, or 400 ("count" is no order id): then its listing is paged
   * through instead.
   */
  async countOrders(status: string, fromMs: number, beforeMs: number): Promise<number> {
    const q = new URLSearchParams({ status, createdFrom: new Date(fromMs).toISOString(), createdBefore: new Date(beforeMs).toISOString() });
    try {
      return (await this.#call<{ count: number }>(this.urls.storefront, 'GET', `/api/admin/orders/count?${q}`)).count;
    } catch (err) {
      if (!(err instanceof ShopApiError && (err.status === 404 || err.status === 400))) throw err;
      return (await this.ordersSince(fromMs, status)).filter((o) => Date.parse(o.createdAt) < beforeMs).length;
    }
  }

  /** Every PaymentIntent an account created since `sinceMs` (Stripe's list, paged with starting_after). */
  async intentsSince(account: number, sinceMs: number): Promise<IntentView[]> {
    const base = this.urls.psp[account]!;
    const out: IntentView[] = [];
    let after: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ limit: '100', 'created[gte]': String(Math.floor(sinceMs / 1000) - 1), ...(after ? { starting_after: after } : {}) });
      const page: { data: IntentView[]; has_more: boolean } = await this.#call(base, 'GET', `/v1/payment_intents?${q}`, { auth: this.#pspKeys[account]!, timeoutMs: 15_000 });
      out.push(...page.data);
      if (!page.has_more || !page.data.length) return out;
      after = page.data.at(-1)!.id;
    }
  }
}
