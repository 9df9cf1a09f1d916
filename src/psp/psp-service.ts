// The simulator's API operations (Stripe semantics), independent of HTTP: each takes parsed parameters
// and returns the response as {status, body}. Declines are results (HTTP 402 with the stored intent),
// invalid requests are thrown StripeErrors.
import { query, type Queryable } from '../platform/db/database.ts';
import type { FormObject } from './stripe-form.ts';
import { Params } from './psp-params.ts';
import { StripeError, StripeErrors, docUrl } from './stripe-errors.ts';
import { testCard, type TestCard } from './test-payment-methods.ts';
import {
  stripeId, paymentIntentObject, paymentMethodObject, refundObject, formatMoney, minimumAmount, SUPPORTED_CURRENCIES,
  MAX_AMOUNT, type IntentOptions, type IntentRow, type RefundRow,
} from './psp-objects.ts';
import { Q, insertIntent, getIntent, listIntents, listRefunds, type CreatedRange } from './psp-ledger.ts';
import { paymentIntentSearchPredicate } from './search-query.ts';

export interface PspAccount {
  /** Short name faults refer to: primary, secondary. */
  name: string;
  /** The ledger's account id (acct_...). */
  accountId: string;
  secretKey: string;
}

export interface PspResult { status: number; body: unknown }

export interface RequestContext {
  account: PspAccount;
  /** Stripe-Version the request asked for (or the simulator's default). */
  apiVersion: string;
}

/** The API version the simulator answers as when a request names none. */
export const DEFAULT_API_VERSION = '2024-06-20';
// From this version on, PaymentIntents default to automatic_payment_methods (Stripe's 2023-08-16 change).
const AUTOMATIC_PM_DEFAULT_FROM = '2023-08-16';

const ok = (body: unknown): PspResult => ({ status: 200, body });

// ---- PaymentIntents ------------------------------------------------------------------------------------

const UNSUPPORTED_INTENT_PARAMS = ['expand', 'shipping', 'payment_method_options', 'payment_method_data', 'mandate_data',
  'on_behalf_of', 'transfer_data', 'transfer_group', 'application_fee_amount', 'radar_options', 'confirmation_token'];

function readCurrency(p: Params): string {
  const raw = p.string('currency', { required: true })!;
  const currency = raw.toLowerCase();
  if (!SUPPORTED_CURRENCIES.has(currency)) {
    throw StripeErrors.invalidRequest(`Invalid currency: ${raw}. Stripe currently supports these currencies: ${[...SUPPORTED_CURRENCIES].sort().join(', ')}`, 'currency');
  }
  return currency;
}

function readAmount(p: Params, currency: string): number {
  const amount = p.integer('amount', { required: true })!;
  const min = minimumAmount(currency);
  if (amount < min) {
    throw StripeErrors.invalidRequest(`Amount must be at least ${formatMoney(min, currency)} ${currency}`, 'amount', 'amount_too_small');
  }
  if (amount > MAX_AMOUNT) {
    throw StripeErrors.invalidRequest(`Amount must be no more than ${formatMoney(MAX_AMOUNT, currency)}`, 'amount', 'amount_too_large');
  }
  return amount;
}

function rejectUnsupported(p: Params, names: string[]): void {
  for (const name of names) {
    if (!p.has(name)) continue;
    const v = p.raw(name);
    if (name === 'expand' && (v === '' || (Array.isArray(v) && v.length === 0))) continue;
    throw StripeErrors.unsupported(`The ${name} parameter`, name);
  }
}

function readPaymentMethodToken(p: Params): { token: string; card: TestCard } | undefined {
  const token = p.string('payment_method', { maxLength: 5000 });
  if (token === undefined) return undefined;
  const card = testCard(token);
  if (!card) throw StripeErrors.resourceMissing('PaymentMethod', token, 'payment_method');
  return { token, card };
}

interface ChargeAttempt {
  status: string;
  amountReceived: number;
  paymentMethod: string | null;
  latestCharge: string;
  lastPaymentError: Record<string, unknown> | null;
  /** The 402 error body (without payment_intent, added once the intent row exists). */
  decline?: Record<string, unknown>;
}

