// The ops console's page frame: one stylesheet and script served by the shop itself, landmarks, a skip
// link, the navigation with the current page marked, and the sign-out form (which carries the session's
// CSRF token like every other state-changing form of the console).
import { html, type HtmlValue, type SafeHtml } from '../platform/html/html-template.ts';

export const CONSOLE_NAV = [
  { path: '/ops', label: 'Overview' },
  { path: '/ops/alerts', label: 'Alerts' },
  { path: '/ops/incidents', label: 'Incidents' },
  { path: '/ops/faults', label: 'Faults' },
  { path: '/ops/scaling', label: 'Scaling' },
  { path: '/ops/capacity', label: 'Capacity' },
  { path: '/ops/waiting-room', label: 'Waiting room' },
  { path: '/ops/status', label: 'Status page' },
  { path: '/ops/payments', label: 'Payments' },
] as const;

export interface PageFrame {
  title: string;
  /** the navigation entry to mark as the current page */
  current?: string;
  /** the session's CSRF token (absent on the sign-in page) */
  csrf?: string;
  /** a notice after a form's redirect (?done=...) */
  notice?: string | undefined;
  /** extra stylesheet and script tags (the overview's charts) */
  head?: SafeHtml;
  /** the page's live panels follow the overview stream */
  live?: boolean;
}

/** "2026-12-02 05:44:31 UTC" in a <time> carrying the exact instant; the script shows it in the viewer's time zone. */
export function when(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

/** A hidden CSRF field for a form of the console. */
export function csrfField(csrf: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${csrf}">`;
}

export function consolePage(frame: PageFrame, body: HtmlValue): string {
  const nav = frame.csrf === undefined ? null : html`
    <nav aria-label="Ops console"><ul class="nav">${CONSOLE_NAV.map((n) => html`
      <li><a href="${n.path}"${n.path === frame.current ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}
    </ul></nav>
    <form method="post" action="/ops/sign-out" class="sign-out">${csrfField(frame.csrf)}<button type="submit">Sign out</button></form>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${frame.title} · Holdfast ops</title>
<link rel="stylesheet" href="/ops/assets/ops-console.css">
${frame.head}
<script src="/ops/assets/ops-console.js" defer></script>
</head>
<body${frame.live ? html` data-live="/ops/events"` : ''}>
<a class="skip-link" href="#main">Skip to content</a>
<header class="console-header"><div class="wrap">
  <a class="brand" href="/ops">Holdfast <span>ops</span></a>
  ${nav}
</div></header>
<main id="main" tabindex="-1"><div class="wrap">
${frame.notice ? html`<p class="notice" role="status">${frame.notice}</p>` : ''}
${body}
</div></main>
</body>
</html>`.value;
}
