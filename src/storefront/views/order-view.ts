// Order status page. It tells the honest status: while the payment service has not settled the payment
// the order is "Payment processing" and the page's script asks for the status until it changes, then
// reloads (without scripts, a meta refresh every few seconds does the same).
// A declined order keeps its items until its payment deadline and offers a plain form to pay it with
// another card, until shortly before the deadline and a limited number of times; then the page says
// which of the two ended it, and after the deadline that the order was canceled and its items released.
import { payAgainRefusal, type Order, type OrderStatus, type PayAgainLimits } from '../../orders/index.ts';
import { html, type SafeHtml } from '../../platform/html/html-template.ts';
import { formatMoney } from '../money-format.ts';
import { COUNTRIES, type CheckoutField } from '../checkout-form.ts';
import { layoutView } from './layout-view.ts';
import { paymentMethodFields, problemNotice, type FormProblem } from './checkout-view.ts';

const COUNTRY_NAMES = new Map(COUNTRIES);

export const PENDING_REFRESH_SECONDS = 3;

/** The "pay with another card" form's state: a fresh idempotency key per render, what was sent, what went wrong. */
export interface PayAgainForm {
  idempotencyKey: string;
  values?: Partial<Record<CheckoutField, string>>;
  fieldErrors?: Partial<Record<CheckoutField, string>>;
  problem?: FormProblem | undefined;
}

const STATUS_TEXT: Record<Exclude<OrderStatus, 'payment_failed'>, { heading: string; detail: string }> = {
  pending_payment: {
    heading: 'Payment processing',
    detail: 'We are confirming your payment with the card provider. This page updates by itself as soon as it is settled; your items are reserved meanwhile.',
  },
  paid: { heading: 'Paid: thank you!', detail: 'Your payment went through and your order is confirmed. We will email you when it ships.' },
  canceled: { heading: 'Canceled', detail: 'This order was canceled and its items were released. Nothing was charged.' },
  refunded: { heading: 'Refunded', detail: 'This order was refunded to the card it was paid with.' },
};

const BACK_TO_SHOP = html`<p><a href="/">Back to the shop</a></p>`;

