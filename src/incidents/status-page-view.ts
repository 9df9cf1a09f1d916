// The public status page (/status) as server-rendered HTML: no JavaScript, landmarks and headings, state
// always said in words (colour only repeats it), 90-day history as bars with the days that had trouble
// also listed as text, and the shop's look (its palette, header and type) in a self-contained stylesheet,
// so the page renders the same whichever role serves it. Plus the storefront's banner snippet.
import { html, trustedHtml, type SafeHtml } from '../platform/html/html-template.ts';
import {
  COMPONENT_LABELS, STATUS_LABELS,
  type ComponentHistory, type ComponentStatusValue, type PublicIncident, type StatusPage, type StorefrontBanner,
} from './status-page.ts';

const UPDATE_LABELS = { investigating: 'Investigating', identified: 'Identified', monitoring: 'Monitoring', resolved: 'Resolved' } as const;

// The storefront's palette and header (src/storefront/assets/storefront.css), and the status colours.
const STYLES = trustedHtml(`<style>
:root { --ink: #1c2826; --muted: #5b6764; --paper: #f6f5f1; --card: #fff; --line: #dedbd2; --accent: #1f5f50;
  --focus: #e8a317; --ok: #1d7a46; --warn: #9a5b00; --bad: #b3261e; --maint: #2f5d9a; --none: #c9c6bd; --radius: 10px; color-scheme: light; }
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; flex-direction: column; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
main { flex: 1; padding-top: 1.5rem; padding-bottom: 3rem; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
h1, h2, h3 { line-height: 1.2; margin: 0 0 .75rem; }
h1 { font-size: 1.75rem; } h2 { font-size: 1.3rem; margin-top: 2rem; } h3 { font-size: 1.05rem; margin: 0; }
.wrap { width: 100%; max-width: 56rem; margin: 0 auto; padding-left: 1rem; padding-right: 1rem; }
.skip-link { position: absolute; left: .5rem; top: -3rem; background: var(--card); padding: .5rem 1rem; }
.skip-link:focus { top: .5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.site-header { background: var(--card); border-bottom: 1px solid var(--line); }
.site-header .wrap { display: flex; align-items: center; justify-content: space-between; gap: 1rem; min-height: 3.5rem; }
.brand { font-weight: 700; font-size: 1.25rem; color: var(--ink); text-decoration: none; letter-spacing: .02em; }
.brand span { color: var(--accent); }
.site-footer { border-top: 1px solid var(--line); color: var(--muted); font-size: .875rem; padding: 1.25rem 0; }
.overall { border-radius: var(--radius); padding: 1rem 1.25rem; background: var(--card); border: 1px solid var(--line); border-left-width: 8px; font-size: 1.2rem; font-weight: 600; }
.components { list-style: none; padding: 0; margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); }
.components > li { padding: .9rem 1rem; border-top: 1px solid var(--line); }
.components > li:first-child { border-top: none; }
.component-head { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
.state { font-weight: 600; }
.state::before { content: ""; display: inline-block; width: .75rem; height: .75rem; border-radius: 50%; margin-right: .4rem; background: currentColor; vertical-align: -1px; }
.bars { display: grid; gap: 1px; height: 1.6rem; margin: .6rem 0 .25rem; }
.bars span { border-radius: 2px; background: var(--none); }
.history-note { color: var(--muted); font-size: .875rem; margin: 0; }
.s-operational { color: var(--ok); border-color: var(--ok) !important; } .bars .s-operational { background: var(--ok); }
.s-under_maintenance { color: var(--maint); border-color: var(--maint) !important; } .bars .s-under_maintenance { background: var(--maint); }
.s-degraded_performance { color: var(--warn); border-color: var(--warn) !important; } .bars .s-degraded_performance { background: #d89b2b; }
.s-partial_outage { color: #b4530f; border-color: #b4530f !important; } .bars .s-partial_outage { background: #d9731f; }
.s-major_outage { color: var(--bad); border-color: var(--bad) !important; } .bars .s-major_outage { background: var(--bad); }
.incident { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); padding: 1rem 1.25rem; margin-bottom: 1rem; }
.incident ol { list-style: none; padding: 0; margin: .75rem 0 0; }
.incident li { margin: 0 0 .6rem; }
.meta { color: var(--muted); font-size: .9rem; }
details { margin-top: .25rem; font-size: .9rem; }
</style>`);

/** "27 Nov 2026, 14:02 UTC" in a <time> carrying the exact instant. */
function when(iso: string): SafeHtml {
  const d = new Date(iso);
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return html`<time datetime="${iso}">${day}, ${d.toISOString().slice(11, 16)} UTC</time>`;
}