/** Runs the card: success, or a decline with Stripe's codes. The cloned PaymentMethod gets a pm_ id. */
function attemptCharge(amount: number, pm: { token: string; card: TestCard }, pmId: string): ChargeAttempt {
  const chargeId = stripeId('ch');
  const outcome = pm.card.outcome;
  if (outcome.kind === 'success') {
    return { status: 'succeeded', amountReceived: amount, paymentMethod: pmId, latestCharge: chargeId, lastPaymentError: null };
  }
  const pmObject = paymentMethodObject(pmId, pm.card, Math.floor(Date.now() / 1000));
  const error: Record<string, unknown> = {
    charge: chargeId,
    code: outcome.code,
    ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
    doc_url: docUrl(outcome.code),
    message: outcome.message,
    ...(outcome.param ? { param: outcome.param } : {}),
    payment_method: pmObject,
    type: 'card_error',
  };
  // After a decline Stripe detaches the PaymentMethod: the intent waits for a new one.
  return {
    status: 'requires_payment_method', amountReceived: 0, paymentMethod: null, latestCharge: chargeId,
    lastPaymentError: error, decline: error,
  };
}

function chargeResult(row: IntentRow, attempt: ChargeAttempt | undefined): PspResult {
  const intent = paymentIntentObject(row);
  if (attempt?.decline) {
    const { payment_method: pmObject, ...rest } = attempt.decline;
    return { status: 402, body: { error: { ...rest, payment_intent: intent, payment_method: pmObject } } };
  }
  return ok(intent);
}

function readIntentOptions(p: Params, ctx: RequestContext, confirm: boolean, returnUrl: string | undefined): IntentOptions {
  const apmParams = p.hash('automatic_payment_methods');
  const types = p.stringArray('payment_method_types');
  if (apmParams && types) {
    throw StripeErrors.invalidRequest('You may only specify one of these parameters: automatic_payment_methods, payment_method_types.', 'automatic_payment_methods');
  }
  let apm: IntentOptions['automatic_payment_methods'] = null;
  if (apmParams) {
    const enabled = apmParams.boolean('enabled');
    if (enabled === undefined) throw StripeErrors.parameterMissing('automatic_payment_methods[enabled]');
    const allow = apmParams.string('allow_redirects', { oneOf: ['always', 'never'] }) as 'always' | 'never' | undefined;
    apmParams.done();
    apm = enabled ? { allow_redirects: allow ?? 'always', enabled: true } : null;
  } else if (!types && ctx.apiVersion >= AUTOMATIC_PM_DEFAULT_FROM) {
    apm = { allow_redirects: 'always', enabled: true };
  }
  if (types) {
    for (const t of types) if (t !== 'card') throw StripeErrors.unsupported(`The payment method type "${t}"`, 'payment_method_types');
  }
  // Stripe: with automatic payment methods that may redirect, a server-side confirm needs a return_url.
  if (confirm && apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl) {
    throw StripeErrors.invalidRequest(
      'This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don\'t want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.',
      'return_url');
  }
  const captureMethod = p.string('capture_method', { oneOf: ['automatic', 'automatic_async', 'manual'] }) ?? 'automatic_async';
  if (captureMethod === 'manual') throw StripeErrors.unsupported('capture_method=manual', 'capture_method');
  const setupFutureUsage = p.string('setup_future_usage', { oneOf: ['on_session', 'off_session'] });
  if (setupFutureUsage) throw StripeErrors.unsupported('setup_future_usage', 'setup_future_usage');
  return {
    payment_method_types: types?.length ? types : ['card'],
    automatic_payment_methods: apm,
    capture_method: captureMethod,
    confirmation_method: p.string('confirmation_method', { oneOf: ['automatic', 'manual'] }) ?? 'automatic',
    receipt_email: p.string('receipt_email', { maxLength: 800 }) ?? null,
    statement_descriptor: p.string('statement_descriptor', { maxLength: 22 }) ?? null,
    statement_descriptor_suffix: p.string('statement_descriptor_suffix', { maxLength: 22 }) ?? null,
    setup_future_usage: null,
    return_url: returnUrl ?? null,
  };
}

