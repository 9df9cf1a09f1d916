// The shopper's API for paying a declined order again with another payment method.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import { OrderSchema, type PayAgainLimits } from '../orders/index.ts';
import { errorResponses, PaymentMethodIdSchema } from '../platform/http/schemas.ts';
import { bearerToken } from '../platform/http/bearer-token.ts';
import { payOrderAgain, PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE } from './payment-retry.ts';

export function orderPaymentRoutes(app: HttpServer, deps: { pool: pg.Pool; queue: JobQueue; payAgain: PayAgainLimits }): void {
  app.post('/api/orders/:id/payment', {
    schema: {
      tags: ['orders', 'payments'],
      summary: 'Pay a declined order again with another payment method, before its paymentDeadline (Idempotency-Key required)',
      description: `Only a payment_failed order whose items are still held can be paid again, until ${PAY_AGAIN_CLOSES_SECONDS_BEFORE_DEADLINE} s before its paymentDeadline `
        + 'and at most paymentRetryMaxAttempts times (5 by default). The order goes back to '
        + 'pending_payment and the payment service charges the new payment method; poll GET /api/orders/{id} for the outcome.',
      security: [{ orderToken: [] }],
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      headers: Type.Object({
        'idempotency-key': Type.String({ pattern: '^[\\x21-\\x7e]{1,255}$', description: '1-255 printable ASCII characters; a repeat with the same body replays the first answer' }),
      }),
      body: Type.Object({ paymentMethod: PaymentMethodIdSchema }, { additionalProperties: false }),
      response: { 202: OrderSchema, ...errorResponses(400, 401, 404, 409, 422, 429) },
    },
  }, async (req, reply) => {
    const { order, replayed } = await payOrderAgain(deps.pool, deps.queue, {
      orderId: req.params.id, accessToken: bearerToken(req.headers.authorization), paymentMethod: req.body.paymentMethod,
      idempotencyKey: req.headers['idempotency-key'],
      traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
    }, deps.payAgain);
    reply.header('cache-control', 'no-store');
    if (replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(202).send(order);
  });
}
