// Cart page: one small form per action (change quantity, remove), so it works without JavaScript.
import type { Cart, CartLine } from '../../cart/index.ts';
import { MAX_QUANTITY_PER_LINE } from '../../cart/index.ts';
import { html, safeUrl } from '../../platform/html/html-template.ts';
import { formatMoney } from '../money-format.ts';
import { layoutView } from './layout-view.ts';

export interface CartViewModel {
  /** null when the shopper has no cart yet (or it was already checked out). */
  cart: Cart | null;
  error?: string | undefined;
}

function lineWarning(line: CartLine) {
  if (!line.purchasable) return html`<p class="warning">No longer for sale; please remove it.</p>`;
  if (line.available <= 0) return html`<p class="warning">Out of stock right now.</p>`;
  if (line.available < line.quantity) return html`<p class="warning">Only ${line.available} left; lower the quantity to check out.</p>`;
  return null;
}

function cartLine(line: CartLine) {
  const id = line.productId;
  return html`<li class="line">
<img src="${safeUrl(line.image, `/images/products/${line.slug}.svg`)}" alt="" width="88" height="88" loading="lazy">
<div>
<h2><a href="/products/${encodeURIComponent(line.slug)}">${line.title}</a></h2>
<p class="meta">${formatMoney(line.unitPrice)} each</p>
${lineWarning(line)}
<div class="line-controls">
<form method="post" action="/cart/lines/${id}">
<div class="field"><label for="qty-${id}">Quantity<span class="visually-hidden"> of ${line.title}</span></label>
<input id="qty-${id}" name="quantity" type="number" inputmode="numeric" min="0" max="${MAX_QUANTITY_PER_LINE}" step="1" value="${line.quantity}" required></div>
<button type="submit" class="secondary">Update</button>
</form>
<form method="post" action="/cart/lines/${id}/remove">
<button type="submit" class="link">Remove<span class="visually-hidden"> ${line.title}</span></button>
</form>
</div>
</div>
<p class="line-total">${formatMoney(line.lineTotal)}</p>
</li>`;
}

export function cartView(vm: CartViewModel): string {
  const cart = vm.cart && !vm.cart.checkedOut && vm.cart.lines.length > 0 ? vm.cart : null;
  const body = html`
<h1>Your cart</h1>
${vm.error ? html`<div class="notice error" role="alert"><h2>That did not work</h2><p>${vm.error}</p></div>` : null}
${cart
    ? html`<ul class="lines">${cart.lines.map(cartLine)}</ul>
<dl class="totals"><dt>Items</dt><dd>${cart.itemCount}</dd><dt>Subtotal</dt><dd>${formatMoney(cart.subtotal)}</dd></dl>
<div class="actions"><a href="/">Continue shopping</a><a class="button" href="/checkout">Go to checkout</a></div>`
    : html`<div class="notice info"><h2>Your cart is empty</h2><p><a href="/">Browse the shop</a> and add something you like.</p></div>`}`;
  return layoutView({ title: 'Your cart', body, section: 'cart', cartCount: cart?.itemCount ?? 0 });
}
