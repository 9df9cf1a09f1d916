import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses, PaymentMethodIdSchema, UuidSchema } from '../platform/http/schemas.ts';
import { checkoutsTotal } from './checkout-metrics.ts';
import { DomainError } from '../platform/errors/domain-error.ts';
import { placeOrder } from './checkout-service.ts';

export const ShippingAddressSchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  line1: Type.String({ minLength: 1, maxLength: 200 }),
  line2: Type.Optional(Type.String({ maxLength: 200 })),
  city: Type.String({ minLength: 1, maxLength: 100 }),
  region: Type.Optional(Type.String({ maxLength: 100 })),
  postalCode: Type.String({ minLength: 1, maxLength: 20 }),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
}, { additionalProperties: false });

export const CheckoutBodySchema = Type.Object({
  cartId: UuidSchema,
  email: Type.String({ format: 'email', maxLength: 254 }),
  shippingAddress: ShippingAddressSchema,
  paymentMethod: PaymentMethodIdSchema,
}, { additionalProperties: false });

export interface CheckoutRouteDeps { pool: pg.Pool; reservationTtlSeconds: number }

export function checkoutRoutes(app: HttpServer, deps: CheckoutRouteDeps): void {
  app.post('/api/checkout', {
    schema: {
      tags: ['checkout'], summary: 'Place an order from a cart (Idempotency-Key required)',
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ maxLength: 300 })) }),
      body: CheckoutBodySchema,
      response: {
        202: Type.Object({ orderId: Type.String(), status: Type.Literal('pending_payment'), accessToken: Type.String() }),
        ...errorResponses(400, 404, 409, 422, 429),
      },
    },
  }, async (req, reply) => {
    try {
      const result = await placeOrder(deps.pool, req.body, req.headers['idempotency-key'], {
        reservationTtlSeconds: deps.reservationTtlSeconds,
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      });
      checkoutsTotal.inc({ outcome: result.replayed ? 'replayed' : 'accepted' });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send(result.response);
    } catch (err) {
      checkoutsTotal.inc({ outcome: err instanceof DomainError ? err.code : 'error' });
      throw err;
    }
  });
}
