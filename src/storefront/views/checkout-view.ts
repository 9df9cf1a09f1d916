// Checkout form. Carries a random idempotency key per render, so submitting it twice (double click,
// reload, flaky network) places one order. Errors are listed at the top and next to their fields.
import type { Cart } from '../../cart/index.ts';
import { html, type SafeHtml } from '../../platform/html/html-template.ts';
import { formatMoney } from '../money-format.ts';
import { COUNTRIES, PAYMENT_METHODS, type CheckoutField } from '../checkout-form.ts';
import { layoutView } from './layout-view.ts';

/** A problem with a form as a whole (out of stock, an order that cannot be paid again), told as what to do. */
export interface FormProblem { title: string; message: string | SafeHtml }

export interface CheckoutViewModel {
  cart: Cart | null;
  idempotencyKey: string;
  values: Partial<Record<CheckoutField, string>>;
  fieldErrors: Partial<Record<CheckoutField, string>>;
  /** A problem with the order as a whole (out of stock, empty cart). */
  problem?: FormProblem | undefined;
}

interface TextFieldSpec {
  field: CheckoutField; label: string; type?: string; autocomplete: string; optional?: boolean; maxLength: number;
}

/** What a form field needs of the view model: the submitted values and the per-field errors. */
type FieldState = Pick<CheckoutViewModel, 'values' | 'fieldErrors'>;

function fieldAttributes(vm: FieldState, field: CheckoutField) {
  return vm.fieldErrors[field] ? html` aria-invalid="true" aria-describedby="${field}-error"` : null;
}

function fieldError(vm: FieldState, field: CheckoutField) {
  const error = vm.fieldErrors[field];
  return error ? html`<p class="field-error" id="${field}-error">${error}</p>` : null;
}

function textField(vm: CheckoutViewModel, spec: TextFieldSpec) {
  return html`<div class="field"><label for="${spec.field}">${spec.label}${spec.optional ? ' (optional)' : null}</label>
<input id="${spec.field}" name="${spec.field}" type="${spec.type ?? 'text'}" autocomplete="${spec.autocomplete}" maxlength="${spec.maxLength}"
 value="${vm.values[spec.field] ?? ''}"${spec.optional ? null : html` required`}${fieldAttributes(vm, spec.field)}>
${fieldError(vm, spec.field)}</div>`;
}

function selectField(vm: FieldState, field: CheckoutField, label: string, options: readonly [string, string][], fallback: string, autocomplete: string) {
  const selected = vm.values[field] ?? fallback;
  return html`<div class="field"><label for="${field}">${label}</label>
<select id="${field}" name="${field}" autocomplete="${autocomplete}" required${fieldAttributes(vm, field)}>
${options.map(([value, text]) => html`<option value="${value}"${value === selected ? html` selected` : null}>${text}</option>`)}
</select>${fieldError(vm, field)}</div>`;
}

/** The payment method selector; the order page's "pay with another card" form uses the same one. */
export function paymentMethodFields(vm: FieldState): SafeHtml {
  return html`${selectField(vm, 'paymentMethod', 'Payment method', PAYMENT_METHODS, 'pm_card_visa', 'off')}
<p class="hint">This shop charges a test payment provider: no real card is used.</p>`;
}

function summary(cart: Cart) {
  return html`<aside class="summary" aria-labelledby="summary-heading">
<h2 id="summary-heading">Order summary</h2>
<ul>${cart.lines.map((l) => html`<li><span>${l.quantity} × ${l.title}</span><span>${formatMoney(l.lineTotal)}</span></li>`)}</ul>
<dl class="totals"><dt>Subtotal</dt><dd>${formatMoney(cart.subtotal)}</dd><dt>Shipping</dt><dd>Free</dd><dt>Total</dt><dd>${formatMoney(cart.subtotal)}</dd></dl>
<p><a href="/cart">Change your cart</a></p>
</aside>`;
}

export function problemNotice(problem: FormProblem | undefined) {
  return problem ? html`<div class="notice error" role="alert"><h2>${problem.title}</h2><p>${problem.message}</p></div>` : null;
}

function errorSummary(vm: CheckoutViewModel) {
  if (vm.problem) return problemNotice(vm.problem);
  const fields = Object.entries(vm.fieldErrors) as [CheckoutField, string][];
  if (fields.length === 0) return null;
  return html`<div class="notice error" role="alert"><h2>Please correct ${fields.length === 1 ? 'this' : 'these'}:</h2>
<ul>${fields.map(([field, message]) => html`<li><a href="#${field}">${message}</a></li>`)}</ul></div>`;
}

export function checkoutView(vm: CheckoutViewModel): string {
  const cart = vm.cart && !vm.cart.checkedOut && vm.cart.lines.length > 0 ? vm.cart : null;
  if (!cart) {
    // Without a cart there is no form, so field errors have nowhere to point; only a problem is shown.
    const body = html`<h1>Checkout</h1>${problemNotice(vm.problem)}
<div class="notice info"><h2>Your cart is empty</h2><p><a href="/">Browse the shop</a> and add something before checking out.</p></div>`;
    return layoutView({ title: 'Checkout', body, section: 'cart', cartCount: 0 });
  }
  const body = html`
<h1>Checkout</h1>
${errorSummary(vm)}
<div class="checkout">
${summary(cart)}
<form method="post" action="/checkout" novalidate>
<input type="hidden" name="idempotencyKey" value="${vm.idempotencyKey}">
<fieldset><legend>Contact</legend>
${textField(vm, { field: 'email', label: 'Email', type: 'email', autocomplete: 'email', maxLength: 254 })}
</fieldset>
<fieldset><legend>Shipping address</legend>
${textField(vm, { field: 'name', label: 'Full name', autocomplete: 'shipping name', maxLength: 200 })}
${textField(vm, { field: 'line1', label: 'Street address', autocomplete: 'shipping address-line1', maxLength: 200 })}
${textField(vm, { field: 'line2', label: 'Apartment, suite, etc.', autocomplete: 'shipping address-line2', optional: true, maxLength: 200 })}
<div class="two-up">
${textField(vm, { field: 'city', label: 'Town or city', autocomplete: 'shipping address-level2', maxLength: 100 })}
${textField(vm, { field: 'region', label: 'State or region', autocomplete: 'shipping address-level1', optional: true, maxLength: 100 })}
${textField(vm, { field: 'postalCode', label: 'Postal code', autocomplete: 'shipping postal-code', maxLength: 20 })}
${selectField(vm, 'country', 'Country', COUNTRIES, 'US', 'shipping country')}
</div>
</fieldset>
<fieldset><legend>Payment</legend>
${paymentMethodFields(vm)}
</fieldset>
<button type="submit">Place order · ${formatMoney(cart.subtotal)}</button>
</form>
</div>`;
  return layoutView({ title: 'Checkout', body, section: 'cart', cartCount: cart.itemCount });
}
