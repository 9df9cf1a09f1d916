// The one provider adapter: Stripe's REST API for the PaymentIntents flow (create+confirm, confirm again,
// retrieve, list, search, refund), with form-encoded bodies, Idempotency-Key and Stripe error objects. Configured by base
// URL and secret key alone: pointed at https://api.stripe.com with an sk_test_/sk_live_ key it talks to
// Stripe unchanged; pointed at the `psp` role it talks to the simulator.
import { Agent, request, errors as undiciErrors } from 'undici';
import { traceHttpClient, injectTraceHeaders } from '../platform/observability/tracing.ts';

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received?: number;
  currency: string;
  status: string;
  payment_method?: string | null;
  metadata: Record<string, string>;
  created: number;
  last_payment_error?: { code?: string; decline_code?: string; message?: string; type?: string } | null;
}

type ChargeResponse = PaymentIntent & { error?: { type?: string; code?: string; decline_code?: string; message?: string; payment_intent?: PaymentIntent } };

export interface Refund { id: string; object: 'refund'; amount: number; currency: string; payment_intent: string; status: string }

export interface StripeList<T> { object: 'list' | 'search_result'; data: T[]; has_more: boolean; next_page?: string | null }

export type ChargeOutcome =
  | { kind: 'succeeded'; intent: PaymentIntent }
  | { kind: 'declined'; code: string; declineCode?: string | undefined; message: string; intent?: PaymentIntent | undefined };

/**
 * A provider call that did not produce a definitive answer. `sent` says whether the request may have
 * reached the provider (false only when we know it did not: connection refused, DNS failure); when it
 * may have, the charge's outcome is unknown and must be resolved with the same idempotency key.
 */
export class ProviderError extends Error {
  readonly retryable: boolean;
  readonly sent: boolean;
  readonly status: number | undefined;
  readonly stripeType: string | undefined;
  readonly stripeCode: string | undefined;
  constructor(message: string, opts: { retryable: boolean; sent: boolean; status?: number | undefined; stripeType?: string | undefined; stripeCode?: string | undefined }) {
    super(message);
    this.name = 'ProviderError';
    this.retryable = opts.retryable;
    this.sent = opts.sent;
    this.status = opts.status;
    this.stripeType = opts.stripeType;
    this.stripeCode = opts.stripeCode;
  }
}

/** Stripe's bracket notation: {metadata: {order_id: 'x'}} -> metadata[order_id]=x */
export function formEncode(params: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const key = prefix ? `${prefix}[${k}]` : k;
    if (typeof v === 'object' && !Array.isArray(v)) parts.push(formEncode(v as Record<string, unknown>, key));
    else if (Array.isArray(v)) v.forEach((item, i) => parts.push(`${encodeURIComponent(`${key}[${i}]`)}=${encodeURIComponent(String(item))}`));
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
  }
  return parts.filter(Boolean).join('&');
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface StripeClientOptions { baseUrl: string; secretKey: string; apiVersion?: string; connections?: number }

export class StripeClient {
  readonly baseUrl: string;
  readonly #secretKey: string;
  readonly #apiVersion: string | undefined;
  readonly #agent: Agent;

