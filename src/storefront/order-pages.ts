// The order status page, and its "pay with another card" form for a declined order. The order is shown
// only to the browser holding its access token cookie (set at checkout); anyone else, including someone
// who guessed or was sent the URL, gets a 404. The form posts to /orders/:id/payment (under the cookie's
// path) with a random idempotency key minted per render, so a double submit starts one payment; success
// redirects back to the order page (POST-redirect-GET), anything the shopper can act on re-renders the
// page with the message and a 4xx status. While a payment is processing, the page's script polls
// /orders/:id/status (JSON, same cookie) and reloads the page as soon as the status has changed.
import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { PageDeps } from './page-deps.ts';
import { DomainError } from '../platform/errors/domain-error.ts';
import { codedErrorReply, type ErrorReply } from '../platform/http/http-errors.ts';
import { getOrderForCustomer, getOrderStatusForCustomer, type Order } from '../orders/index.ts';
import { payOrderAgain } from '../payments/index.ts';
import { html } from '../platform/html/html-template.ts';
import { PERSONAL, redirectAfterPost, sendHtml } from './page-reply.ts';
import { readOrderToken } from './storefront-cookies.ts';
import { CheckoutFormSchema, checkoutFieldErrors, submittedValues } from './checkout-form.ts';
import { orderView, type PayAgainForm } from './views/order-view.ts';
import type { FormProblem } from './views/checkout-view.ts';
import { notFoundView } from './views/error-view.ts';

const NOT_YOURS = 'We could not find this order. An order page opens only in the browser that placed the order.';

const OrderParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

/** The checkout form's own payment method and key fields, with the same rules and messages. */
const PayAgainFormSchema = Type.Object({
  paymentMethod: CheckoutFormSchema.properties.paymentMethod,
  idempotencyKey: CheckoutFormSchema.properties.idempotencyKey,
}, { additionalProperties: false });

/** Why the order could not be paid again, told so the shopper knows what to do next. */
function describeRefusal(err: ErrorReply): FormProblem {
  switch (err.code) {
    case 'PAYMENT_DEADLINE_PASSED':
      return { title: 'Too late to pay this order', message: html`The time to pay with another card is over, and the items are released. <a href="/">Back to the shop</a>.` };
    case 'PAYMENT_ATTEMPTS_EXHAUSTED':
      return { title: 'No more cards can be tried on this order', message: html`Nothing was charged. To buy these items, place a new order. <a href="/">Back to the shop</a>.` };
    case 'PAYMENT_NOT_RETRYABLE':
      return { title: 'This order is not waiting for a card', message: 'Its current status is shown below.' };
    case 'PAYMENT_IN_PROGRESS':
      return { title: 'A payment is still being confirmed', message: 'Wait a moment and reload this page to see the outcome.' };
    case 'PAYMENT_IDEMPOTENCY_KEY_REUSED':
      return { title: 'This form was already sent', message: 'It was sent before with another card. Choose the card and pay again.' };
    default:
      return { title: 'The payment could not be started', message: err.message };
  }
}

export function orderPages(app: HttpServer, deps: PageDeps): void {
  const limits = deps.payAgain;
  /** The order for this browser's order cookie, or undefined (then the page is a 404). */
  async function shopperOrder(req: FastifyRequest, id: string): Promise<{ order: Order; token: string } | undefined> {
    const token = readOrderToken(req, id);
    if (!token) return undefined;
    try {
      return { order: await getOrderForCustomer(deps.pool, id, token), token };
    } catch (err) {
      if (err instanceof DomainError && err.code === 'ORDER_NOT_FOUND') return undefined;
      throw err;
    }
  }

  const render = (reply: FastifyReply, statusCode: number, order: Order, form: Partial<PayAgainForm> = {}) =>
    sendHtml(reply, statusCode, PERSONAL, orderView(order, { ...form, idempotencyKey: form.idempotencyKey ?? randomUUID() }, limits));

  app.get('/orders/:id', {
    // Any string is accepted here so a malformed id is the same 404 as an unknown one.
    schema: { hide: true, params: OrderParams },
  }, async (req, reply) => {
    const found = await shopperOrder(req, req.params.id);
    if (!found) return sendHtml(reply, 404, PERSONAL, notFoundView(NOT_YOURS));
    return render(reply, 200, found.order);
  });

  // The order page's script asks here while a payment is processing: the status alone, one query, never
  // stored by a cache. Without the order's cookie it is the same 404 as the page.
  app.get('/orders/:id/status', { schema: { hide: true, params: OrderParams } }, async (req, reply) => {
    reply.header('cache-control', PERSONAL);
    const token = readOrderToken(req, req.params.id);
    try {
      if (token) return { status: await getOrderStatusForCustomer(deps.pool, req.params.id, token) };
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'ORDER_NOT_FOUND')) throw err;
    }
    return reply.code(404).send({ error: { code: 'ORDER_NOT_FOUND', message: NOT_YOURS } });
  });

  app.post('/orders/:id/payment', {
    schema: { hide: true, params: OrderParams, body: PayAgainFormSchema }, attachValidation: true,
  }, async (req, reply) => {
    const found = await shopperOrder(req, req.params.id);
    if (!found) return sendHtml(reply, 404, PERSONAL, notFoundView(NOT_YOURS));
    const values = submittedValues(req.body);
    if (req.validationError) {
      const fieldErrors = checkoutFieldErrors(req.body);
      // Only this form's fields count; a broken key just gets a fresh one on the re-rendered form.
      const paymentMethod = fieldErrors.paymentMethod;
      return render(reply, 400, found.order, {
        values, fieldErrors: paymentMethod ? { paymentMethod } : {},
        problem: paymentMethod ? undefined : { title: 'The form could not be read', message: 'Please choose the card and pay again.' },
      });
    }
    try {
      await payOrderAgain(deps.pool, deps.queue, {
        orderId: found.order.id, accessToken: found.token, paymentMethod: req.body.paymentMethod,
        idempotencyKey: req.body.idempotencyKey,
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      }, limits);
    } catch (err) {
      const refusal = codedErrorReply(err);
      if (!refusal || refusal.statusCode >= 500) throw err;
      const current = await shopperOrder(req, req.params.id);
      if (!current) return sendHtml(reply, 404, PERSONAL, notFoundView(NOT_YOURS));
      // A reused key can never succeed; for anything else keep it, so resubmitting stays one payment.
      const idempotencyKey = refusal.code === 'PAYMENT_IDEMPOTENCY_KEY_REUSED' ? undefined : req.body.idempotencyKey;
      return render(reply, refusal.statusCode, current.order, { values, idempotencyKey, problem: describeRefusal(refusal) });
    }
    return redirectAfterPost(reply, `/orders/${found.order.id}`);
  });
}
