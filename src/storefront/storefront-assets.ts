// The stylesheet and the script are read once at start and served under content-hashed URLs, so browsers
// and CDNs can cache them for a year (immutable) and a new deploy is picked up at once by the new URL.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const versionOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export const STYLESHEET = read('storefront.css');
export const STYLESHEET_VERSION = versionOf(STYLESHEET);
export const STYLESHEET_HREF = `/assets/storefront.${STYLESHEET_VERSION}.css`;

export const SCRIPT = read('storefront.js');
export const SCRIPT_VERSION = versionOf(SCRIPT);
export const SCRIPT_HREF = `/assets/storefront.${SCRIPT_VERSION}.js`;
