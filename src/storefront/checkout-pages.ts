// Checkout form and its submission. The form carries a random idempotency key minted per render and
// handed to placeOrder, so a double submit (or a reload after a lost response) places one order and both
// requests land on the same order page. Anything the shopper can fix (a field, stock, an empty cart)
// re-renders the form with the message and a 4xx status; the order's access token goes into a signed
// cookie scoped to the order's page, never into a URL.
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { PageDeps } from './page-deps.ts';
import { DomainError } from '../platform/errors/domain-error.ts';
import { codedErrorReply, type ErrorReply } from '../platform/http/http-errors.ts';
import { checkoutsTotal } from '../checkout/index.ts';
import { placeOrder } from '../checkout/index.ts';
import type { Cart } from '../cart/index.ts';
import { html } from '../platform/html/html-template.ts';
import { PERSONAL, redirectAfterPost, sendHtml } from './page-reply.ts';
import { readCartId, setOrderTokenCookie, syncCartCountCookie } from './storefront-cookies.ts';
import { loadShopperCart } from './shopper-cart.ts';
import {
  CheckoutFormSchema, checkoutFieldErrors, submittedValues, toCheckoutRequest, type CheckoutField,
} from './checkout-form.ts';
import { checkoutView, type CheckoutViewModel, type FormProblem } from './views/checkout-view.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * What went wrong with the order as a whole, told so the shopper knows what to do next. An empty cart
 * needs no message of its own: the page then says the cart is empty instead of showing the form.
 */
function describeProblem(err: ErrorReply, cart: Cart | null): FormProblem | undefined {
  switch (err.code) {
    case 'OUT_OF_STOCK': {
      const productId = (err.details as { productId?: string } | undefined)?.productId;
      const line = cart?.lines.find((l) => l.productId === productId);
      const what = line ? html`“${line.title}”` : 'one of the products in your cart';
      const left = line ? (line.available > 0 ? html` Only ${line.available} left.` : html` It has just sold out.`) : null;
      return {
        title: 'Not enough stock',
        message: html`There is not enough stock of ${what} for your order.${left} <a href="/cart">Update your cart</a> and try again.`,
      };
    }
    case 'CHECKOUT_CART_EMPTY':
    case 'CART_NOT_FOUND':
      return undefined;
    case 'CART_CHECKED_OUT':
      return { title: 'Already ordered', message: 'This cart has already been ordered. Add products to start a new cart.' };
    case 'CHECKOUT_PRODUCT_UNAVAILABLE':
      return { title: 'A product is no longer for sale', message: html`${err.message} <a href="/cart">Go to your cart</a>.` };
    case 'CHECKOUT_IDEMPOTENCY_KEY_INVALID':
      // The form's own key is well-formed (the schema checks it), so this is an earlier submit still running.
      return { title: 'Your order is still being placed', message: 'Wait a moment, then place the order again: it will not be placed twice.' };
    case 'IDEMPOTENCY_KEY_REUSED':
      return { title: 'This form was already sent', message: 'It was sent before with different details. Check the details and place the order again.' };
    default:
      return { title: 'The order could not be placed', message: err.message };
  }
}

export function checkoutPages(app: HttpServer, deps: PageDeps): void {
  async function renderForm(
    req: FastifyRequest, reply: FastifyReply, statusCode: number,
    opts: Partial<Pick<CheckoutViewModel, 'values' | 'fieldErrors'>> & { idempotencyKey?: string | undefined; problem?: FormProblem | undefined; cart?: Cart | null },
  ) {
    const cart = opts.cart !== undefined ? opts.cart : await loadShopperCart(deps.pool, req);
    syncCartCountCookie(req, reply, cart && !cart.checkedOut ? cart.itemCount : 0);
    return sendHtml(reply, statusCode, PERSONAL, checkoutView({
      cart, idempotencyKey: opts.idempotencyKey ?? randomUUID(), values: opts.values ?? {}, fieldErrors: opts.fieldErrors ?? {},
      problem: opts.problem,
    }));
  }

  app.get('/checkout', { schema: { hide: true } }, async (req, reply) => renderForm(req, reply, 200, {}));

  app.post('/checkout', { schema: { hide: true, body: CheckoutFormSchema }, attachValidation: true }, async (req, reply) => {
    const values = submittedValues(req.body);
    // Keep the submitted key when re-rendering: if this attempt did in fact place the order (a race with
    // a first submit), submitting again still lands on that one order instead of making a second.
    const idempotencyKey = values.idempotencyKey && KEY_PATTERN.test(values.idempotencyKey) ? values.idempotencyKey : undefined;

    if (req.validationError) {
      const fieldErrors: Partial<Record<CheckoutField, string>> = checkoutFieldErrors(req.body);
      const problem = Object.keys(fieldErrors).length === 0
        ? { title: 'The form could not be read', message: 'Please check the details and place the order again.' } : undefined;
      return renderForm(req, reply, 400, { values, fieldErrors, idempotencyKey, problem });
    }

    const cartId = readCartId(req);
    if (!cartId) {
      return renderForm(req, reply, 422, { values, idempotencyKey, cart: null });
    }

    let result;
    try {
      result = await placeOrder(deps.pool, toCheckoutRequest(cartId, req.body), req.body.idempotencyKey, {
        reservationTtlSeconds: deps.reservationTtlSeconds,
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      });
    } catch (err) {
      checkoutsTotal.inc({ outcome: err instanceof DomainError ? err.code : 'error' });
      const refusal = codedErrorReply(err);
      if (!refusal || refusal.statusCode >= 500) throw err;
      const cart = await loadShopperCart(deps.pool, req);
      return renderForm(req, reply, refusal.statusCode, {
        values, cart, problem: describeProblem(refusal, cart),
        // A key already used for other details can never succeed; everything else rolled back with it.
        idempotencyKey: refusal.code === 'IDEMPOTENCY_KEY_REUSED' ? undefined : idempotencyKey,
      });
    }

    checkoutsTotal.inc({ outcome: result.replayed ? 'replayed' : 'accepted' });
    const { orderId, accessToken } = result.response;
    setOrderTokenCookie(req, reply, orderId, accessToken);
    syncCartCountCookie(req, reply, 0); // the cart became the order
    return redirectAfterPost(reply, `/orders/${orderId}`);
  });
}
