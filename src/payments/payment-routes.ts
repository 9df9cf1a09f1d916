// Admin API for payments: refunds, attempts, dead-lettered jobs, providers, reconciliation.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import type { JobQueue } from '../platform/queue/job-queue.ts';
import type { ProviderRouter } from './provider-router.ts';
import { errorResponses, UuidSchema } from '../platform/http/schemas.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';
import { getOrder, OrderSchema } from '../orders/index.ts';
import { refundOrder, paymentAttempts, cancelUnpaidOrder } from './payment-service.ts';
import { reconcile, listFindings } from './reconciliation.ts';
import { listDeadLetters, retryDeadLetter } from './dead-letters.ts';

const IdParams = Type.Object({ id: UuidSchema });

export interface PaymentAdminRouteDeps {
  pool: pg.Pool;
  queue: JobQueue;
  adminTokenSha256: string;
  /** The process's provider accounts (made on first use), for refunds and reconciliation. */
  paymentRouter: () => ProviderRouter;
}

export function paymentAdminRoutes(app: HttpServer, deps: PaymentAdminRouteDeps): void {
  adminScope(app, deps.adminTokenSha256, (admin) => {
    const security = ADMIN_SECURITY;

    admin.post('/api/admin/orders/:id/cancel', {
      schema: {
        tags: ['admin'], security, summary: 'Cancel an unpaid order and release its stock (refused while a payment is in progress)', params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: OrderSchema, ...errorResponses(400, 401, 404, 409, 429) },
      },
    }, async (req) => cancelUnpaidOrder(deps.pool, req.params.id, req.body?.reason ?? 'canceled by admin'));

    admin.post('/api/admin/orders/:id/refund', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Refund a paid order in full (idempotent)', params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false })),
        response: { 200: OrderSchema, ...errorResponses(400, 401, 404, 409, 429, 503) },
      },
    }, async (req) => refundOrder(deps.pool, deps.paymentRouter(), req.params.id, req.body?.reason ?? 'refunded by admin'));

    admin.get('/api/admin/orders/:id/payments', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Payment attempts of an order', params: IdParams,
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({
            id: Type.String(), attemptNo: Type.Integer(), provider: Type.String(), status: Type.String(), amount: Type.Integer(),
            currency: Type.String(), providerIntentId: Type.Union([Type.String(), Type.Null()]), errorCode: Type.Union([Type.String(), Type.Null()]),
            declineCode: Type.Union([Type.String(), Type.Null()]), errorMessage: Type.Union([Type.String(), Type.Null()]),
            createdAt: Type.String(), updatedAt: Type.String(),
          })) }),
          ...errorResponses(400, 401, 404),
        },
      },
    }, async (req) => {
      await getOrder(deps.pool, req.params.id);
      return { items: await paymentAttempts(deps.pool, req.params.id) };
    });

    admin.get('/api/admin/payments/providers', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Provider accounts in priority order with breaker state and health (as seen by this process)',
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ name: Type.String(), priority: Type.Integer(), baseUrl: Type.String(), breaker: Type.String(), healthScore: Type.Number(), inFlight: Type.Integer() })) }), ...errorResponses(401) },
      },
    }, async () => ({ items: deps.paymentRouter().status() }));

    admin.get('/api/admin/payments/dead-letters', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Payment jobs that exhausted their retries',
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), orderId: Type.String(), createdAt: Type.String(), lastError: Type.Unknown() })) }), ...errorResponses(401) },
      },
    }, async () => ({ items: await listDeadLetters(deps.queue) }));

    admin.post('/api/admin/payments/dead-letters/:id/retry', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Put a dead-lettered payment job back on the payment queue', params: IdParams,
        response: { 202: Type.Object({ orderId: Type.String(), jobId: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401, 404, 429) },
      },
    }, async (req, reply) => reply.code(202).send(await retryDeadLetter(deps.queue, deps.pool, req.params.id)));

    admin.post('/api/admin/payments/reconcile', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Compare orders with every provider ledger now; repair or flag differences',
        body: Type.Optional(Type.Object({ sinceHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 90 })) }, { additionalProperties: false })),
        response: { 200: Type.Object({ providers: Type.Array(Type.Unknown()), ordersChecked: Type.Integer(), findings: Type.Array(Type.Unknown()) }), ...errorResponses(400, 401, 429) },
      },
    }, async (req) => reconcile(deps.pool, deps.paymentRouter(), req.log, { sinceHours: req.body?.sinceHours ?? 48 }));

    admin.get('/api/admin/payments/reconciliation-findings', {
      schema: {
        tags: ['admin', 'payments'], security, summary: 'Differences found by reconciliation, newest first',
        response: { 200: Type.Object({ items: Type.Array(Type.Unknown()) }), ...errorResponses(401) },
      },
    }, async () => ({ items: await listFindings(deps.pool) }));
  });
}
