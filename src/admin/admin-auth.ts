// Admin routes are closed unless the request carries the admin token (constant-time comparison).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpErrors } from '../platform/http/app-error.ts';
import { bearerToken } from '../orders/order-routes.ts';

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
