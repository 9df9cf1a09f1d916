// The ops console's pages for running the shop: the autoscaler's decisions, the waiting room's settings
// (changed live, and the queue-all switch), the status page's components, and the payments that wait: orders
// pending payment and the dead-letter queue with retry. Server-rendered; every form carries the CSRF token.
import { html } from '../platform/html/html-template.ts';
import type { ScalingStatus } from '../autoscaler/index.ts';
import { COMPONENT_STATUSES, type StatusPage } from '../incidents/index.ts';
import type { CapacityRun } from '../capacity/index.ts';
import type { Order } from '../orders/index.ts';
import type { DeadLetter } from '../payments/index.ts';
import type { WaitingRoomSettings, WaitingRoomStatus } from '../waiting-room/index.ts';
import { consolePage, csrfField, when } from './console-layout.ts';

const words = (s: string) => s.replaceAll('_', ' ');

export function scalingPage(status: ScalingStatus, frame: { csrf: string }): string {
  return consolePage({ title: 'Scaling', current: '/ops/scaling', csrf: frame.csrf }, html`
<h1>Scaling decisions</h1>
<p>The autoscaler computes each role's replicas as the Kubernetes HPA would, every ${status.intervalSeconds} s
(last run ${when(status.lastRunAt)}). ${status.supervised ? 'Decisions are applied by the supervisor of holdfast start --autoscale.' : 'Nothing applies them here: this shop is not run by the supervisor (holdfast start --autoscale) or Kubernetes reads them.'}</p>
${status.connectionBudget ? html`<p>Database connections: ${status.connectionBudget.used} of a budget of ${status.connectionBudget.budget} (max ${status.connectionBudget.maxConnections}, ${status.connectionBudget.reserve} reserved).</p>` : ''}
${status.roles.map((r) => html`<section class="card" aria-labelledby="h-role-${r.role}">
<h2 id="h-role-${r.role}">${r.role}: ${r.current} replica${r.current === 1 ? '' : 's'}${r.desired !== r.current ? html`, desired ${r.desired}` : ''}</h2>
<p class="meta">Between ${r.min} and ${r.max}; ${r.autoscaled ? 'autoscaled' : 'not autoscaled'}${r.limitedBy ? html`; limited: ${r.limitedBy.message}` : ''}</p>
${r.metrics.length ? html`<table><caption>Metrics</caption><thead><tr><th scope="col">Metric</th><th scope="col">Current</th><th scope="col">Target</th></tr></thead>
<tbody>${r.metrics.map((m) => html`<tr><th scope="row">${m.name}</th><td>${m.current === null ? '—' : m.current.toPrecision(3)}</td><td>${JSON.stringify(m.target)}</td></tr>`)}</tbody></table>` : ''}
${r.decisions.length ? html`<table><caption>Decisions, newest first</caption><thead><tr><th scope="col">At</th><th scope="col">Replicas</th><th scope="col">Direction</th><th scope="col">Why</th><th scope="col">Applied</th></tr></thead>
<tbody>${[...r.decisions].reverse().map((d) => html`<tr><td>${when(d.at)}</td><td>${d.current} → ${d.desired}</td><td>${d.direction}</td><td>${d.limitedBy.message}</td><td>${d.applied ? 'yes' : 'no'}</td></tr>`)}</tbody></table>` : html`<p class="muted">No decision yet.</p>`}
</section>`)}`);
}

