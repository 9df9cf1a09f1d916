// Server-rendered storefront pages: catalog, product, cart, checkout and order status, plus the
// stylesheet and generated product pictures. No JavaScript; every action is a plain form.
// The pages live in their own Fastify context so that their errors render as HTML pages for shoppers,
// while the JSON API keeps its {"error": {...}} bodies.
import type { FastifyError } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { knownError, setHtmlNotFoundPage, setRetryAfter, type HttpServer } from '../platform/http/http-server.ts';
import type { PageDeps } from './page-deps.ts';
import { PERSONAL, sendHtml } from './page-reply.ts';
import { assetRoutes } from './asset-routes.ts';
import { catalogPages } from './catalog-pages.ts';
import { cartPages } from './cart-pages.ts';
import { checkoutPages } from './checkout-pages.ts';
import { orderPages } from './order-pages.ts';
import { errorView, notFoundView } from './views/error-view.ts';

function statusOf(error: FastifyError | Error): number {
  const known = knownError(error);
  if (known) return known.statusCode;
  const fe = error as FastifyError;
  if (fe.validation) return 400;
  return fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
}

function shopperMessage(error: FastifyError | Error, status: number): string {
  if (status >= 500) return 'Sorry, the shop could not show this page just now. Please try again in a moment.';
  const known = knownError(error);
  if (known) return known.message;
  if ((error as FastifyError).validation) return 'The address of this page is not valid.';
  return 'The request could not be understood.';
}

export async function storefrontPages(app: HttpServer, deps: PageDeps): Promise<void> {
  setHtmlNotFoundPage(app, () => notFoundView());

  await app.register(async (instance) => {
    const pages: HttpServer = instance.withTypeProvider<TypeBoxTypeProvider>();
    pages.setErrorHandler((error: FastifyError | Error, request, reply) => {
      const status = statusOf(error);
      if (status >= 500 && status !== 503) request.log.error({ err: error }, 'storefront page failed');
      const body = status === 404 ? notFoundView() : errorView(status, shopperMessage(error, status));
      setRetryAfter(reply, status);
      return sendHtml(reply, status, PERSONAL, body);
    });
    assetRoutes(pages);
    catalogPages(pages, deps);
    cartPages(pages, deps);
    checkoutPages(pages, deps);
    orderPages(pages, deps);
  });
}
