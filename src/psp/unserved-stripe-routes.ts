// Stripe API routes the simulator does not implement. A client calling one of them gets a 400
// invalid_request_error that names the route and says the simulator does not support it, so nobody
// mistakes a missing feature for a typo; a URL that is no Stripe route at all still gets Stripe's own
// 404 "Unrecognized request URL". Stripe's API serves GET, POST and DELETE only.

/**
 * Top-level Stripe resources (the first segment after /v1, from Stripe's API reference) of which the
 * simulator serves nothing. Every route under them is a Stripe route it does not support.
 */
const UNSERVED_RESOURCES = new Set([
  'account', 'account_links', 'account_sessions', 'accounts', 'apple_pay', 'application_fees', 'apps', 'balance',
  'balance_settings', 'balance_transactions', 'billing', 'billing_portal', 'charges', 'checkout', 'climate',
  'confirmation_tokens', 'country_specs', 'coupons', 'credit_notes', 'customer_sessions', 'customers', 'disputes',
  'entitlements', 'ephemeral_keys', 'events', 'exchange_rates', 'file_links', 'files', 'financial_connections',
  'forwarding', 'identity', 'invoice_payments', 'invoice_rendering_templates', 'invoiceitems', 'invoices', 'issuing',
  'mandates', 'payment_attempt_records', 'payment_links', 'payment_method_configurations', 'payment_method_domains',
  'payment_methods', 'payment_records', 'payouts', 'plans', 'prices', 'products', 'promotion_codes', 'quotes', 'radar',
  'reporting', 'reviews', 'setup_attempts', 'setup_intents', 'shipping_rates', 'sigma', 'sources', 'subscription_items',
  'subscription_schedules', 'subscriptions', 'tax', 'tax_codes', 'tax_ids', 'tax_rates', 'terminal', 'test_helpers',
  'tokens', 'topups', 'transfers', 'treasury', 'webhook_endpoints',
]);

/** Routes of the resources the simulator serves (PaymentIntents, Refunds) that it does not implement. */
const UNSERVED_ROUTES: readonly { method: string; path: RegExp; what: string }[] = [
  { method: 'POST', path: /^\/v1\/payment_intents\/[^/]+$/, what: 'update a PaymentIntent' },
  { method: 'POST', path: /^\/v1\/payment_intents\/[^/]+\/capture$/, what: 'capture a PaymentIntent' },
  { method: 'POST', path: /^\/v1\/payment_intents\/[^/]+\/increment_authorization$/, what: 'increment an authorization' },
  { method: 'POST', path: /^\/v1\/payment_intents\/[^/]+\/apply_customer_balance$/, what: 'apply a customer balance' },
  { method: 'POST', path: /^\/v1\/payment_intents\/[^/]+\/verify_microdeposits$/, what: 'verify microdeposits' },
  { method: 'GET', path: /^\/v1\/payment_intents\/[^/]+\/amount_details_line_items$/, what: 'list amount details line items' },
  { method: 'POST', path: /^\/v1\/refunds\/[^/]+$/, what: 'update a Refund' },
  { method: 'POST', path: /^\/v1\/refunds\/[^/]+\/cancel$/, what: 'cancel a Refund' },
];

const STRIPE_METHODS = new Set(['GET', 'POST', 'DELETE']);

/**
 * For a request no simulator route matched: the route named for a "not supported" answer when it is a
 * Stripe route (`POST /v1/payment_intents/pi_1/capture (capture a PaymentIntent)`), else undefined.
 */
export function unservedStripeRoute(method: string, path: string): string | undefined {
  if (!STRIPE_METHODS.has(method)) return undefined;
  const route = UNSERVED_ROUTES.find((r) => r.method === method && r.path.test(path));
  if (route) return `${method} ${path} (${route.what})`;
  const resource = /^\/v1\/([a-z_]+)(\/|$)/.exec(path)?.[1];
  return resource && UNSERVED_RESOURCES.has(resource) ? `${method} ${path}` : undefined;
}
