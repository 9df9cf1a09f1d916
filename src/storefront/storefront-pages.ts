// Server-rendered storefront pages.
import type { HttpServer } from '../platform/http/http-server.ts';
import type { RouteDeps } from '../platform/http/deps.ts';

export async function storefrontPages(app: HttpServer, _deps: RouteDeps): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    reply.type('text/html; charset=utf-8');
    return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Holdfast</title></head><body><h1>Holdfast</h1></body></html>';
  });
}
