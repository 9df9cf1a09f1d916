// The waiting page a queued shopper sees in place of the page they asked for: their place, the estimated
// wait, what happens next. It is served at the address they asked for, so when their turn comes the same
// address serves the real page.
//
// Self-contained and small (about 4 KB): the shop's look (the storefront's colours, type and header) is
// inlined, there is no stylesheet, image or font to fetch while the shop is at its busiest. It refreshes by
// itself: without JavaScript through <meta http-equiv="refresh"> (inside <noscript>, so that a browser that
// runs the script does not also reload the page and double the queue's traffic); with JavaScript, a small
// inline script asks for the JSON form every refresh interval (sooner when the estimated wait is shorter),
// updates the place in an aria-live region without reloading, and reloads as soon as the answer is not
// "still waiting" (after the interval, not at once, when the answer is a 5xx: a busy shop is not hammered).
// If the script meets any error it falls back to reloading the page after the interval.
import { html, trustedHtml, type SafeHtml } from '../platform/html/html-template.ts';
import type { QueueStatus } from './admission.ts';

export interface WaitingPageOptions {
  /** The waiting page's HTTP status (the room's queueingStatusCode); a closed room always answers 503. */
  statusCode: 200 | 202 | 429;
  /** ms since the epoch: how long until a closed room opens again. */
  now: number;
  /** The address the shopper asked for, named on the page (shown as text, shortened). */
  requestedPath?: string;
}

export interface WaitingPageResponse {
  statusCode: number;
  headers: Record<string, string>;
  html: string;
}

/** Longest a closed room's page waits before asking again when no event says when it opens. */
const CLOSED_REFRESH_SECONDS = 300;

/** "about 3 minutes": the same words as the script's wait(), which the page's test holds equal. */
export function describeWait(seconds: number, known: boolean): string {
  if (!known) return 'We cannot estimate the wait right now.';
  if (seconds < 60) return 'Less than a minute.';
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `About ${minutes} minute${minutes === 1 ? '' : 's'}.` : `About ${Math.round(minutes / 60)} hours.`;
}

