// Public surface of the checkout context.
export * from './checkout-service.ts';
export { CheckoutErrors } from './checkout-errors.ts';
export { checkoutModule } from './checkout-module.ts';
