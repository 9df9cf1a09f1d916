// The admin and ops APIs are closed unless the request carries the admin token (constant-time
// comparison). The token itself is never stored: see src/platform/admin-token/admin-token.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HttpServer } from './http-server.ts';
import { HttpErrors } from './http-errors.ts';
import { bearerToken } from './bearer-token.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminTokenDigest(token: string): string {
  return digest(token).toString('hex');
}

/** adminTokenSha256: hex SHA-256 of the admin token (the token itself is never stored). */
export function requireAdminToken(adminTokenSha256: string) {
  const expected = Buffer.from(adminTokenSha256, 'hex');
  return async (req: FastifyRequest): Promise<void> => {
    const given = bearerToken(req.headers.authorization);
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw HttpErrors.UNAUTHORIZED('Admin API: send Authorization: Bearer $HOLDFAST_ADMIN_TOKEN.');
    }
  };
}

/** OpenAPI security requirement of every admin route. */
export const ADMIN_SECURITY = [{ adminToken: [] }];

/**
 * Registers routes in an encapsulated scope closed to requests without the admin token, whose
 * responses are never cached. Every admin and ops route plugin goes through here.
 */
export function adminScope(app: HttpServer, adminTokenSha256: string, routes: (admin: HttpServer) => void): void {
  app.register(async (instance) => {
    const admin = instance.withTypeProvider<TypeBoxTypeProvider>() as unknown as HttpServer;
    admin.addHook('onRequest', requireAdminToken(adminTokenSha256));
    admin.addHook('onSend', (_req, reply, payload, done) => { reply.header('cache-control', 'no-store'); done(null, payload); });
    routes(admin);
  });
}