/** POST /v1/payment_intents (with confirm=true: create and charge in one call). */
export async function createPaymentIntent(tx: Queryable, ctx: RequestContext, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, UNSUPPORTED_INTENT_PARAMS);
  const currency = readCurrency(p);
  const amount = readAmount(p, currency);
  const confirm = p.boolean('confirm') ?? false;
  const returnUrl = p.string('return_url', { maxLength: 5000 });
  p.boolean('off_session');
  p.boolean('error_on_requires_action');
  p.boolean('use_stripe_sdk');
  const customer = p.string('customer');
  if (customer) throw StripeErrors.resourceMissing('customer', customer, 'customer');
  const pm = readPaymentMethodToken(p);
  const options = readIntentOptions(p, ctx, confirm, returnUrl);
  const metadata = p.metadata() ?? {};
  const description = p.string('description', { maxLength: 1000 }) ?? null;
  p.done();
  if (confirm && !pm) {
    throw StripeErrors.invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a payment method, pass `payment_method`.", 'payment_method', 'payment_intent_unexpected_state');
  }

  const id = stripeId('pi');
  const pmId = pm ? stripeId('pm') : null;
  const attempt = confirm && pm ? attemptCharge(amount, pm, pmId!) : undefined;
  const row = await insertIntent(tx, {
    id, accountId: ctx.account.accountId, amount, amountReceived: attempt?.amountReceived ?? 0, currency,
    status: attempt?.status ?? (pm ? 'requires_confirmation' : 'requires_payment_method'),
    clientSecret: `${id}_secret_${stripeId('x', 25).slice(2)}`, description, metadata,
    paymentMethod: attempt ? attempt.paymentMethod : pmId, paymentMethodToken: pm?.token ?? null,
    latestCharge: attempt?.latestCharge ?? null, lastPaymentError: attempt?.lastPaymentError ?? null, options,
  });
  return chargeResult(row, attempt);
}

async function intentOr404(db: Queryable, ctx: RequestContext, id: string, forUpdate = false): Promise<IntentRow> {
  const row = /^pi_[A-Za-z0-9]+$/.test(id) ? await getIntent(db, ctx.account.accountId, id, forUpdate) : undefined;
  if (!row) throw StripeErrors.resourceMissing('payment_intent', id, 'intent', 404);
  return row;
}

/** POST /v1/payment_intents/:id/confirm */
export async function confirmPaymentIntent(tx: Queryable, ctx: RequestContext, id: string, form: FormObject): Promise<PspResult> {
  const row = await intentOr404(tx, ctx, id, true);
  const p = new Params(form);
  rejectUnsupported(p, ['expand', 'shipping', 'payment_method_options', 'payment_method_data', 'mandate_data', 'confirmation_token']);
  const returnUrl = p.string('return_url', { maxLength: 5000 });
  p.boolean('off_session');
  p.boolean('error_on_requires_action');
  p.boolean('use_stripe_sdk');
  p.string('receipt_email', { maxLength: 800 });
  const newPm = readPaymentMethodToken(p);
  p.done();
  if (row.status !== 'requires_payment_method' && row.status !== 'requires_confirmation') {
    throw StripeErrors.invalidRequest(`You cannot confirm this PaymentIntent because it has a status of ${row.status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.`, undefined, 'payment_intent_unexpected_state');
  }
  const token = newPm?.token ?? (row.payment_method ? row.payment_method_token : null);
  const pm = token ? { token, card: testCard(token)! } : undefined;
  if (!pm) {
    throw StripeErrors.invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a payment method, pass `payment_method`.", 'payment_method', 'payment_intent_unexpected_state');
  }
  const apm = row.options.automatic_payment_methods;
  if (apm?.enabled && apm.allow_redirects !== 'never' && !returnUrl && !row.options.return_url) {
    throw StripeErrors.invalidRequest('This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`.', 'return_url');
  }
  const pmId = newPm || !row.payment_method ? stripeId('pm') : row.payment_method;
  const attempt = attemptCharge(row.amount, pm, pmId);
  const updated = (await query<IntentRow>(tx, Q.updateIntentConfirmed, [
    ctx.account.accountId, row.id, attempt.status, attempt.amountReceived, attempt.paymentMethod, pm.token,
    attempt.latestCharge, attempt.lastPaymentError ? JSON.stringify(attempt.lastPaymentError) : null,
    JSON.stringify({ ...row.options, return_url: returnUrl ?? row.options.return_url ?? null }),
  ])).rows[0]!;
  return chargeResult(updated, attempt);
}

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];

/** POST /v1/payment_intents/:id/cancel */
export async function cancelPaymentIntent(tx: Queryable, ctx: RequestContext, id: string, form: FormObject): Promise<PspResult> {
  const row = await intentOr404(tx, ctx, id, true);
  const p = new Params(form);
  const reason = p.string('cancellation_reason', { oneOf: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] }) ?? null;
  rejectUnsupported(p, ['expand']);
  p.done();
  if (!CANCELABLE.includes(row.status)) {
    throw StripeErrors.invalidRequest(`You cannot cancel this PaymentIntent because it has a status of ${row.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`, undefined, 'payment_intent_unexpected_state');
  }
  const updated = (await query<IntentRow>(tx, Q.cancelIntent, [ctx.account.accountId, row.id, reason])).rows[0]!;
  return ok(paymentIntentObject(updated));
}