const clock = (ms: number): SafeHtml => {
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(11, 16)} UTC</time>`;
};

// The shop's palette and shell (src/storefront/assets/storefront.css), only what this page uses.
const STYLE = trustedHtml(`<style>
:root{--ink:#1c2826;--muted:#5b6764;--paper:#f6f5f1;--card:#fff;--line:#dedbd2;--accent:#1f5f50;--focus:#e8a317}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:flex;flex-direction:column;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--paper)}
.wrap{width:100%;max-width:40rem;margin:0 auto;padding:0 1rem}header{background:var(--card);border-bottom:1px solid var(--line)}
header .wrap{min-height:3.5rem;display:flex;align-items:center}.brand{font-weight:700;font-size:1.25rem;color:var(--ink);text-decoration:none}.brand span{color:var(--accent)}
main.wrap{flex:1;padding-top:2rem;padding-bottom:3rem}h1{font-size:1.75rem;line-height:1.2;margin:0 0 1rem}
.status{background:var(--card);border:1px solid var(--line);border-left:8px solid var(--accent);border-radius:10px;padding:1.25rem;margin:0 0 1.5rem}
.status p{margin:.25rem 0}.place{font-size:2.5rem;font-weight:700;font-variant-numeric:tabular-nums;color:var(--accent)}
footer{border-top:1px solid var(--line);color:var(--muted);font-size:.875rem;padding:1.25rem 0}a{color:var(--accent)}:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
</style>`);

// Polls the JSON form of this same address. Plain ES5-level JavaScript, no data interpolated into it
// (the interval comes from a data attribute), so nothing a shopper sends can end up in a script.
const SCRIPT = trustedHtml(`<script>
(function(){var b=document.body,every=Number(b.getAttribute('data-refresh'))*1000,start=Number(b.getAttribute('data-wait'))*1000;
function reloadLater(){setTimeout(function(){location.reload()},every)}
function wait(s,k){if(!k)return 'We cannot estimate the wait right now.';if(s<60)return 'Less than a minute.';var m=Math.round(s/60);return m<90?'About '+m+' minute'+(m===1?'':'s')+'.':'About '+Math.round(m/60)+' hours.'}
function next(ms){setTimeout(poll,Math.max(2000,Math.min(every,ms)))}
function poll(){fetch(location.href,{headers:{Accept:'application/json'},credentials:'same-origin',cache:'no-store'}).then(function(r){
if(r.status!==429){if(r.status<500)location.reload();else reloadLater();return}
return r.json().then(function(j){var w=j.waitingRoom,p=document.getElementById('position'),e=document.getElementById('wait');
if(p)p.textContent=String(w.position);if(e)e.textContent=wait(w.waitTimeSeconds,w.waitTimeKnown);
every=Math.max(1,w.refreshIntervalSeconds)*1000;next(w.waitTimeKnown?w.waitTimeSeconds*1000:every)})}).catch(reloadLater)}
try{next(start>0?start:every)}catch(x){reloadLater()}})();
</script>`);

function content(status: QueueStatus, requestedPath: string | undefined): { title: string; body: SafeHtml } {
  const wait = html`<p>Estimated wait: <strong id="wait">${describeWait(status.waitTimeSeconds, status.waitTimeKnown)}</strong></p>`;
  const asked = requestedPath && requestedPath !== '/' ? html` (<code>${requestedPath.length > 80 ? `${requestedPath.slice(0, 79)}…` : requestedPath}</code>)` : null;
  const keepOpen = html`<p>Keep this page open: it checks for your turn by itself (next in ${status.refreshIntervalSeconds} seconds), and takes you to the page you asked for${asked} as soon as it is your turn. You do not need to reload it. If you close it, coming back within 5 minutes keeps your place.</p>`;
  switch (status.phase) {
    case 'closed':
      return {
        title: 'The shop is closed for now',
        body: html`<h1>The shop is closed for now</h1>
<div class="status"><p>Nobody new can come in at the moment.${status.eventStartsAt !== null ? html` We open again at ${clock(status.eventStartsAt)}.` : null}</p></div>
<p>This page tries again by itself. Nothing you had in your cart is lost.</p>`,
      };
    case 'queue_full':
      return {
        title: 'The queue is full',
        body: html`<h1>The queue is full</h1>
<div class="status" aria-live="polite"><p><span id="position">${status.position}</span> shoppers are already waiting, as many as the queue holds.</p></div>
<p>This page tries again every ${status.refreshIntervalSeconds} seconds and puts you in the queue as soon as there is room in it.</p>`,
      };
    case 'prequeue':
      return {
        title: 'The sale starts soon',
        body: html`<h1>The sale starts soon</h1>
<div class="status" aria-live="polite">${status.eventStartsAt !== null ? html`<p>It starts at ${clock(status.eventStartsAt)}.</p>` : null}
${status.positionIsOrder ? html`<p>Your place in the queue</p><p class="place" id="position">${status.position}</p>`
  : html`<p>You are one of <strong id="position">${status.position}</strong> shoppers waiting. When the sale starts, places are drawn at random among everyone here: arriving early gives no better place.</p>`}
${wait}</div>
${keepOpen}`,
      };
    default:
      return {
        title: 'You are in the queue',
        body: html`<h1>You are in the queue</h1>
<div class="status" aria-live="polite">
${status.positionIsOrder ? html`<p>Your place in the queue</p><p class="place" id="position">${status.position}</p>`
  : html`<p>Places are drawn at random among the <strong id="position">${status.position}</strong> shoppers waiting; every check is a fresh chance.</p>`}
${wait}</div>
<p>The shop is busy, so we let shoppers in a few at a time: everyone inside gets a fast shop, and nobody gets an error.</p>
${keepOpen}`,
      };
  }
}

/** The waiting page for `status`, with its status code and headers. */
export function waitingPage(status: QueueStatus, opts: WaitingPageOptions): WaitingPageResponse {
  const closed = status.phase === 'closed';
  const untilEvent = status.eventStartsAt === null ? CLOSED_REFRESH_SECONDS : Math.ceil((status.eventStartsAt - opts.now) / 1000);
  const refresh = closed ? Math.max(1, Math.min(CLOSED_REFRESH_SECONDS, untilEvent)) : Math.max(1, status.refreshIntervalSeconds);
  // Ask sooner than the interval when the estimated wait is shorter (the script only; the meta refresh is the floor).
  const firstPoll = !closed && status.waitTimeKnown && status.waitTimeSeconds < refresh ? Math.max(2, status.waitTimeSeconds) : 0;
  const { title, body } = content(status, opts.requestedPath);
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · Holdfast</title>
<noscript><meta http-equiv="refresh" content="${refresh}"></noscript>
<link rel="icon" href="data:,">
${STYLE}
</head>
<body data-refresh="${refresh}" data-wait="${firstPoll}">
<header><div class="wrap"><a class="brand" href="/">Hold<span>fast</span></a></div></header>
<main class="wrap">
${body}
</main>
<footer><div class="wrap">Holdfast demo shop · Free shipping</div></footer>
${SCRIPT}
</body>
</html>
`.value;
  const statusCode = closed ? 503 : opts.statusCode;
  const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
  if (statusCode === 429 || statusCode === 503) headers['retry-after'] = String(refresh);
  return { statusCode, headers, html: page };
}
