// Order status page. It tells the honest status: while the payment service has not settled the payment
// the order is "Payment processing" and the page reloads itself (a meta refresh, no JavaScript needed).
import type { Order, OrderStatus } from '../../orders/index.ts';
import { html, type SafeHtml } from '../html-template.ts';
import { formatMoney } from '../money-format.ts';
import { COUNTRIES } from '../checkout-form.ts';
import { layoutView } from './layout-view.ts';

const COUNTRY_NAMES = new Map(COUNTRIES);

export const PENDING_REFRESH_SECONDS = 3;

const STATUS_TEXT: Record<OrderStatus, { heading: string; detail: string }> = {
  pending_payment: {
    heading: 'Payment processing',
    detail: `We are confirming your payment with the card provider. This page updates by itself every ${PENDING_REFRESH_SECONDS} seconds; your items are reserved meanwhile.`,
  },
  paid: { heading: 'Paid: thank you!', detail: 'Your payment went through and your order is confirmed. We will email you when it ships.' },
  payment_failed: {
    heading: 'Payment failed',
    detail: 'The card was declined, so nothing was charged and the reserved items went back on the shelf. You can order again with another card.',
  },
  canceled: { heading: 'Canceled', detail: 'This order was canceled and nothing was charged.' },
  refunded: { heading: 'Refunded', detail: 'This order was refunded to the card it was paid with.' },
};

function statusPanel(status: OrderStatus): SafeHtml {
  const text = STATUS_TEXT[status];
  return html`<section class="status ${status}" role="status" aria-labelledby="status-heading">
<h2 id="status-heading">${status === 'pending_payment' ? html`<span class="spinner" aria-hidden="true"></span> ` : null}${text.heading}</h2>
<p>${text.detail}</p>
${status === 'pending_payment' ? html`<p><a href="">Check again now</a></p>` : null}
${status === 'payment_failed' || status === 'canceled' ? html`<p><a href="/">Back to the shop</a></p>` : null}
</section>`;
}

export function orderView(order: Order): string {
  const address = order.shippingAddress;
  const placedAt = new Date(order.createdAt).toUTCString();
  const body = html`
<h1>Order #${order.number}</h1>
<p class="meta">Placed ${placedAt} · confirmation to ${order.email}</p>
${statusPanel(order.status)}
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
    title: `Order #${order.number}`, body, section: 'none',
    ...(order.status === 'pending_payment' ? { refreshSeconds: PENDING_REFRESH_SECONDS } : {}),
  });
}
