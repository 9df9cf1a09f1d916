// Error pages for shoppers: a plain message and a way back, never a stack trace or a JSON body.
import { html } from '../../platform/html/html-template.ts';
import { layoutView } from './layout-view.ts';

export function notFoundView(message = 'We could not find that page. It may have moved, or the link may be mistyped.'): string {
  const body = html`<h1>Page not found</h1>
<div class="notice info"><p>${message}</p><p><a href="/">Go to the shop</a></p></div>`;
  return layoutView({ title: 'Page not found', body, section: 'none' });
}

export function errorView(status: number, message: string): string {
  const title = status === 429 ? 'Too many requests' : status >= 500 ? 'Something went wrong' : 'That did not work';
  const body = html`<h1>${title}</h1>
<div class="notice error" role="alert"><p>${message}</p><p><a href="/">Go to the shop</a></p></div>`;
  return layoutView({ title, body, section: 'none' });
}
