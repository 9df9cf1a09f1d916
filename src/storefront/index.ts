// Public surface of the storefront: its pages' module.
export { storefrontModule } from './storefront-module.ts';
// The shop's HTML template (escaping by construction), for pages other contexts serve in the shop's look.
export { html, trustedHtml, type SafeHtml } from './html-template.ts';
