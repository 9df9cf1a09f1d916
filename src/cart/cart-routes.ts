import { Type } from 'typebox';
import type { HttpServer } from '../platform/http/http-server.ts';
import type pg from 'pg';
import { errorResponses, MoneySchema, UuidSchema } from '../platform/http/schemas.ts';
import { createCart, getCart, addItem, updateLine, removeLine, MAX_QUANTITY_PER_LINE } from './cart-service.ts';

export const CartSchema = Type.Object({
  id: Type.String(), currency: Type.String(), checkedOut: Type.Boolean(), itemCount: Type.Integer(), subtotal: MoneySchema,
  lines: Type.Array(Type.Object({
    productId: Type.String(), slug: Type.String(), sku: Type.String(), title: Type.String(),
    image: Type.Union([Type.String(), Type.Null()]), unitPrice: MoneySchema, quantity: Type.Integer(),
    lineTotal: MoneySchema, available: Type.Integer(), purchasable: Type.Boolean(),
  })),
});

const CartParams = Type.Object({ id: UuidSchema });
const LineParams = Type.Object({ id: UuidSchema, productId: UuidSchema });

export function cartRoutes(app: HttpServer, deps: { pool: pg.Pool }): void {
  app.post('/api/carts', {
    schema: {
      tags: ['cart'], summary: 'Create an anonymous cart; its id is the cart\'s secret',
      body: Type.Optional(Type.Object({}, { additionalProperties: false })),
      response: { 201: CartSchema, ...errorResponses(400, 429) },
    },
  }, async (_req, reply) => reply.code(201).send(await createCart(deps.pool)));

  app.get('/api/carts/:id', {
    schema: { tags: ['cart'], summary: 'A cart with totals computed from current prices', params: CartParams, response: { 200: CartSchema, ...errorResponses(400, 404) } },
  }, async (req) => getCart(deps.pool, req.params.id));

  app.post('/api/carts/:id/items', {
    schema: {
      tags: ['cart'], summary: 'Add a product (adds to an existing line)', params: CartParams,
      body: Type.Object({
        productId: UuidSchema,
        quantity: Type.Integer({ minimum: 1, maximum: MAX_QUANTITY_PER_LINE, default: 1 }),
      }, { additionalProperties: false }),
      response: { 200: CartSchema, ...errorResponses(400, 404, 409, 422, 429) },
    },
  }, async (req) => addItem(deps.pool, req.params.id, req.body.productId, req.body.quantity));

  app.patch('/api/carts/:id/items/:productId', {
    schema: {
      tags: ['cart'], summary: 'Set a line\'s quantity (0 removes it)', params: LineParams,
      body: Type.Object({ quantity: Type.Integer({ minimum: 0, maximum: MAX_QUANTITY_PER_LINE }) }, { additionalProperties: false }),
      response: { 200: CartSchema, ...errorResponses(400, 404, 409, 422, 429) },
    },
  }, async (req) => updateLine(deps.pool, req.params.id, req.params.productId, req.body.quantity));

  app.delete('/api/carts/:id/items/:productId', {
    schema: { tags: ['cart'], summary: 'Remove a line', params: LineParams, response: { 200: CartSchema, ...errorResponses(400, 404, 409, 429) } },
  }, async (req) => removeLine(deps.pool, req.params.id, req.params.productId));
}
