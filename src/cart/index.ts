// Public surface of the cart context.
export * from './cart-service.ts';
export { CartErrors } from './cart-errors.ts';
export { cartApiModule } from './cart-module.ts';
