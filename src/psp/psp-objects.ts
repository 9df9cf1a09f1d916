// Stripe's object shapes for the subset the simulator implements (PaymentIntent, PaymentMethod, Refund),
// built from ledger rows, plus ids, currencies and money formatting as Stripe renders them.
import { randomBytes } from 'node:crypto';
import type { TestCard } from './test-payment-methods.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Stripe-style id: prefix + 24 base62 characters (pi_3MtwBwLkdIwHu7ix28a3tqPa). */
export function stripeId(prefix: string, length = 24): string {
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; out.length < length && i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 248) out += ALPHABET[b % 62]; // 248 = 4 * 62: no modulo bias
  }
  while (out.length < length) out += ALPHABET[randomBytes(1)[0]! % 62];
  return `${prefix}_${out}`;
}

/** Currencies without minor units: amounts are whole units. */
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

/** Minimum charge amounts (minor units) Stripe enforces per settlement currency; others use 50. */
const MINIMUMS: Record<string, number> = {
  usd: 50, eur: 50, gbp: 30, aud: 50, cad: 50, chf: 50, nzd: 50, sgd: 50, brl: 50, inr: 50, jpy: 50,
  dkk: 250, nok: 300, sek: 300, pln: 200, czk: 1500, huf: 17500, hkd: 400, mxn: 1000, thb: 1000, ron: 200, bgn: 100, aed: 200,
};

export const SUPPORTED_CURRENCIES = new Set([
  ...Object.keys(MINIMUMS), ...ZERO_DECIMAL,
  'ars', 'cny', 'cop', 'egp', 'idr', 'ils', 'isk', 'kes', 'myr', 'ngn', 'pen', 'php', 'pkr', 'sar', 'try', 'twd', 'uah', 'zar',
]);

export const MAX_AMOUNT = 99_999_999;

export function minimumAmount(currency: string): number {
  return MINIMUMS[currency] ?? 50;
}

const SYMBOLS: Record<string, string> = { usd: '$', eur: '€', gbp: '£', jpy: '¥', aud: 'A$', cad: 'CA$', nzd: 'NZ$', hkd: 'HK$', sgd: 'SGD' };

/** Stripe's rendering of an amount in messages: $0.50, €12.00, ¥500. */
export function formatMoney(amount: number, currency: string): string {
  const symbol = SYMBOLS[currency] ?? `${currency.toUpperCase()} `;
  if (ZERO_DECIMAL.has(currency)) return `${symbol}${amount.toLocaleString('en-US')}`;
  return `${symbol}${(amount / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export interface IntentRow {
  seq: number;
  id: string;
  account_id: string;
  amount: number;
  amount_received: number;
  amount_refunded: number;
  currency: string;
  status: string;
  client_secret: string;
  description: string | null;
  metadata: Record<string, string>;
  payment_method: string | null;
  payment_method_token: string | null;
  latest_charge: string | null;
  last_payment_error: Record<string, unknown> | null;
  options: IntentOptions;
  canceled_at: number | null;
  cancellation_reason: string | null;
  created: number;
}

/** Create parameters echoed back on the PaymentIntent. */
export interface IntentOptions {
  payment_method_types: string[];
  automatic_payment_methods: { enabled: boolean; allow_redirects?: 'always' | 'never' } | null;
  capture_method: string;
  confirmation_method: string;
  receipt_email: string | null;
  statement_descriptor: string | null;
  statement_descriptor_suffix: string | null;
  setup_future_usage: string | null;
  return_url?: string | null;
}

export interface RefundRow {
  seq: number;
  id: string;
  account_id: string;
  payment_intent_id: string;
  charge_id: string;
  amount: number;
  currency: string;
  status: string;
  reason: string | null;
  metadata: Record<string, string>;
  created: number;
}

export function paymentIntentObject(row: IntentRow): Record<string, unknown> {
  const o = row.options;
  return {
    id: row.id,
    object: 'payment_intent',
    amount: row.amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: row.amount_received,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: o.automatic_payment_methods,
    canceled_at: row.canceled_at,
    cancellation_reason: row.cancellation_reason,
    capture_method: o.capture_method,
    client_secret: row.client_secret,
    confirmation_method: o.confirmation_method,
    created: row.created,
    currency: row.currency,
    customer: null,
    description: row.description,
    last_payment_error: row.last_payment_error,
    latest_charge: row.latest_charge,
    livemode: false,
    metadata: row.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: row.payment_method,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' },
    },
    payment_method_types: o.payment_method_types,
    processing: null,
    receipt_email: o.receipt_email,
    review: null,
    setup_future_usage: o.setup_future_usage,
    shipping: null,
    source: null,
    statement_descriptor: o.statement_descriptor,
    statement_descriptor_suffix: o.statement_descriptor_suffix,
    status: row.status,
    transfer_data: null,
    transfer_group: null,
  };
}

export function paymentMethodObject(id: string, card: TestCard, created: number): Record<string, unknown> {
  return {
    id,
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null, name: null, phone: null,
    },
    card: {
      brand: card.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: 'US',
      display_brand: card.brand === 'amex' ? 'american_express' : card.brand,
      exp_month: 12,
      exp_year: new Date().getUTCFullYear() + 1,
      funding: card.funding,
      generated_from: null,
      last4: card.last4,
      networks: { available: [card.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created,
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

export function refundObject(row: RefundRow): Record<string, unknown> {
  return {
    id: row.id,
    object: 'refund',
    amount: row.amount,
    balance_transaction: null,
    charge: row.charge_id,
    created: row.created,
    currency: row.currency,
    destination_details: { card: { reference_status: 'pending', reference_type: 'acquirer_reference_number', type: 'refund' }, type: 'card' },
    metadata: row.metadata,
    payment_intent: row.payment_intent_id,
    reason: row.reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: row.status,
    transfer_reversal: null,
  };
}
