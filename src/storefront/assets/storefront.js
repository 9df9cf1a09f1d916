// Holdfast storefront: progressive enhancement only. Every page works without this file; with it, the
// order page learns a payment's outcome as soon as it is known, and dates read in the shopper's locale.
(() => {
  'use strict';

  // Dates and times in the shopper's own language and time zone. The server's text (UTC) stays when
  // this does not run, and the exact instant stays in the element's datetime attribute and its title.
  const FORMATS = {
    datetime: { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
    time: { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  };
  for (const el of document.querySelectorAll('time[datetime][data-format]')) {
    const options = FORMATS[el.dataset.format];
    const when = new Date(el.getAttribute('datetime'));
    if (!options || Number.isNaN(when.getTime())) continue;
    try {
      el.title = el.textContent;
      el.textContent = new Intl.DateTimeFormat(undefined, options).format(when);
    } catch { /* an old browser without these options keeps the server's text */ }
  }

  // While a payment is processing, ask for the order's status and reload the page once it has changed:
  // the server renders the outcome, paid or declined with the form to pay again. Most payments settle
  // within a second, so the first ask comes after half a second and the pause grows by half each time, to
  // 2 s, and after half a minute (a provider outage) to 5 s: about 17 asks in the first 30 s. Each pause
  // is jittered so that the pages of a surge do not ask in step, and when the shop is busy it waits as
  // long as it is asked to. Without scripts a <noscript> meta refresh does the same, more slowly.
  const panel = document.querySelector('[data-status-url]');
  if (!panel) return;
  const url = panel.dataset.statusUrl;
  const shown = panel.dataset.status;
  const started = Date.now();
  const FIRST_PAUSE_MS = 500;
  let delay = FIRST_PAUSE_MS;
  const next = (ms) => setTimeout(poll, ms * (0.8 + 0.4 * Math.random()));
  async function poll() {
    const waited = Date.now() - started;
    const longest = waited < 30_000 ? 2_000 : 5_000;
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
      if (res.ok) {
        const { status } = await res.json();
        if (status !== shown) { location.reload(); return; }
        delay = Math.min(delay * 1.5, longest);
      } else {
        // 404: the order cookie is gone; the reloaded page says so. 429 or 503: the shop asks for patience.
        if (res.status === 404) { location.reload(); return; }
        const retryAfter = Number(res.headers.get('retry-after'));
        delay = Math.max(Number.isFinite(retryAfter) ? retryAfter * 1000 : 0, Math.min(delay * 2, 10_000));
      }
    } catch {
      delay = Math.min(delay * 2, 10_000);
    }
    next(delay);
  }
  next(delay);
})();
