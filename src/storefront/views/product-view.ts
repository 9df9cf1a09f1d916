// Product page: picture, price, availability and an add-to-cart form that works without JavaScript.
import type { ListedProduct } from '../../catalog/index.ts';
import { MAX_QUANTITY_PER_LINE } from '../../cart/index.ts';
import { html } from '../../platform/html/html-template.ts';
import { formatMoney } from '../money-format.ts';
import { layoutView } from './layout-view.ts';
import { catalogUrl, productImageUrl } from './catalog-view.ts';

function availability(product: ListedProduct) {
  if (product.availability === 'sold_out') return html`<p class="availability out-of-stock">Out of stock</p>`;
  if (product.availability === 'low_stock') return html`<p class="availability low-stock">Only ${product.available} left</p>`;
  return html`<p class="availability in-stock">In stock</p>`;
}

export function productView(product: ListedProduct): string {
  const { available } = product;
  const maxQuantity = Math.max(1, Math.min(MAX_QUANTITY_PER_LINE, available));
  const body = html`
<nav class="breadcrumb" aria-label="Breadcrumb"><a href="/">Shop</a>${product.categories[0]
    ? html` › <a href="${catalogUrl({ category: product.categories[0] })}">${product.categories[0]}</a>` : null}</nav>
<article class="product">
<img src="${productImageUrl(product)}" alt="${product.title}" width="480" height="480">
<div>
<h1>${product.title}</h1>
<p class="price">${formatMoney(product.price)}</p>
${availability(product)}
<p>${product.description}</p>
${available > 0
    ? html`<form class="add-to-cart" method="post" action="/cart/items">
<input type="hidden" name="productId" value="${product.id}">
<div class="field"><label for="quantity">Quantity</label>
<input id="quantity" name="quantity" type="number" inputmode="numeric" min="1" max="${maxQuantity}" step="1" value="1" required></div>
<button type="submit">Add to cart</button>
</form>`
    : html`<p>This product is sold out for now; check back soon.</p>`}
<p class="meta">SKU ${product.sku}${product.categories.length
    ? html` · ${product.categories.map((c, i) => html`${i ? ', ' : ''}<a href="${catalogUrl({ category: c })}">${c}</a>`)}` : null}</p>
</div>
</article>`;
  return layoutView({ title: product.title, body, section: 'shop', description: product.description.slice(0, 160) });
}
