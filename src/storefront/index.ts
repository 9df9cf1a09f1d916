// Public surface of the storefront: its pages' module.
export { storefrontModule } from './storefront-module.ts';