/** GET /v1/payment_intents/:id */
export async function retrievePaymentIntent(db: Queryable, ctx: RequestContext, id: string, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  p.string('client_secret');
  rejectUnsupported(p, ['expand']);
  p.done();
  return ok(paymentIntentObject(await intentOr404(db, ctx, id)));
}

function readCreated(p: Params): CreatedRange {
  const v = p.raw('created');
  if (v === undefined || v === '') return {};
  if (typeof v === 'string') {
    if (!/^\d{1,12}$/.test(v)) throw StripeErrors.invalidInteger('created', v);
    return { gte: Number(v), lte: Number(v) };
  }
  const h = p.hash('created')!;
  const range = { gt: h.integer('gt'), gte: h.integer('gte'), lt: h.integer('lt'), lte: h.integer('lte') };
  h.done();
  return range;
}

interface Page { limit: number; startingAfter?: string | undefined; endingBefore?: string | undefined }

function readPage(p: Params): Page {
  const limit = p.integer('limit', { min: 1, max: 100 }) ?? 10;
  const startingAfter = p.string('starting_after', { maxLength: 5000 });
  const endingBefore = p.string('ending_before', { maxLength: 5000 });
  if (startingAfter && endingBefore) {
    throw StripeErrors.invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', 'ending_before');
  }
  return { limit, startingAfter, endingBefore };
}

async function cursorSeq(db: Queryable, q: { name: string; text: string }, accountId: string, id: string | undefined, kind: string, param: string): Promise<number | undefined> {
  if (!id) return undefined;
  const row = (await query<{ seq: number }>(db, q, [accountId, id])).rows[0];
  if (!row) throw StripeErrors.resourceMissing(kind, id, param);
  return row.seq;
}

/** GET /v1/payment_intents */
export async function listPaymentIntents(db: Queryable, ctx: RequestContext, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, ['expand']);
  const created = readCreated(p);
  const page = readPage(p);
  const customer = p.string('customer');
  p.done();
  const url = '/v1/payment_intents';
  if (customer) return ok({ object: 'list', data: [], has_more: false, url });
  const acct = ctx.account.accountId;
  const startingAfterSeq = await cursorSeq(db, Q.intentSeq, acct, page.startingAfter, 'payment_intent', 'starting_after');
  const endingBeforeSeq = await cursorSeq(db, Q.intentSeq, acct, page.endingBefore, 'payment_intent', 'ending_before');
  const { rows, hasMore } = await listIntents(db, acct, { created, startingAfterSeq, endingBeforeSeq, limit: page.limit });
  return ok({ object: 'list', data: rows.map(paymentIntentObject), has_more: hasMore, url });
}

/** GET /v1/payment_intents/search */
export async function searchPaymentIntents(db: Queryable, ctx: RequestContext, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, ['expand']);
  const q = p.string('query', { required: true, maxLength: 10_000 })!;
  const limit = p.integer('limit', { min: 1, max: 100 }) ?? 10;
  const pageToken = p.string('page', { maxLength: 200 });
  p.done();
  let beforeSeq: number | null = null;
  if (pageToken) {
    const m = /^psp_page_(\d{1,18})$/.exec(Buffer.from(pageToken, 'base64url').toString('utf8'));
    if (!m) throw StripeErrors.invalidRequest('Invalid page: the page token is malformed.', 'page');
    beforeSeq = Number(m[1]);
  }
  const pred = paymentIntentSearchPredicate(q, 4);
  const text = `SELECT seq, id, account_id, amount, amount_received, amount_refunded, currency, status, client_secret,
      description, metadata, payment_method, payment_method_token, latest_charge, last_payment_error, options,
      canceled_at, cancellation_reason, created
    FROM psp.payment_intents WHERE account_id = $1 AND ($2::bigint IS NULL OR seq < $2) AND (${pred.sql})
    ORDER BY seq DESC LIMIT $3`;
  // Search predicates vary in shape, so this one is not a prepared statement.
  const { rows } = await query<IntentRow>(db, { name: 'psp.search_intents', text, unprepared: true },
    [ctx.account.accountId, beforeSeq, limit + 1, ...pred.values]);
  const hasMore = rows.length > limit;
  const data = rows.slice(0, limit);
  const nextPage = hasMore ? Buffer.from(`psp_page_${data.at(-1)!.seq}`).toString('base64url') : null;
  return ok({ object: 'search_result', data: data.map(paymentIntentObject), has_more: hasMore, next_page: nextPage, url: '/v1/payment_intents/search' });
}