const dayLabel = (date: string) => new Date(`${date}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

function historyOf(component: ComponentHistory): SafeHtml {
  const troubled = component.days.filter((d) => d.status !== null && d.status !== 'operational');
  const recorded = component.days.filter((d) => d.status !== null).length;
  const summary = recorded === 0 ? 'No records yet for the last 90 days.'
    : troubled.length === 0 ? `No incidents in the ${recorded} recorded days of the last 90.`
    : `${troubled.length} of the ${recorded} recorded days of the last 90 had trouble.`;
  const bar = (d: ComponentHistory['days'][number]) => {
    const label = `${dayLabel(d.date)}: ${d.status === null ? 'no records' : STATUS_LABELS[d.status]}`;
    return html`<span class="${d.status ? `s-${d.status}` : 'no-data'}" title="${label}"></span>`;
  };
  return html`<div class="bars" style="grid-template-columns: repeat(${component.days.length}, 1fr)" aria-hidden="true">${component.days.map(bar)}</div>
<p class="history-note">${summary}</p>
${troubled.length ? html`<details><summary>Days with trouble</summary><ul>${troubled.map((d) => html`<li>${dayLabel(d.date)}: ${STATUS_LABELS[d.status!]}</li>`)}</ul></details>` : null}`;
}

function incidentView(incident: PublicIncident): SafeHtml {
  return html`<article class="incident" aria-labelledby="incident-${incident.id}">
<h3 id="incident-${incident.id}">${incident.name}</h3>
<p class="meta">${UPDATE_LABELS[incident.status]} · started ${when(incident.startedAt)}${incident.resolvedAt ? html` · resolved ${when(incident.resolvedAt)}` : null} · affects ${incident.components.map((c) => COMPONENT_LABELS[c]).join(', ') || 'the shop'}</p>
<ol>${incident.updates.map((u) => html`<li><strong>${UPDATE_LABELS[u.status]}</strong> (${when(u.at)}): ${u.body}</li>`)}</ol>
</article>`;
}

/** A state an operator set says so, with its end when it has one (the reason stays with the operators). */
function manualNote(c: StatusPage['components'][number]): SafeHtml | null {
  if (c.source !== 'manual') return null;
  return html`<p class="meta manual-state">Set by our team${c.until ? html` until ${when(c.until)}` : null}.</p>`;
}

/** The whole /status document. */
export function renderStatusPage(page: StatusPage): string {
  const open = page.incidents.filter((i) => i.resolvedAt === null);
  const recent = page.incidents.filter((i) => i.resolvedAt !== null);
  const history = new Map(page.history.map((h) => [h.name, h]));
  const stateOf = (status: ComponentStatusValue) => html`<span class="state s-${status}">${STATUS_LABELS[status]}</span>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Service status · Holdfast</title>
<meta name="description" content="Whether the Holdfast shop, search, checkout and payments are working, and the last 90 days.">
<link rel="icon" href="data:,">
${STYLES}
</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header"><div class="wrap"><a class="brand" href="/">Hold<span>fast</span></a><a href="/">Back to the shop</a></div></header>
<main id="main" class="wrap" tabindex="-1">
<h1>Service status</h1>
<p class="overall s-${page.overall.status}" role="status">${page.overall.text}</p>
${open.length ? html`<section aria-labelledby="open-heading"><h2 id="open-heading">Current incidents</h2>${open.map(incidentView)}</section>` : null}
<section aria-labelledby="components-heading">
<h2 id="components-heading">Components</h2>
<ul class="components">
${page.components.map((c) => html`<li data-component="${c.name}"><div class="component-head"><h3>${COMPONENT_LABELS[c.name]}</h3>${stateOf(c.status)}</div>${manualNote(c)}${history.has(c.name) ? historyOf(history.get(c.name)!) : null}</li>`)}
</ul>
</section>
${recent.length ? html`<section aria-labelledby="recent-heading"><h2 id="recent-heading">Recently resolved</h2>${recent.map(incidentView)}</section>` : null}
<p class="meta">Updated ${when(page.generatedAt)}. Reload the page for the latest state; the same data is at <a href="/api/status">/api/status</a>.</p>
</main>
<footer class="site-footer"><div class="wrap"><p>Holdfast service status. Orders placed while payments are slow are kept and confirmed once the payment goes through.</p></div></footer>
</body>
</html>
`.value;
}

/**
 * The storefront's banner (a `notice` in the shop's own stylesheet), linking to the status page; role
 * status so screen readers announce it without taking focus.
 */
export function renderStorefrontBanner(banner: StorefrontBanner | null): string {
  if (!banner) return '';
  return html`<div class="notice info status-banner" role="status"><p>${banner.message} <a href="/status">Service status</a></p></div>`.value;
}
