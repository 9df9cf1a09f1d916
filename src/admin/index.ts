// Public surface of the admin API: products, stock levels, order search and history for operators.
export { adminApiModule } from './admin-module.ts';