// ---- Refunds -------------------------------------------------------------------------------------------

/** POST /v1/refunds */
export async function createRefund(tx: Queryable, ctx: RequestContext, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, ['expand', 'refund_application_fee', 'reverse_transfer', 'origin', 'customer']);
  const piId = p.string('payment_intent', { maxLength: 5000 });
  const chargeId = p.string('charge', { maxLength: 5000 });
  const amount = p.integer('amount', { min: 1 });
  const reason = p.string('reason', { oneOf: ['duplicate', 'fraudulent', 'requested_by_customer'] }) ?? null;
  const metadata = p.metadata() ?? {};
  p.string('instructions_email', { maxLength: 800 });
  p.done();
  if (!piId && !chargeId) throw StripeErrors.invalidRequest('One of the following params should be provided for this API: charge, payment_intent.', 'payment_intent');
  if (piId && chargeId) throw StripeErrors.invalidRequest('You may only specify one of these parameters: charge, payment_intent.', 'charge');
  const acct = ctx.account.accountId;
  const row = piId
    ? await getIntent(tx, acct, piId, true)
    : (await query<IntentRow>(tx, Q.getIntentByChargeForUpdate, [acct, chargeId])).rows[0];
  if (!row) throw piId ? StripeErrors.resourceMissing('payment_intent', piId, 'payment_intent') : StripeErrors.resourceMissing('charge', chargeId!, 'charge');
  if (row.status !== 'succeeded' || !row.latest_charge) {
    throw StripeErrors.invalidRequest(`This PaymentIntent (${row.id}) does not have a successful charge to refund.`, piId ? 'payment_intent' : 'charge');
  }
  if (chargeId && chargeId !== row.latest_charge) throw StripeErrors.resourceMissing('charge', chargeId, 'charge');
  const remaining = row.amount_received - row.amount_refunded;
  if (remaining <= 0) {
    throw StripeErrors.invalidRequest(`Charge ${row.latest_charge} has already been refunded.`, undefined, 'charge_already_refunded');
  }
  const refundAmount = amount ?? remaining;
  if (refundAmount > remaining) {
    throw StripeErrors.invalidRequest(
      `Refund amount (${formatMoney(refundAmount, row.currency)}) is greater than unrefunded amount on charge (${formatMoney(remaining, row.currency)})`,
      'amount', 'amount_too_large');
  }
  await query(tx, Q.addRefunded, [acct, row.id, refundAmount]);
  const refund = (await query<RefundRow>(tx, Q.insertRefund, [
    stripeId('re'), acct, row.id, row.latest_charge, refundAmount, row.currency, reason, JSON.stringify(metadata),
  ])).rows[0]!;
  return ok(refundObject(refund));
}

/** GET /v1/refunds/:id */
export async function retrieveRefund(db: Queryable, ctx: RequestContext, id: string, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, ['expand']);
  p.done();
  const row = /^re_[A-Za-z0-9]+$/.test(id) ? (await query<RefundRow>(db, Q.getRefund, [ctx.account.accountId, id])).rows[0] : undefined;
  if (!row) throw StripeErrors.resourceMissing('refund', id, 'id', 404);
  return ok(refundObject(row));
}

/** GET /v1/refunds */
export async function listRefundsEndpoint(db: Queryable, ctx: RequestContext, form: FormObject): Promise<PspResult> {
  const p = new Params(form);
  rejectUnsupported(p, ['expand']);
  const created = readCreated(p);
  const page = readPage(p);
  const paymentIntent = p.string('payment_intent', { maxLength: 5000 });
  const charge = p.string('charge', { maxLength: 5000 });
  p.done();
  const acct = ctx.account.accountId;
  if (paymentIntent && !(await getIntent(db, acct, paymentIntent))) {
    throw StripeErrors.resourceMissing('payment_intent', paymentIntent, 'payment_intent');
  }
  const startingAfterSeq = await cursorSeq(db, Q.refundSeq, acct, page.startingAfter, 'refund', 'starting_after');
  const endingBeforeSeq = await cursorSeq(db, Q.refundSeq, acct, page.endingBefore, 'refund', 'ending_before');
  const { rows, hasMore } = await listRefunds(db, acct, { paymentIntent, charge, created, startingAfterSeq, endingBeforeSeq, limit: page.limit });
  return ok({ object: 'list', data: rows.map(refundObject), has_more: hasMore, url: '/v1/refunds' });
}

export { StripeError };
