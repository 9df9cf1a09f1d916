// A tiny HTML template helper. Escaping is the default: every value interpolated into html`...` is
// HTML-escaped unless it is itself the output of html`...` (or explicitly marked trusted with
// trustedHtml), so user-controlled text cannot inject markup by someone forgetting to escape it.
// Plain template literals underneath: no engine, no compile step, cheap enough for the hot product page.

export class SafeHtml {
  readonly value: string;
  constructor(value: string) { this.value = value; }
  toString(): string { return this.value; }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const NEEDS_ESCAPING = /[&<>"']/;
const ESCAPABLE = /[&<>"']/g;

/** Escapes text for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  // Most values (titles, prices, slugs) need no escaping; testing first avoids allocating a copy.
  return NEEDS_ESCAPING.test(text) ? text.replace(ESCAPABLE, (c) => ESCAPES[c]!) : text;
}

function renderValue(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number') return String(value);
  // false/null/undefined render nothing so `${condition && html`...`}` reads naturally; true too.
  if (value === null || value === undefined || typeof value === 'boolean') return '';
  let out = '';
  for (const item of value) out += renderValue(item);
  return out;
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += renderValue(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks constant, developer-written markup as safe. Never pass user input here. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * Only http(s) and same-origin paths may end up in src/href attributes built from stored data (an admin
 * could save any image URL); anything else (javascript:, data:) is replaced by the fallback.
 */
export function safeUrl(url: string | null | undefined, fallback: string): string {
  if (!url) return fallback;
  return /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : fallback;
}
