// The stylesheet is read once at start and served under a content-hashed URL, so browsers and CDNs can
// cache it for a year (immutable) and a new deploy is picked up at once by the new URL.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

export const STYLESHEET = readFileSync(new URL('./assets/storefront.css', import.meta.url), 'utf8');
export const STYLESHEET_VERSION = createHash('sha256').update(STYLESHEET).digest('hex').slice(0, 12);
export const STYLESHEET_HREF = `/assets/storefront.${STYLESHEET_VERSION}.css`;
