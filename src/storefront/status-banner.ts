// The status banner on the storefront's pages: inserted at the top of the page's main landmark while the
// status page says checkout or payments are not operational. Only full HTML pages of the shop get it
// (not the JSON API, not /status itself, which says it at length). Rendered pages may come from the
// page cache as bytes: they get it too, and only while there is a banner is anything copied.
const MAIN_OPENS = '<main id="main" class="wrap" tabindex="-1">';

type OnSendDone = (err: Error | null, payload: unknown) => void;

/**
 * The storefront's onSend hook: every response of the role passes it, so it is synchronous (an async
 * hook makes a promise and a microtask turn per response even while there is no banner, nearly always).
 */
export function statusBannerHook(bannerHtml: () => string) {
  return (req: { url: string }, reply: { getHeader(name: string): unknown }, payload: unknown, done: OnSendDone): void => {
    done(null, withStatusBanner(req.url, reply.getHeader('content-type'), payload, bannerHtml()));
  };
}

export function withStatusBanner(url: string, contentType: unknown, payload: unknown, bannerHtml: string): unknown {
  if (!bannerHtml || url === '/status' || !String(contentType ?? '').startsWith('text/html')) return payload;
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
  const at = payload.indexOf(MAIN_OPENS);
  if (at < 0) return payload;
  const end = at + Buffer.byteLength(MAIN_OPENS);
  if (typeof payload === 'string') return `${payload.slice(0, at + MAIN_OPENS.length)}\n${bannerHtml}${payload.slice(at + MAIN_OPENS.length)}`;
  return Buffer.concat([payload.subarray(0, end), Buffer.from(`\n${bannerHtml}`), payload.subarray(end)]);
}
