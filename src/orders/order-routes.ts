import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses, MoneySchema } from '../platform/http/schemas.ts';
import { bearerToken } from '../platform/http/bearer-token.ts';
import { getOrderForCustomer } from './order-service.ts';
import { ORDER_STATUSES } from './order-state-machine.ts';

export const OrderSchema = Type.Object({
  id: Type.String(), number: Type.Integer(), status: Type.Enum(ORDER_STATUSES),
  email: Type.String(),
  shippingAddress: Type.Object({
    name: Type.String(), line1: Type.String(), line2: Type.Optional(Type.String()), city: Type.String(),
    region: Type.Optional(Type.String()), postalCode: Type.String(), country: Type.String(),
  }),
  paymentMethod: Type.String(), subtotal: MoneySchema, total: MoneySchema,
  lines: Type.Array(Type.Object({
    productId: Type.String(), sku: Type.String(), title: Type.String(), unitPrice: MoneySchema,
    quantity: Type.Integer(), lineTotal: MoneySchema,
  })),
  createdAt: Type.String(), updatedAt: Type.String(),
  lastPaymentError: Type.Optional(Type.Object({
    code: Type.String({ description: "The provider's error code, e.g. card_declined" }),
    declineCode: Type.Optional(Type.String({ description: "The card issuer's reason, e.g. insufficient_funds" })),
    message: Type.String(),
  }, { description: 'payment_failed only: why the last payment was declined' })),
  paymentDeadline: Type.Optional(Type.String({
    format: 'date-time',
    description: 'payment_failed only, while the items are held: the payment deadline, when the items are released. POST /api/orders/{id}/payment can pay the order with another payment method until shortly before it (docs/payments.md)',
  })),
  paymentRetries: Type.Optional(Type.Integer({
    minimum: 0, description: 'payment_failed only: how many times the order was paid again with another payment method (at most paymentRetryMaxAttempts)',
  })),
});

export function orderRoutes(app: HttpServer, deps: { pool: pg.Pool }): void {
  app.get('/api/orders/:id', {
    schema: {
      tags: ['orders'], summary: 'An order, for the shopper holding its access token',
      security: [{ orderToken: [] }],
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      response: { 200: OrderSchema, ...errorResponses(401, 404) },
    },
  }, async (req, reply) => {
    reply.header('cache-control', 'no-store');
    return getOrderForCustomer(deps.pool, req.params.id, bearerToken(req.headers.authorization));
  });
}
