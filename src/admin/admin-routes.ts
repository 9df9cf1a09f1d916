// Admin API: products CRUD, stock levels, order list/search and cancellation. Bearer admin token.
import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses, UuidSchema } from '../platform/http/schemas.ts';
import { withTransaction } from '../platform/db/database.ts';
import {
  listProducts, getProductById, createProduct, updateProduct, deactivateProduct, ProductSchema,
} from '../catalog/index.ts';
import { getStockLevel, setOnHand, orderReservations } from '../inventory/index.ts';
import { listOrders, countOrders, getOrder, getOrderEvents, ORDER_STATUSES, OrderSchema } from '../orders/index.ts';
import { adminScope, ADMIN_SECURITY } from '../platform/http/admin-auth.ts';

const Slug = Type.String({ pattern: '^[a-z0-9]+(-[a-z0-9]+)*$', maxLength: 120 });
const ProductFields = {
  slug: Slug,
  sku: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 5000 }),
  price: Type.Object({
    amount: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  }, { additionalProperties: false }),
  images: Type.Array(Type.String({ maxLength: 2000, pattern: '^(https?://|/)' }), { maxItems: 20 }),
  categories: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 20 }),
  active: Type.Boolean(),
};
const StockSchema = Type.Object({
  productId: Type.String(), onHand: Type.Integer(), reserved: Type.Integer(), available: Type.Integer(), updatedAt: Type.String(),
});
const IdParams = Type.Object({ id: UuidSchema });

export function adminRoutes(app: HttpServer, deps: { pool: pg.Pool; adminTokenSha256: string }): void {
  adminScope(app, deps.adminTokenSha256, (admin) => {
    const security = ADMIN_SECURITY;

    admin.get('/api/admin/products', {
      schema: {
        tags: ['admin'], security, summary: 'List or search products',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(ProductSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401) },
      },
    }, async (req) => listProducts(deps.pool, req.query));

    admin.post('/api/admin/products', {
      schema: {
        tags: ['admin'], security, summary: 'Create a product (optionally with its initial stock)',
        body: Type.Object({
          slug: ProductFields.slug, sku: ProductFields.sku, title: ProductFields.title, price: ProductFields.price,
          description: Type.Optional(ProductFields.description), images: Type.Optional(ProductFields.images),
          categories: Type.Optional(ProductFields.categories), active: Type.Optional(ProductFields.active),
          stock: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
        }, { additionalProperties: false }),
        response: { 201: ProductSchema, ...errorResponses(400, 401, 409, 429) },
      },
    }, async (req, reply) => {
      const { stock, ...input } = req.body;
      const product = await withTransaction(deps.pool, async (tx) => {
        const p = await createProduct(tx, input);
        await setOnHand(tx, p.id, stock ?? 0);
        return p;
      });
      return reply.code(201).send(product);
    });

    admin.get('/api/admin/products/:id', {
      schema: { tags: ['admin'], security, summary: 'One product (including inactive)', params: IdParams, response: { 200: ProductSchema, ...errorResponses(400, 401, 404) } },
    }, async (req) => getProductById(deps.pool, req.params.id));

    admin.patch('/api/admin/products/:id', {
      schema: {
        tags: ['admin'], security, summary: 'Update product fields', params: IdParams,
        body: Type.Partial(Type.Object(ProductFields), { additionalProperties: false, minProperties: 1 }),
        response: { 200: ProductSchema, ...errorResponses(400, 401, 404, 409, 429) },
      },
    }, async (req) => updateProduct(deps.pool, req.params.id, req.body));

    admin.delete('/api/admin/products/:id', {
      schema: { tags: ['admin'], security, summary: 'Take a product off sale (orders keep referring to it)', params: IdParams, response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 429) } },
    }, async (req, reply) => {
      await deactivateProduct(deps.pool, req.params.id);
      return reply.code(204).send(null);
    });

    admin.get('/api/admin/products/:id/stock', {
      schema: { tags: ['admin'], security, summary: 'Stock level: on hand, reserved, available', params: IdParams, response: { 200: StockSchema, ...errorResponses(400, 401, 404) } },
    }, async (req) => {
      await getProductById(deps.pool, req.params.id);
      return getStockLevel(deps.pool, req.params.id);
    });

    admin.put('/api/admin/products/:id/stock', {
      schema: {
        tags: ['admin'], security, summary: 'Set on-hand stock', params: IdParams,
        body: Type.Object({ onHand: Type.Integer({ minimum: 0, maximum: 10_000_000 }) }, { additionalProperties: false }),
        response: { 200: StockSchema, ...errorResponses(400, 401, 404, 409, 429) },
      },
    }, async (req) => {
      await getProductById(deps.pool, req.params.id);
      return setOnHand(deps.pool, req.params.id, req.body.onHand);
    });

    admin.get('/api/admin/orders', {
      schema: {
        tags: ['admin'], security, summary: 'List orders, newest first; filter by status or email',
        querystring: Type.Object({
          status: Type.Optional(Type.Enum(ORDER_STATUSES)),
          email: Type.Optional(Type.String({ maxLength: 254 })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(OrderSchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses(400, 401) },
      },
    }, async (req) => listOrders(deps.pool, req.query));

    admin.get('/api/admin/orders/count', {
      schema: {
        tags: ['admin'], security, summary: 'Count orders, optionally of one status and created in [createdFrom, createdBefore)',
        querystring: Type.Object({
          status: Type.Optional(Type.Enum(ORDER_STATUSES)),
          createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
          createdBefore: Type.Optional(Type.String({ format: 'date-time' })),
        }, { additionalProperties: false }),
        response: { 200: Type.Object({ count: Type.Integer() }), ...errorResponses(400, 401) },
      },
    }, async (req) => ({ count: await countOrders(deps.pool, req.query) }));

    admin.get('/api/admin/orders/:id', {
      schema: {
        tags: ['admin'], security, summary: 'An order with its event history and stock reservations', params: IdParams,
        response: {
          200: Type.Object({
            order: OrderSchema,
            events: Type.Array(Type.Object({ type: Type.String(), fromStatus: Type.Union([Type.String(), Type.Null()]), toStatus: Type.Union([Type.String(), Type.Null()]), data: Type.Unknown(), at: Type.String() })),
            reservations: Type.Array(Type.Object({ productId: Type.String(), quantity: Type.Integer(), status: Type.String(), expiresAt: Type.String() })),
          }),
          ...errorResponses(400, 401, 404),
        },
      },
    }, async (req) => ({
      order: await getOrder(deps.pool, req.params.id),
      events: await getOrderEvents(deps.pool, req.params.id),
      reservations: await orderReservations(deps.pool, req.params.id),
    }));
    // Cancellation and refunds live with payments (src/payments/payment-routes.ts): they must coordinate
    // with a payment that may be in flight.
  });
}
