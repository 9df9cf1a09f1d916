// Cart page and its forms. Every form POST answers with a 303 redirect to GET /cart (POST-redirect-GET);
// a problem the shopper can fix re-renders the cart with the message and a 4xx status.
import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpServer } from '../platform/http/http-server.ts';
import type { PageDeps } from './page-deps.ts';
import { DomainError } from '../platform/errors/domain-error.ts';
import { codedErrorReply } from '../platform/http/http-errors.ts';
import { isUuid } from '../catalog/index.ts';
import { removeLine, updateLine, MAX_QUANTITY_PER_LINE } from '../cart/index.ts';
import { PERSONAL, redirectAfterPost, sendHtml } from './page-reply.ts';
import { readCartId, syncCartCountCookie } from './storefront-cookies.ts';
import { addToShopperCart, loadShopperCart } from './shopper-cart.ts';
import { cartView } from './views/cart-view.ts';

// Form fields arrive as strings, so quantities are validated as digits: 1-99 to add, 0-99 to update.
const AddToCartForm = Type.Object({
  productId: Type.String({ maxLength: 36 }),
  quantity: Type.String({ pattern: '^[1-9][0-9]?$' }),
}, { additionalProperties: false });
const UpdateLineForm = Type.Object({ quantity: Type.String({ pattern: '^[0-9]{1,2}$' }) }, { additionalProperties: false });
const LineParams = Type.Object({ productId: Type.String({ maxLength: 36 }) });
/** Cart errors that mean "nothing left to change" (a second click on Remove, an already ordered cart). */
const NOTHING_TO_CHANGE = new Set(['CART_LINE_NOT_FOUND', 'CART_NOT_FOUND', 'CART_CHECKED_OUT']);

const QUANTITY_MESSAGE = `Choose a quantity from 1 to ${MAX_QUANTITY_PER_LINE}.`;

/** Which add-to-cart field was wrong, in the shopper's words. */
function addToCartProblem(body: unknown): string {
  const form = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof form.productId !== 'string' || !isUuid(form.productId)) return 'That product could not be found.';
  if (typeof form.quantity !== 'string' || !/^[1-9][0-9]?$/.test(form.quantity)) return QUANTITY_MESSAGE;
  return 'The form could not be read; please try again.';
}

export function cartPages(app: HttpServer, deps: PageDeps): void {
  async function renderCart(req: FastifyRequest, reply: FastifyReply, statusCode: number, error?: string) {
    const cart = await loadShopperCart(deps.pool, req);
    // Every cart form redirects here, so this keeps the header's count right on every page.
    syncCartCountCookie(req, reply, cart?.itemCount ?? 0);
    return sendHtml(reply, statusCode, PERSONAL, cartView({ cart, error }));
  }

  /** Client errors from the cart service become a message on the cart page; anything else is a bug. */
  async function renderCartProblem(req: FastifyRequest, reply: FastifyReply, err: unknown) {
    const refusal = codedErrorReply(err);
    if (refusal && refusal.statusCode < 500) return renderCart(req, reply, refusal.statusCode, refusal.message);
    throw err;
  }

  app.get('/cart', { schema: { hide: true } }, async (req, reply) => renderCart(req, reply, 200));

  app.post('/cart/items', { schema: { hide: true, body: AddToCartForm }, attachValidation: true }, async (req, reply) => {
    if (req.validationError || !isUuid(req.body.productId)) return renderCart(req, reply, 400, addToCartProblem(req.body));
    try {
      await addToShopperCart(deps.pool, req, reply, req.body.productId, Number(req.body.quantity));
    } catch (err) {
      return renderCartProblem(req, reply, err);
    }
    return redirectAfterPost(reply, '/cart');
  });

  app.post('/cart/lines/:productId', {
    schema: { hide: true, params: LineParams, body: UpdateLineForm }, attachValidation: true,
  }, async (req, reply) => {
    if (req.validationError) return renderCart(req, reply, 400, `Choose a quantity from 0 to ${MAX_QUANTITY_PER_LINE} (0 removes the product).`);
    const cartId = readCartId(req);
    if (!cartId || !isUuid(req.params.productId)) return redirectAfterPost(reply, '/cart');
    try {
      await updateLine(deps.pool, cartId, req.params.productId, Number(req.body.quantity));
    } catch (err) {
      if (!(err instanceof DomainError && NOTHING_TO_CHANGE.has(err.code))) return renderCartProblem(req, reply, err);
    }
    return redirectAfterPost(reply, '/cart');
  });

  app.post('/cart/lines/:productId/remove', { schema: { hide: true, params: LineParams }, attachValidation: true }, async (req, reply) => {
    const cartId = readCartId(req);
    if (!cartId || !isUuid(req.params.productId)) return redirectAfterPost(reply, '/cart');
    try {
      await removeLine(deps.pool, cartId, req.params.productId);
    } catch (err) {
      if (!(err instanceof DomainError && NOTHING_TO_CHANGE.has(err.code))) return renderCartProblem(req, reply, err);
    }
    return redirectAfterPost(reply, '/cart');
  });
}