/** "14:05 UTC", in a <time> element carrying the exact instant (the page's script says it in the shopper's locale and zone). */
function clockTime(iso: string): SafeHtml {
  return html`<time datetime="${iso}" data-format="time">${new Date(iso).toISOString().slice(11, 16)} UTC</time>`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "1 December 2026, 21:32 UTC": readable without the script, which puts it in the shopper's locale and zone. */
export function dateTime(iso: string): SafeHtml {
  const d = new Date(iso);
  const text = `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${d.toISOString().slice(11, 16)} UTC`;
  return html`<time datetime="${iso}" data-format="datetime">${text}</time>`;
}

function payAgainSection(order: Order, form: PayAgainForm, cardsLeft: number): SafeHtml {
  return html`<section class="pay-again" aria-labelledby="pay-again-heading">
<h2 id="pay-again-heading">Pay with another card</h2>
<p class="meta">${cardsLeft === 1 ? 'One more card can be tried on this order.' : `${cardsLeft} more cards can be tried on this order.`}</p>
<form method="post" action="/orders/${order.id}/payment" novalidate>
<input type="hidden" name="idempotencyKey" value="${form.idempotencyKey}">
${paymentMethodFields({ values: form.values ?? {}, fieldErrors: form.fieldErrors ?? {} })}
<button type="submit">Pay ${formatMoney(order.total)}</button>
</form>
</section>`;
}

function statusSection(status: OrderStatus, content: SafeHtml, statusUrl?: string): SafeHtml {
  // data-status-url: the page's script polls it while the status shown may still change by itself.
  return html`<section class="status ${status}" role="status" aria-labelledby="status-heading" data-status="${status}"${statusUrl ? html` data-status-url="${statusUrl}"` : null}>
${content}
</section>`;
}

/**
 * A declined order: the reason, and while it can be paid again, until when its items are held, by when to
 * pay and a form to pay with another card; otherwise why it cannot (too late, or too many cards tried).
 */
function declinedPanels(order: Order, form: PayAgainForm, limits: PayAgainLimits): SafeHtml {
  const reason = order.lastPaymentError?.message ?? 'Your card was declined.';
  const deadline = order.paymentDeadline;
  const retries = order.paymentRetries ?? 0;
  const refusal = payAgainRefusal(order.status, {
    itemsHeld: deadline !== undefined, secondsLeft: deadline === undefined ? null : (Date.parse(deadline) - Date.now()) / 1000, retries,
  }, limits);
  const failed = (text: SafeHtml) => statusSection(order.status, html`<h2 id="status-heading">Payment failed</h2>
<p>${reason} ${text}</p>
${BACK_TO_SHOP}`);
  if (!deadline || (refusal === 'deadline_passed' && Date.parse(deadline) <= Date.now())) {
    return failed(html`The time to pay with another card has passed, so the items were released. Nothing was charged.`);
  }
  if (refusal === 'deadline_passed') {
    return failed(html`The time to pay with another card is over; the items are released at ${clockTime(deadline)}. Nothing was charged.`);
  }
  if (refusal === 'attempts_exhausted') {
    const cards = retries + 1 === 1 ? 'one card' : `${retries + 1} cards`;
    return failed(html`This order has been tried with ${cards}, the most one order can be, so it cannot be paid with another card. Nothing was charged; the items are released at ${clockTime(deadline)}. To buy them, place a new order.`);
  }
  const closes = new Date(Date.parse(deadline) - limits.minSecondsLeft * 1000).toISOString();
  return html`${statusSection(order.status, html`<h2 id="status-heading">Payment failed</h2>
<p>${reason} Your items are held until ${clockTime(deadline)}; pay with another card before ${clockTime(closes)}.</p>`)}
${payAgainSection(order, form, limits.maxRetries - retries)}`;
}

function statusPanels(order: Order, form: PayAgainForm, limits: PayAgainLimits): SafeHtml {
  const { status } = order;
  if (status === 'payment_failed') return declinedPanels(order, form, limits);
  const text = STATUS_TEXT[status];
  return statusSection(status, html`<h2 id="status-heading">${status === 'pending_payment' ? html`<span class="spinner" aria-hidden="true"></span> ` : null}${text.heading}</h2>
<p>${text.detail}</p>
${status === 'pending_payment' ? html`<p><a href="">Check again now</a></p>` : null}
${status === 'canceled' ? BACK_TO_SHOP : null}`, status === 'pending_payment' ? `/orders/${order.id}/status` : undefined);
}

export function orderView(order: Order, form: PayAgainForm, limits: PayAgainLimits): string {
  const address = order.shippingAddress;

  const body = html`
<h1>Order #${order.number}</h1>
<p class="meta">Placed ${dateTime(order.createdAt)} · confirmation to ${order.email}</p>
${problemNotice(form.problem)}
${statusPanels(order, form, limits)}
<div class="details">
<section aria-labelledby="items-heading">
<h2 id="items-heading">Items</h2>
<ul class="lines">${order.lines.map((l) => html`<li class="line plain">
<div><h3>${l.title}</h3><p class="meta">${l.quantity} × ${formatMoney(l.unitPrice)} · SKU ${l.sku}</p></div>
<p class="line-total">${formatMoney(l.lineTotal)}</p></li>`)}</ul>
<dl class="totals"><dt>Subtotal</dt><dd>${formatMoney(order.subtotal)}</dd><dt>Total</dt><dd>${formatMoney(order.total)}</dd></dl>
</section>
<section aria-labelledby="shipping-heading">
<h2 id="shipping-heading">Shipping to</h2>
<address>${address.name}<br>${address.line1}<br>${address.line2 ? html`${address.line2}<br>` : null}${address.postalCode} ${address.city}${address.region ? html`, ${address.region}` : null}<br>${COUNTRY_NAMES.get(address.country) ?? address.country}</address>
</section>
</div>`;
  return layoutView({
    title: `Order #${order.number}`, body, section: 'none', script: true,
    ...(order.status === 'pending_payment' ? { refreshSeconds: PENDING_REFRESH_SECONDS } : {}),
  });
}
