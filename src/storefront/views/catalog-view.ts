// Home page: the catalog with search, a category filter, a sort order and cursor pagination; every card
// says when its product is sold out or nearly.
import type { ListedProduct, ProductSort } from '../../catalog/index.ts';
import { html, safeUrl } from '../../platform/html/html-template.ts';
import { formatMoney } from '../money-format.ts';
import { layoutView } from './layout-view.ts';

export interface CatalogViewModel {
  q: string;
  category: string | undefined;
  /** Set when this is not the first page. */
  cursor: string | undefined;
  /** Not set: the default order (search rank, or by name). */
  sort?: ProductSort | undefined;
  products: ListedProduct[];
  nextCursor: string | null;
  /** How many products match a search in all (searches only). */
  total?: number | undefined;
  categories: string[];
}

export function catalogUrl(params: { q?: string | undefined; category?: string | undefined; sort?: ProductSort | undefined; cursor?: string | null | undefined }): string {
  const search = new URLSearchParams();
  if (params.q) search.set('q', params.q);
  if (params.category) search.set('category', params.category);
  if (params.sort && params.sort !== 'relevance') search.set('sort', params.sort);
  if (params.cursor) search.set('cursor', params.cursor);
  const query = search.toString();
  return query ? `/?${query}` : '/';
}

export function productImageUrl(product: { slug: string; images: string[] }): string {
  return safeUrl(product.images[0], `/images/products/${product.slug}.svg`);
}

/** Said on the card, in words (not colour alone), inside the link so it is part of what the link announces. */
function stockMarker(product: ListedProduct) {
  if (product.availability === 'sold_out') return html`<p class="stock sold-out">Sold out</p>`;
  if (product.availability === 'low_stock') return html`<p class="stock low-stock">Only ${product.available} left</p>`;
  return null;
}

function productCard(product: ListedProduct) {
  // The picture repeats the title next to it inside the same link, so it is decorative here (alt="");
  // the product page gives it a real description.
  return html`<li class="product-card ${product.availability.replace('_', '-')}"><a href="/products/${encodeURIComponent(product.slug)}">
<img src="${productImageUrl(product)}" alt="" width="240" height="240" loading="lazy" decoding="async">
<div class="body"><h2>${product.title}</h2><p class="price">${formatMoney(product.price)}</p>${stockMarker(product)}</div>
</a></li>`;
}

/** The sort orders, as the select lists them; without a search the default order is by name. */
function sortOptions(vm: CatalogViewModel): [ProductSort, string][] {
  return [[ 'relevance', vm.q ? 'Best match' : 'Name' ], ['price_asc', 'Price: low to high'], ['price_desc', 'Price: high to low'], ['newest', 'Newest']];
}

function resultCount(total: number | undefined) {
  if (total === undefined) return null;
  return html`<p class="result-count">${total === 1 ? '1 product found' : `${total.toLocaleString('en-US')} products found`}</p>`;
}

function heading(vm: CatalogViewModel): string {
  if (vm.q && vm.category) return `Results for “${vm.q}” in ${vm.category}`;
  if (vm.q) return `Results for “${vm.q}”`;
  if (vm.category) return vm.category.charAt(0).toUpperCase() + vm.category.slice(1);
  return 'All products';
}

export function catalogView(vm: CatalogViewModel): string {
  const title = heading(vm);
  const categoryLinks = [
    html`<li><a href="${catalogUrl({ q: vm.q, sort: vm.sort })}"${vm.category ? null : html` aria-current="page"`}>All</a></li>`,
    ...vm.categories.map((c) => html`<li><a href="${catalogUrl({ q: vm.q, category: c, sort: vm.sort })}"${c === vm.category ? html` aria-current="page"` : null}>${c}</a></li>`),
  ];
  const body = html`
<h1>${title}</h1>
${resultCount(vm.total)}
<form class="search" method="get" action="/" role="search" aria-label="Products">
<div class="field"><label for="q">Search products</label>
<input id="q" name="q" type="search" value="${vm.q}" maxlength="200" placeholder="e.g. wool scarf" autocomplete="off"></div>
<div class="field"><label for="category">Category</label>
<select id="category" name="category">
<option value="">All categories</option>
${vm.categories.map((c) => html`<option value="${c}"${c === vm.category ? html` selected` : null}>${c}</option>`)}
</select></div>
<div class="field"><label for="sort">Sort by</label>
<select id="sort" name="sort">
${sortOptions(vm).map(([value, text]) => html`<option value="${value}"${value === (vm.sort ?? 'relevance') ? html` selected` : null}>${text}</option>`)}
</select></div>
<button type="submit">Search</button>
</form>
<nav aria-label="Categories"><ul class="categories">${categoryLinks}</ul></nav>
${vm.products.length === 0
    ? html`<div class="notice info"><h2>No products found</h2><p>Nothing matches ${vm.q ? html`“${vm.q}”` : 'this filter'}. Try another word or <a href="/">browse everything</a>.</p></div>`
    : html`<ul class="product-grid">${vm.products.map(productCard)}</ul>`}
<nav class="pagination" aria-label="Pagination">
<span>${vm.cursor ? html`<a href="${catalogUrl({ q: vm.q, category: vm.category, sort: vm.sort })}">← First page</a>` : null}</span>
<span>${vm.nextCursor ? html`<a href="${catalogUrl({ q: vm.q, category: vm.category, sort: vm.sort, cursor: vm.nextCursor })}" rel="next">Next page →</a>` : null}</span>
</nav>`;
  return layoutView({ title, body, section: 'shop', description: 'Holdfast: warm things for the holiday season.' });
}
