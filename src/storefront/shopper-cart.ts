// Finding and filling the shopper's cart through the cart cookie. A cookie pointing at a cart that no
// longer exists or was already checked out is no error for the shopper: they simply get a fresh cart.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { DomainError } from '../platform/errors/domain-error.ts';
import { addItem, createCart, getCart, type Cart } from '../cart/index.ts';
import { readCartId, setCartCookie } from './storefront-cookies.ts';

const isStaleCart = (err: unknown) =>
  err instanceof DomainError && (err.code === 'CART_NOT_FOUND' || err.code === 'CART_CHECKED_OUT');

/** The shopper's open cart, or null when they have none (no cookie, unknown cart, already ordered). */
export async function loadShopperCart(pool: pg.Pool, req: FastifyRequest): Promise<Cart | null> {
  const cartId = readCartId(req);
  if (!cartId) return null;
  try {
    const cart = await getCart(pool, cartId);
    return cart.checkedOut ? null : cart;
  } catch (err) {
    if (isStaleCart(err)) return null;
    throw err;
  }
}

/** Adds to the shopper's cart, creating a cart (and its cookie) when they have no open one. */
export async function addToShopperCart(
  pool: pg.Pool, req: FastifyRequest, reply: FastifyReply, productId: string, quantity: number,
): Promise<Cart> {
  const cartId = readCartId(req);
  if (cartId) {
    try {
      return await addItem(pool, cartId, productId, quantity);
    } catch (err) {
      if (!isStaleCart(err)) throw err;
    }
  }
  const cart = await createCart(pool);
  // Set before adding: if the add fails (say, the product was just taken off sale) the shopper still
  // keeps this one cart rather than a new one being made on every retry.
  setCartCookie(req, reply, cart.id);
  return addItem(pool, cart.id, productId, quantity);
}