  constructor(opts: StripeClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/$/, '');
    this.#secretKey = opts.secretKey;
    this.#apiVersion = opts.apiVersion;
    // HTTP/1.1 only (undici 8 would negotiate HTTP/2 with api.stripe.com): `connections` caps concurrent
    // calls, and the sent/not-sent reading of a failure is the one the simulator's tests prove.
    this.#agent = new Agent({ connections: opts.connections ?? 64, keepAliveTimeout: 10_000, connect: { timeout: 2_000 }, allowH2: false });
  }

  async close(): Promise<void> { await this.#agent.close(); }

  async #call<T>(method: 'GET' | 'POST', path: string, opts: { body?: Record<string, unknown>; query?: Record<string, unknown>; idempotencyKey?: string; signal?: AbortSignal | undefined; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T }> {
    const qs = opts.query ? formEncode(opts.query) : '';
    const url = `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#secretKey}`,
      ...(this.#apiVersion ? { 'stripe-version': this.#apiVersion } : {}),
      ...(opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {}),
      ...opts.headers,
    };
    // The span is named after the operation, not the URL: ids in paths would make every name unique.
    const operation = path.replace(/\/(pi|re)_[A-Za-z0-9]+/, '/:id');
    return traceHttpClient(method, url, operation, async (span) => {
      injectTraceHeaders(headers);
      let res;
      try {
        res = await request(url, {
          method, headers: opts.body ? { ...headers, 'content-type': 'application/x-www-form-urlencoded' } : headers,
          ...(opts.body ? { body: formEncode(opts.body) } : {}),
          dispatcher: this.#agent, signal: opts.signal ?? null, headersTimeout: 60_000, bodyTimeout: 60_000,
        });
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? '';
        const notSent = NOT_SENT_CODES.has(code) || NOT_SENT_CODES.has(cause) || err instanceof undiciErrors.ConnectTimeoutError;
        throw new ProviderError(`${method} ${path}: ${(err as Error).message}`, { retryable: true, sent: !notSent });
      }
      span?.setAttribute('http.response.status_code', res.statusCode);
      const text = await res.body.text().catch(() => '');
      let body: unknown;
      try { body = text ? JSON.parse(text) : {}; } catch { body = { error: { type: 'api_error', message: text.slice(0, 200) } }; }
      return { status: res.statusCode, body: body as T };
    });
  }

  #toError(method: string, path: string, status: number, body: unknown): ProviderError {
    const e = (body as { error?: { type?: string; code?: string; message?: string } }).error ?? {};
    // Stripe: 409 (idempotent request still in flight), 429 (rate limit) and 5xx are worth retrying with
    // the same key; other 4xx are definitive client errors.
    const retryable = status === 409 || status === 429 || status >= 500;
    return new ProviderError(`${method} ${path}: HTTP ${status} ${e.type ?? ''} ${e.code ?? ''} ${e.message ?? ''}`.trim(), {
      retryable, sent: true, status, stripeType: e.type, stripeCode: e.code,
    });
  }

  /** Creates and confirms a PaymentIntent in one call. A decline is a result, not an exception. */
  async createAndConfirm(p: {
    amount: number; currency: string; paymentMethod: string; metadata: Record<string, string>; description?: string;
    idempotencyKey: string; signal?: AbortSignal | undefined;
  }): Promise<ChargeOutcome> {
    const path = '/v1/payment_intents';
    const { status, body } = await this.#call<ChargeResponse>('POST', path, {
      idempotencyKey: p.idempotencyKey, signal: p.signal,
      body: {
        amount: p.amount, currency: p.currency.toLowerCase(), payment_method: p.paymentMethod, confirm: 'true',
        metadata: p.metadata, description: p.description,
        // Server-side confirmation without redirects: Stripe requires this for confirm=true without a return_url.
        automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
      },
    });
    return this.#chargeOutcome('POST', path, status, body);
  }

  /**
   * Confirms an existing PaymentIntent again with another payment method: after a decline the intent is
   * back in requires_payment_method, and Stripe's flow is to confirm it again rather than create another.
   * The intent was created without redirects, so no return_url is needed. A decline is a result.
   */
  async confirm(p: { intentId: string; paymentMethod: string; idempotencyKey: string; signal?: AbortSignal | undefined }): Promise<ChargeOutcome> {
    const path = `/v1/payment_intents/${encodeURIComponent(p.intentId)}/confirm`;
    const { status, body } = await this.#call<ChargeResponse>('POST', path, {
      idempotencyKey: p.idempotencyKey, signal: p.signal, body: { payment_method: p.paymentMethod },
    });
    return this.#chargeOutcome('POST', path, status, body);
  }

  /** A charge's answer: 200 succeeded, 200 with any other status or 402 card_error is a decline, else an error. */
  #chargeOutcome(method: string, path: string, status: number, body: ChargeResponse): ChargeOutcome {
    if (status === 200) {
      if (body.status === 'succeeded') return { kind: 'succeeded', intent: body };
      const err = body.last_payment_error;
      return { kind: 'declined', code: err?.code ?? body.status, declineCode: err?.decline_code, message: err?.message ?? `payment intent ${body.status}`, intent: body };
    }
    if (status === 402 && body.error?.type === 'card_error') {
      return { kind: 'declined', code: body.error.code ?? 'card_declined', declineCode: body.error.decline_code, message: body.error.message ?? 'card declined', intent: body.error.payment_intent };
    }
    throw this.#toError(method, path, status, body);
  }

  async retrieve(id: string, signal?: AbortSignal): Promise<PaymentIntent> {
    const path = `/v1/payment_intents/${encodeURIComponent(id)}`;
    const { status, body } = await this.#call<PaymentIntent>('GET', path, { signal });
    if (status !== 200) throw this.#toError('GET', path, status, body);
    return body;
  }

  async list(p: { limit?: number; startingAfter?: string; createdGte?: number; signal?: AbortSignal } = {}): Promise<StripeList<PaymentIntent>> {
    const path = '/v1/payment_intents';
    const { status, body } = await this.#call<StripeList<PaymentIntent>>('GET', path, {
      signal: p.signal,
      query: { limit: p.limit ?? 100, starting_after: p.startingAfter, ...(p.createdGte ? { created: { gte: p.createdGte } } : {}) },
    });
    if (status !== 200) throw this.#toError('GET', path, status, body);
    return body;
  }

  /** Every intent since createdGte, following has_more/starting_after pagination. */
  async listAll(p: { createdGte?: number; signal?: AbortSignal } = {}): Promise<PaymentIntent[]> {
    const out: PaymentIntent[] = [];
    let startingAfter: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.list({ limit: 100, ...(startingAfter ? { startingAfter } : {}), ...(p.createdGte ? { createdGte: p.createdGte } : {}), ...(p.signal ? { signal: p.signal } : {}) });
      out.push(...res.data);
      if (!res.has_more || res.data.length === 0) break;
      startingAfter = res.data.at(-1)!.id;
    }
    return out;
  }

  async searchByMetadata(key: string, value: string, signal?: AbortSignal): Promise<PaymentIntent[]> {
    const path = '/v1/payment_intents/search';
    const { status, body } = await this.#call<StripeList<PaymentIntent>>('GET', path, {
      signal, query: { query: `metadata['${key}']:'${value.replace(/'/g, "\\'")}'`, limit: 100 },
    });
    if (status !== 200) throw this.#toError('GET', path, status, body);
    return body.data;
  }

  async refund(p: { paymentIntent: string; amount?: number; idempotencyKey: string; metadata?: Record<string, string>; signal?: AbortSignal }): Promise<Refund> {
    const path = '/v1/refunds';
    const { status, body } = await this.#call<Refund>('POST', path, {
      idempotencyKey: p.idempotencyKey, signal: p.signal,
      body: { payment_intent: p.paymentIntent, amount: p.amount, metadata: p.metadata },
    });
    if (status !== 200) throw this.#toError('POST', path, status, body);
    return body;
  }
}