export function waitingRoomPage(settings: WaitingRoomSettings, live: WaitingRoomStatus | undefined, frame: { csrf: string; notice?: string | undefined }): string {
  const modes = ['off', 'on', 'auto'] as const;
  return consolePage({ title: 'Waiting room', current: '/ops/waiting-room', csrf: frame.csrf, notice: frame.notice }, html`
<h1>Waiting room</h1>
<p>Changes are stored for every storefront replica, which follows within a synchronisation (about a second), and recorded in the
change log. See docs/surge-protection.md for what each setting does.</p>
${live ? html`<dl class="figures"><div><dt>State</dt><dd>${live.state}</dd></div><div><dt>Active shoppers</dt><dd>${live.activeUsers}</dd></div>
<div><dt>Queued</dt><dd>${live.queuedUsers}</dd></div><div><dt>Let in (last minute)</dt><dd>${live.admittedLastMinute}</dd></div>
<div><dt>Estimated wait</dt><dd>${live.estimatedWaitSeconds === null ? '—' : `${live.estimatedWaitSeconds} s`}</dd></div></dl>`
    : html`<p class="muted">The room's live counts are kept by the storefront replicas (GET /api/ops/waiting-room on a storefront); its settings are below.</p>`}
<section class="card" aria-labelledby="h-queue-all"><h2 id="h-queue-all">Queue-all switch</h2>
<p>Queue all is <strong>${settings.queueAll ? 'on: nobody new is let in' : 'off'}</strong>. It is an emergency stop: shoppers already in stay in.</p>
<form method="post" action="/ops/waiting-room">${csrfField(frame.csrf)}<input type="hidden" name="queueAll" value="${settings.queueAll ? 'false' : 'true'}">
<button type="submit">${settings.queueAll ? 'Let shoppers in again' : 'Queue everyone new'}</button></form>
</section>
<section class="card" aria-labelledby="h-room-settings"><h2 id="h-room-settings">Settings</h2>
<form method="post" action="/ops/waiting-room" class="stack-form">${csrfField(frame.csrf)}
  <fieldset><legend>Mode</legend>${modes.map((m) => html`<label class="choice"><input type="radio" name="mode" value="${m}"${settings.mode === m ? html` checked` : ''}> ${m}</label> `)}</fieldset>
  <label for="total-active">Shoppers in the shop at once at most</label>
  <input id="total-active" name="totalActiveUsers" type="number" min="1" required value="${settings.totalActiveUsers}">
  <label for="new-per-minute">Shoppers let in per minute at most</label>
  <input id="new-per-minute" name="newUsersPerMinute" type="number" min="1" required value="${settings.newUsersPerMinute}">
  <button type="submit">Save settings</button>
</form></section>`);
}

const rate = (v: number | null) => (v === null ? 'below the first step' : `${Number(v.toFixed(v >= 10 ? 1 : 2))} journeys/s`);

/** The capacity history: each recorded `holdfast loadtest capacity --record` run, newest first, regressions marked. */
export function capacityPage(runs: CapacityRun[], frame: { csrf: string }): string {
  const regressions = runs.filter((r) => r.comparison?.regression).length;
  return consolePage({ title: 'Capacity', current: '/ops/capacity', csrf: frame.csrf }, html`
<h1>Capacity history</h1>
<p>Each run of <code>holdfast loadtest capacity --record</code>, newest first: the highest rate that met the SLO, per
storefront replica, compared with the previous comparable run (same scenario, target, SLO and step length). A drop
of more than 10% per replica is a regression, with both bottlenecks named. <code>holdfast readiness --peak N</code>
judges a forecast peak against the latest run (docs/loadtest.md).</p>
${runs.length ? html`<p>${runs.length} run${runs.length === 1 ? '' : 's'} shown; ${regressions ? html`<strong>${regressions} regression${regressions === 1 ? '' : 's'}</strong>` : 'no regression'}.</p>
<div class="table-scroll" tabindex="0" role="region" aria-label="Capacity runs"><table><thead><tr><th scope="col">Recorded</th><th scope="col">Scenario</th><th scope="col">Capacity</th><th scope="col">Replicas</th><th scope="col">Version</th><th scope="col">First bottleneck</th><th scope="col">Against the previous run</th></tr></thead>
<tbody>${runs.map((r) => html`<tr data-capacity-run="${String(r.id)}"${r.comparison?.regression ? html` class="regression"` : ''}><td>${when(r.recordedAt)}</td><td>${r.scenario}</td><td>${rate(r.sustainableRate)}</td><td>${String(r.replicas)}</td><td>${r.version}</td>
<td>${r.bottleneck?.message ?? '—'}</td><td>${r.comparison ? html`${r.comparison.regression ? html`<strong>Regression:</strong> ` : ''}${r.comparison.message}` : 'first comparable run'}</td></tr>`)}</tbody></table></div>` : html`<p class="muted">No run recorded yet: <code>holdfast loadtest capacity --target-url &lt;shop&gt; --record</code> records one.</p>`}`);
}

export function statusComponentsPage(page: StatusPage, frame: { csrf: string; notice?: string | undefined }): string {
  const manual = page.components.filter((c) => c.source === 'manual');
  return consolePage({ title: 'Status page', current: '/ops/status', csrf: frame.csrf, notice: frame.notice }, html`
<h1>Status page components</h1>
<p>What the public <a href="/status">status page</a> shows now (the storefront role serves it): ${page.overall.text}.
Each component's state follows the SLO burns and the open incidents unless it is set by hand; the reasons are for operators only.</p>
<table><thead><tr><th scope="col">Component</th><th scope="col">State</th><th scope="col">Set</th><th scope="col">Why</th></tr></thead>
<tbody>${page.components.map((c) => html`<tr data-component="${c.name}"><th scope="row">${words(c.name)}</th><td>${words(c.status)}</td>
<td>${c.source === 'manual' ? html`by hand${c.until ? html`, until ${when(c.until)}` : ', until cleared'}` : 'automatically'}</td><td>${c.reasons.join('; ') || '—'}</td></tr>`)}</tbody></table>
<section class="card" aria-labelledby="h-override"><h2 id="h-override">Set a component by hand</h2>
<p class="muted">For planned maintenance or an outage the signals cannot see. The state wins over the automatic one until it
ends or is cleared; setting and clearing are change events. The public page shows the state, never the reason.</p>
<form method="post" action="/ops/status/override" class="stack-form" data-override-form>${csrfField(frame.csrf)}
  <label for="override-component">Component</label>
  <select id="override-component" name="component" required>${page.components.map((c) => html`<option value="${c.name}">${words(c.name)}</option>`)}</select>
  <label for="override-status">State</label>
  <select id="override-status" name="status" required>${COMPONENT_STATUSES.map((st) => html`<option value="${st}">${words(st)}</option>`)}</select>
  <label for="override-reason">Reason (operators only)</label>
  <input id="override-reason" name="reason" required maxlength="500">
  <label for="override-minutes">For how many minutes (empty: until cleared)</label>
  <input id="override-minutes" name="durationMinutes" type="number" min="1" max="43200">
  <button type="submit">Set by hand</button>
</form>
${manual.map((c) => html`<form method="post" action="/ops/status/override/clear">${csrfField(frame.csrf)}<input type="hidden" name="component" value="${c.name}">
<button type="submit">Hand ${words(c.name)} back to automatic</button></form>`)}
</section>`);
}

/** `dead`: the dead letters listed (the oldest, up to the queue's listing limit) and how many there are in all. */
export function paymentsPage(pending: Order[], counts: Record<string, number>, { shown: dead, total: deadTotal }: { shown: DeadLetter[]; total: number }, frame: { csrf: string; notice?: string | undefined }): string {
  return consolePage({ title: 'Payments', current: '/ops/payments', csrf: frame.csrf, notice: frame.notice }, html`
<h1>Payments</h1>
<section aria-labelledby="h-pending"><h2 id="h-pending">Orders pending payment (${counts.pending_payment ?? 0})</h2>
${pending.length ? html`<table><thead><tr><th scope="col">Order</th><th scope="col">Placed</th><th scope="col">Total</th><th scope="col">Payment method</th></tr></thead>
<tbody>${pending.map((o) => html`<tr><td>#${o.number} <span class="meta">${o.id}</span></td><td>${when(o.createdAt)}</td><td>${(o.total.amount / 100).toFixed(2)} ${o.total.currency}</td><td>${o.paymentMethod}</td></tr>`)}</tbody></table>
${(counts.pending_payment ?? 0) > pending.length ? html`<p class="meta">The newest ${pending.length} are shown.</p>` : ''}` : html`<p class="muted">None: every order placed has been settled.</p>`}
</section>
<section aria-labelledby="h-dead"><h2 id="h-dead">Dead-letter queue (${deadTotal})</h2>
<p>Payment jobs that exhausted their retries. Retrying puts the order back on the payment queue; its attempt's idempotency key keeps a customer from being charged twice.</p>
${dead.length ? html`<table><thead><tr><th scope="col">Order</th><th scope="col">Dead since</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
<tbody>${dead.map((d) => html`<tr><td>${d.orderId}</td><td>${when(d.createdAt)}</td><td><code>${JSON.stringify(d.lastError ?? null).slice(0, 200)}</code></td>
<td><form method="post" action="/ops/payments/dead-letters/${d.id}/retry">${csrfField(frame.csrf)}<button type="submit" aria-label="Retry the payment of order ${d.orderId}">Retry</button></form></td></tr>`)}</tbody></table>
${deadTotal > dead.length ? html`<p class="meta">The oldest ${dead.length} are shown.</p>` : ''}`
    : html`<p class="muted">Empty.</p>`}
</section>`);
}
