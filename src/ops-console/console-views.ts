// The ops console's pages, server-rendered with the escaping html`...` template. The overview's panels are
// rendered here only: the live stream sends them as HTML fragments (and the charts' readings as numbers),
// so a page without JavaScript and a page kept live show the same markup.
import { html, type SafeHtml } from '../platform/html/html-template.ts';
import { faultDefinition, type FaultState } from '../faults/index.ts';
import type { IncidentDetail, IncidentView } from '../incidents/index.ts';
import { consolePage, csrfField, when } from './console-layout.ts';
import { CHART_COMPONENTS, type ConsoleAlert, type OverviewSnapshot } from './console-overview.ts';

const fixed = (v: number | null, digits: number, unit = '') => (v === null ? '—' : `${v.toFixed(digits)}${unit}`);

export function signInPage(opts: { preCsrf: string; next: string; error?: string | undefined }): string {
  return consolePage({ title: 'Sign in' }, html`
<h1>Sign in to the ops console</h1>
<p>Paste the admin token (<code>HOLDFAST_ADMIN_TOKEN</code>, or the one the shop printed and saved on its first start).
It is exchanged for a session cookie and never shown or put in a URL.</p>
${opts.error ? html`<p class="error" role="alert" id="sign-in-error">${opts.error}</p>` : ''}
<form method="post" action="/ops/sign-in" class="card form">
  ${csrfField(opts.preCsrf)}
  <input type="hidden" name="next" value="${opts.next}">
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required maxlength="500"${opts.error ? html` aria-describedby="sign-in-error"` : ''}>
  <button type="submit">Sign in</button>
</form>
${opts.next !== '/ops' ? html`<p>Signed in already (a link from a notification does not carry the session's strict cookie)? <a href="${opts.next}">Continue to ${opts.next}</a>.</p>` : ''}`);
}

// ---- overview panels (also the live stream's fragments) ----

export const PANEL_NAMES = ['latest', 'slo', 'payments', 'breakers', 'replicas', 'waiting-room', 'alerts', 'incidents'] as const;
export type PanelName = (typeof PANEL_NAMES)[number];

const lastReading = (values: readonly (number | null)[]): number | null => {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i]!;
  return null;
};

/** The charts' latest readings in a table: the numbers behind the lines, for screen readers and at a glance. */
function latestPanel(s: OverviewSnapshot): SafeHtml {
  return html`<table><caption>Latest readings</caption>
<thead><tr><th scope="col">Component</th><th scope="col">Requests/s</th><th scope="col">Error ratio</th><th scope="col">p99</th></tr></thead>
<tbody>${CHART_COMPONENTS.map((c) => {
    const series = s.components[c];
    const p99 = lastReading(series.p99);
    return html`<tr><th scope="row">${c}</th><td>${fixed(lastReading(series.rate), 1)}</td><td>${fixed(lastReading(series.errors), 4)}</td><td>${p99 === null ? '—' : p99 < 1 ? `${(p99 * 1000).toFixed(0)} ms` : `${p99.toFixed(2)} s`}</td></tr>`;
  })}</tbody></table>`;
}

function sloPanel(s: OverviewSnapshot): SafeHtml {
  return html`<table><caption class="visually-hidden">Error-budget burn per journey</caption>
<thead><tr><th scope="col">Journey</th><th scope="col">Objective</th><th scope="col">Target</th><th scope="col">Burn (short window)</th><th scope="col">Alert</th></tr></thead>
<tbody>${s.slo.map((b) => html`<tr><th scope="row">${b.journey}</th><td>${b.objective}</td><td>${(b.target * 100).toFixed(2)} %</td>
<td>${b.burn.toFixed(2)}×</td><td>${b.firing ? html`<span class="bad">firing</span>` : html`<span class="ok">ok</span>`}</td></tr>`)}</tbody></table>`;
}

function paymentsPanel(s: OverviewSnapshot): SafeHtml {
  return html`<dl class="figures"><div><dt>Payment backlog</dt><dd>${s.payments.backlog === null ? '—' : `${s.payments.backlog} jobs`}</dd></div>
<div><dt>Oldest job</dt><dd>${fixed(s.payments.oldestJobAgeSeconds, 1, ' s')}</dd></div></dl>`;
}

function breakersPanel(s: OverviewSnapshot): SafeHtml {
  if (!s.breakers.length) return html`<p class="muted">No payments process reports its breakers yet.</p>`;
  const failover = s.breakers.some((b) => b.state === 'open');
  return html`<ul class="plain">${s.breakers.map((b) => html`<li>${b.provider}: <strong class="${b.state === 'closed' ? 'ok' : 'bad'}">${b.state}</strong></li>`)}</ul>
<p>${failover ? html`<strong class="bad">Failing over</strong>: calls go to the next provider in priority order.` : 'No failover: every breaker is closed or recovering.'}</p>`;
}

function replicasPanel(s: OverviewSnapshot): SafeHtml {
  return html`<table><caption class="visually-hidden">Replicas per role</caption>
<thead><tr><th scope="col">Role</th><th scope="col">Replicas</th><th scope="col">Desired</th><th scope="col">Autoscaled</th></tr></thead>
<tbody>${s.replicas.map((r) => html`<tr><th scope="row">${r.role}</th><td>${r.current}</td><td>${r.desired}</td><td>${r.autoscaled ? 'yes' : 'no'}</td></tr>`)}</tbody></table>`;
}

function waitingRoomPanel(s: OverviewSnapshot): SafeHtml {
  const r = s.waitingRoom;
  if (!r) return html`<p class="muted">Its live counts are kept by the storefront replicas, not in this process (<code>GET /api/ops/waiting-room</code> on a storefront); its settings and the queue-all switch are on the <a href="/ops/waiting-room">Waiting room</a> page.</p>`;
  return html`<dl class="figures"><div><dt>Mode</dt><dd>${r.mode}</dd></div><div><dt>State</dt><dd>${r.state}</dd></div>
<div><dt>Active</dt><dd>${r.activeUsers}</dd></div><div><dt>Queued</dt><dd>${r.queuedUsers}</dd></div>
<div><dt>Estimated wait</dt><dd>${r.estimatedWaitSeconds === null ? '—' : `${r.estimatedWaitSeconds} s`}</dd></div><div><dt>Queue all</dt><dd>${r.queueAll ? 'on' : 'off'}</dd></div></dl>`;
}

export function alertItem(a: ConsoleAlert): SafeHtml {
  return html`<li class="alert ${a.state === 'firing' ? 'firing' : 'resolved'}" data-alert="${a.id}" data-since="${a.since}">
  <h3>${a.name} <span class="tag">${a.state}</span> <span class="tag">${a.severity}</span></h3>
  <p>${a.summary}</p>
  <p class="meta">${a.service} · since ${when(a.since)}${a.resolvedAt ? html` · resolved ${when(a.resolvedAt)}` : ''}</p>
  ${a.rootCause ? html`<p class="root-cause"><strong>Root cause:</strong> ${a.rootCause}</p>` : html`<p class="muted">Root cause: being analysed…</p>`}
  ${a.finding ? html`<details><summary>Evidence (confidence ${a.finding.confidence.toFixed(2)}${a.finding.topCause ? `, ${a.finding.topCause}` : ''})</summary>
    <ul>${a.finding.evidence.map((e) => html`<li>${e}</li>`)}</ul>
    ${a.finding.changes.length ? html`<p>Changes just before:</p><ul class="changes">${a.finding.changes.map((c) => html`<li>${c}</li>`)}</ul>` : html`<p>No change recorded just before.</p>`}
  </details>` : ''}
</li>`;
}

function alertsPanel(s: OverviewSnapshot): SafeHtml {
  if (!s.alerts.length) return html`<p class="muted">No alerts.</p>`;
  return html`<ul class="alerts">${s.alerts.map(alertItem)}</ul>`;
}

function incidentsPanel(s: OverviewSnapshot): SafeHtml {
  if (!s.incidents.length) return html`<p class="muted">No open incident.</p>`;
  return html`<ul class="plain">${s.incidents.map((i) => html`<li data-incident="${i.id}" data-component="${i.component}"><a href="/ops/incidents/${i.id}">${i.title}</a>
  <span class="tag">${i.state}</span> <span class="tag">${i.severity}</span> <span class="meta">${i.component}, ${when(i.triggeredAt)}</span></li>`)}</ul>`;
}

const PANELS: Record<PanelName, (s: OverviewSnapshot) => SafeHtml> = {
  latest: latestPanel, slo: sloPanel, payments: paymentsPanel, breakers: breakersPanel, replicas: replicasPanel, 'waiting-room': waitingRoomPanel,
  alerts: alertsPanel, incidents: incidentsPanel,
};

/** Every panel's HTML for one snapshot (the live stream's fragments). */
export function renderPanels(s: OverviewSnapshot): Record<PanelName, string> {
  return Object.fromEntries(PANEL_NAMES.map((n) => [n, PANELS[n](s).value])) as Record<PanelName, string>;
}

const panel = (name: PanelName, title: string, s: OverviewSnapshot) => html`
<section class="card" aria-labelledby="h-${name}"><h2 id="h-${name}">${title}</h2>
<div data-panel="${name}" aria-live="polite">${PANELS[name](s)}</div></section>`;

const CHARTS = [
  { id: 'rate', title: 'Requests per second' },
  { id: 'errors', title: 'Error ratio' },
  { id: 'p99', title: 'p99 latency (seconds)' },
] as const;

export function overviewPage(s: OverviewSnapshot, frame: { csrf: string; notice?: string | undefined }): string {
  return consolePage({
    title: 'Overview', current: '/ops', csrf: frame.csrf, notice: frame.notice, live: true,
    head: html`<link rel="stylesheet" href="/ops/assets/uplot.min.css"><script src="/ops/assets/uplot.iife.min.js" defer></script>`,
  }, html`
<h1>Overview</h1>
<p class="meta" aria-live="off">Live: updated every second from the control role. <span data-stream-state>Connecting…</span> Last reading <span data-updated>${when(s.at)}</span>.</p>
<section aria-labelledby="h-charts"><h2 id="h-charts">Rate, errors and p99 per component (last 5 minutes)</h2>
<div class="charts">${CHARTS.map((c) => html`<figure class="card chart"><figcaption id="cap-${c.id}">${c.title}: ${CHART_COMPONENTS.join(', ')}</figcaption>
  <div class="chart-box" data-chart="${c.id}" role="img" aria-labelledby="cap-${c.id}"></div></figure>`)}</div>
<div class="card latest" data-panel="latest">${latestPanel(s)}</div>
<div hidden id="overview-data" data-readings="${JSON.stringify({ times: s.times, components: s.components })}"></div>
</section>
<div class="grid">
${panel('alerts', 'Alerts and root causes', s)}
${panel('incidents', 'Open incidents', s)}
${panel('slo', 'SLO burn per journey', s)}
${panel('payments', 'Payments', s)}
${panel('breakers', 'Breakers and failover', s)}
${panel('replicas', 'Replicas per role', s)}
${panel('waiting-room', 'Waiting room', s)}
</div>`);
}

export function alertsPage(s: OverviewSnapshot, frame: { csrf: string }): string {
  return consolePage({ title: 'Alerts', current: '/ops/alerts', csrf: frame.csrf, live: true }, html`
<h1>Alerts</h1>
<p>The control role's SLO burn-rate and fast-degradation alerts, newest first, each with its root-cause finding, the evidence
and the changes recorded just before its signal began. This list follows the live stream.</p>
<div data-panel="alerts" aria-live="polite">${alertsPanel(s)}</div>`);
}

export function incidentsPage(items: IncidentView[], frame: { csrf: string }): string {
  return consolePage({ title: 'Incidents', current: '/ops/incidents', csrf: frame.csrf }, html`
<h1>Incidents</h1>
${items.length ? html`<table><thead><tr><th scope="col">Incident</th><th scope="col">State</th><th scope="col">Severity</th><th scope="col">Component</th><th scope="col">Triggered</th></tr></thead>
<tbody>${items.map((i) => html`<tr><td><a href="/ops/incidents/${i.id}">${i.title}</a></td><td>${i.state}</td><td>${i.severity}</td><td>${i.component}</td><td>${when(i.triggeredAt)}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No incidents yet.</p>`}`);
}

export function incidentPage(i: IncidentDetail, frame: { csrf: string; notice?: string | undefined }): string {
  const open = i.state !== 'resolved';
  return consolePage({ title: i.title, current: '/ops/incidents', csrf: frame.csrf, notice: frame.notice }, html`
<p><a href="/ops/incidents">← Incidents</a></p>
<h1>${i.title}</h1>
<dl class="figures">
  <div><dt>State</dt><dd data-incident-state>${i.state}</dd></div><div><dt>Severity</dt><dd>${i.severity}</dd></div>
  <div><dt>Component</dt><dd>${i.component}</dd></div><div><dt>Owner</dt><dd>${i.owner ?? '—'}</dd></div>
  <div><dt>Triggered</dt><dd>${when(i.triggeredAt)}</dd></div>
  <div><dt>Acknowledged</dt><dd>${i.acknowledgedAt ? html`${when(i.acknowledgedAt)} by ${i.acknowledgedBy ?? '?'}` : '—'}</dd></div>
  <div><dt>Resolved</dt><dd>${when(i.resolvedAt)}</dd></div>
</dl>
${i.rootCause ? html`<p class="root-cause"><strong>Root cause:</strong> ${i.rootCause}</p>` : ''}
<section class="card actions" aria-labelledby="h-actions"><h2 id="h-actions">Respond</h2>
${i.state === 'triggered' ? html`<form method="post" action="/ops/incidents/${i.id}/acknowledge">${csrfField(frame.csrf)}<button type="submit">Acknowledge</button></form>` : ''}
${open ? html`<form method="post" action="/ops/incidents/${i.id}/resolve" class="inline-form">${csrfField(frame.csrf)}
  <label for="reason">Resolution</label><input id="reason" name="reason" maxlength="500" placeholder="What fixed it (optional)">
  <button type="submit">Resolve</button></form>` : html`<p>Resolved.</p>`}
<form method="post" action="/ops/incidents/${i.id}/notes" class="stack-form">${csrfField(frame.csrf)}
  <label for="note">Add a note to the timeline</label><textarea id="note" name="text" required maxlength="2000" rows="3"></textarea>
  <button type="submit">Add note</button></form>
<p><a href="/ops/incidents/${i.id}/postmortem">Postmortem draft</a> (from the incident's record and the measured metrics)</p>
</section>
<section aria-labelledby="h-alerts"><h2 id="h-alerts">Alerts</h2>
${i.alerts.length ? html`<ul class="plain">${i.alerts.map((a) => html`<li><strong>${a.name}</strong> (${a.component}) ${a.state}, fired ${when(a.firedAt)}${a.cause ? html`; cause: ${a.cause}` : ''}</li>`)}</ul>` : html`<p class="muted">None.</p>`}
</section>
<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>
<ol class="timeline">${i.timeline.map((t) => html`<li><span class="meta">${when(t.at)}</span> <span class="tag">${t.kind}</span> ${t.summary}</li>`)}</ol>
</section>
<section aria-labelledby="h-notifications"><h2 id="h-notifications">Notifications</h2>
${i.notifications.length ? html`<ul class="plain">${i.notifications.map((n) => html`<li>${n.channel}: ${n.kind} (${n.transition}) ${n.state}, ${n.attempts} attempt(s)</li>`)}</ul>` : html`<p class="muted">No channel configured or paged.</p>`}
</section>`);
}

interface ParamSchema { type?: string; minimum?: number; maximum?: number; enum?: unknown[]; anyOf?: { const?: unknown }[]; description?: string }

/** A fault's parameters in words (name, type, range, required), and an example that passes its schema. */
function faultParams(name: string): { hints: string[]; example: Record<string, unknown> } {
  const schema = faultDefinition(name)?.schema as { properties?: Record<string, ParamSchema>; required?: string[] } | undefined;
  const required = new Set(schema?.required ?? []);
  const hints: string[] = [];
  const example: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(schema?.properties ?? {})) {
    const choices = p.enum ?? p.anyOf?.map((a) => a.const).filter((c) => c !== undefined);
    const range = p.minimum !== undefined || p.maximum !== undefined ? ` ${p.minimum ?? ''}–${p.maximum ?? ''}` : '';
    hints.push(`${key}: ${choices?.length ? `one of ${choices.join(', ')}` : `${p.type ?? 'value'}${range}`}${required.has(key) ? ' (required)' : ''}`);
    if (required.has(key)) example[key] = choices?.[0] ?? (p.type === 'integer' || p.type === 'number' ? (p.minimum ?? 0) : p.type === 'boolean' ? true : '');
  }
  return { hints, example };
}

export function faultsPage(faults: FaultState[], s: OverviewSnapshot, frame: { csrf: string; notice?: string | undefined }): string {
  return consolePage({ title: 'Faults', current: '/ops/faults', csrf: frame.csrf, notice: frame.notice, live: true }, html`
<h1>Faults for game days</h1>
<p>Inject a fault with its parameters (JSON) and an expiry; every process follows within a second, and the change log records it
(root-cause findings name it). Clear it early, or let it expire. What the shop notices appears below as it happens.</p>
<div class="grid">
${panel('alerts', 'Alerts and root causes', s)}
${panel('incidents', 'Open incidents', s)}
</div>
<h2>Faults</h2>
<ul class="faults">${faults.map((f) => { const params = faultParams(f.name); return html`<li class="card" id="fault-${f.name}">
  <h3>${f.name} ${f.active ? html`<span class="tag bad">active</span>` : html`<span class="tag">off</span>`}</h3>
  <p>${f.description}</p><p class="meta">Affects: ${f.affects.join(', ')}</p>
  ${f.active ? html`<p>Parameters <code>${JSON.stringify(f.params)}</code>, expires ${when(f.expiresAt)}</p>
    <form method="post" action="/ops/faults/${f.name}/clear">${csrfField(frame.csrf)}<button type="submit">Clear ${f.name}</button></form>` : ''}
  <form method="post" action="/ops/faults/${f.name}" class="stack-form">${csrfField(frame.csrf)}
    <label for="params-${f.name}">Parameters (JSON object)</label>
    ${params.hints.length ? html`<p class="meta" id="hint-${f.name}">${params.hints.join('; ')}</p>` : ''}
    <textarea id="params-${f.name}" name="params" rows="2" maxlength="2000"${params.hints.length ? html` aria-describedby="hint-${f.name}"` : ''}>${JSON.stringify(f.active ? f.params : params.example)}</textarea>
    <label for="ttl-${f.name}">Expires after (seconds)</label>
    <input id="ttl-${f.name}" name="ttlSeconds" type="number" min="1" max="604800" value="600" required>
    <button type="submit">Inject ${f.name}</button>
  </form>
</li>`; })}</ul>`);
}
