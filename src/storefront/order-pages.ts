// The order status page. The order is shown only to the browser holding its access token cookie
// (set at checkout); anyone else, including someone who guessed or was sent the URL, gets a 404.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { RouteDeps } from '../platform/http/deps.ts';
import { AppError } from '../platform/http/app-error.ts';
import { getOrderForCustomer } from '../orders/index.ts';
import { PERSONAL, sendHtml } from './page-reply.ts';
import { readOrderToken } from './storefront-cookies.ts';
import { orderView } from './views/order-view.ts';
import { notFoundView } from './views/error-view.ts';

const NOT_YOURS = 'We could not find this order. An order page opens only in the browser that placed the order.';

export function orderPages(app: HttpServer, deps: RouteDeps): void {
  app.get('/orders/:id', {
    // Any string is accepted here so a malformed id is the same 404 as an unknown one.
    schema: { hide: true, params: Type.Object({ id: Type.String({ maxLength: 64 }) }) },
  }, async (req, reply) => {
    const token = readOrderToken(req, req.params.id);
    if (!token) return sendHtml(reply, 404, PERSONAL, notFoundView(NOT_YOURS));
    try {
      const order = await getOrderForCustomer(deps.pool, req.params.id, token);
      return sendHtml(reply, 200, PERSONAL, orderView(order));
    } catch (err) {
      if (err instanceof AppError && err.code === 'ORDER_NOT_FOUND') return sendHtml(reply, 404, PERSONAL, notFoundView(NOT_YOURS));
      throw err;
    }
  });
}
