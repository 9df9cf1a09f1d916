// The page shell every storefront page shares: landmarks (header/nav/main/footer), a skip link, the
// header's cart count, the hashed stylesheet, and the hashed script on the one page that uses it.
import { html, trustedHtml, type SafeHtml } from '../../platform/html/html-template.ts';
import { SCRIPT_HREF, STYLESHEET_HREF } from '../storefront-assets.ts';

export type NavSection = 'shop' | 'cart' | 'none';

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  section?: NavSection;
  description?: string;
  /** Reload the page after this many seconds, when scripts are off (the order page while payment is processing). */
  refreshSeconds?: number;
  /** Items in the shopper's cart, when the page knows it (cart, checkout); else the header keeps a slot sendHtml fills from the cookie. */
  cartCount?: number | undefined;
  /** The page's script (progressive enhancement: the page works without it). */
  script?: boolean;
}

const CURRENT_PAGE = trustedHtml(' aria-current="page"');
const current = (section: NavSection | undefined, link: NavSection) => (section === link ? CURRENT_PAGE : null);

/**
 * The header's cart link on a page rendered without the count (shared, cached pages): sendHtml swaps it
 * for the link with the shopper's count, from their cookie, as the page is sent.
 */
export const CART_LINK_SLOT = '<a href="/cart"><!--cart-count-->Cart</a>';

/**
 * The header's cart link: "Cart" and a badge with the count for the eye, named "Cart, 3 items" for a
 * screen reader (an aria-label: hidden text beside the badge would be read as "Cart , 3 items").
 */
export function cartLink(count: number, currentPage = false): string {
  const here = currentPage ? CURRENT_PAGE : null;
  if (count <= 0) return html`<a href="/cart"${here}>Cart</a>`.value;
  return html`<a href="/cart"${here} aria-label="Cart, ${count} ${count === 1 ? 'item' : 'items'}">Cart<span class="cart-count" aria-hidden="true">${count}</span></a>`.value;
}

export function layoutView(opts: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Holdfast</title>
${opts.description ? html`<meta name="description" content="${opts.description}">` : null}
${opts.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${opts.refreshSeconds}"></noscript>` : null}
<link rel="stylesheet" href="${STYLESHEET_HREF}">
${opts.script ? html`<script src="${SCRIPT_HREF}" defer></script>` : null}
<link rel="icon" href="data:,">
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="wrap">
<a class="brand" href="/">Hold<span>fast</span></a>
<nav class="site-nav" aria-label="Main">
<ul>
<li><a href="/"${current(opts.section, 'shop')}>Shop</a></li>
<li>${trustedHtml(opts.cartCount === undefined && opts.section !== 'cart' ? CART_LINK_SLOT : cartLink(opts.cartCount ?? 0, opts.section === 'cart'))}</li>
</ul>
</nav>
</div>
</header>
<main id="main" class="wrap" tabindex="-1">
${opts.body}
</main>
<footer class="site-footer">
<div class="wrap"><p>Holdfast demo shop · Free shipping · Payments run against a test provider: no real card is ever charged.</p></div>
</footer>
</body>
</html>
`.value;
}
