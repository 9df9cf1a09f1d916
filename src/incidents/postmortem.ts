// The postmortem draft, in the format of the postmortem Holdfast was built from: Issue Summary (duration,
// start, end), Impact, Root Cause, Timeline, Root Cause and Resolution, Corrective and Preventative
// Measures (a list to complete), with charts of the key signals over the incident and the change events
// marked. Every figure carries where it came from; a figure that is not known is shown as missing with
// the reason, never estimated. Markdown (charts as separate .svg files it links to) and HTML (charts
// inline). Pure: the caller gathers the records and measurements.
import { html, trustedHtml, type SafeHtml } from '../platform/html/html-template.ts';
import type { IncidentSeverity } from './channels/notification.ts';
import { elapsedText } from './channels/notification.ts';
import { incidentChartSvg, numberedMarkers, SERIES_COLOURS, type ChartMarker } from './incident-charts.ts';

/** A value and where it came from, or why there is none. */
export type Sourced<T> = { value: T; source: string } | { missing: string };

/** A share: how many of how many, and where both counts came from. */
export type ShareFigure = { affected: number; total: number; unit: string; source: string } | { missing: string };

export interface PostmortemEvent {
  at: string;
  /** triggered, alert.firing, rca, notification, escalation, acknowledged, note, change, resolved, ... */
  kind: string;
  summary: string;
}

export type SignalInput =
  | { title: string; unit: string; source: string; series: { name: string; points: readonly (readonly [number, number | null])[] }[] }
  | { title: string; missing: string };

export interface PostmortemInput {
  incident: {
    id: string;
    title: string;
    severity: IncidentSeverity;
    component: string;
    triggeredAt: string;
    acknowledgedAt: string | null;
    acknowledgedBy: string | null;
    resolvedAt: string | null;
  };
  /** when the impact began and ended (e.g. the fault's change events), else the incident's own times */
  start: Sourced<string>;
  end: Sourced<string>;
  impact: { shoppers: ShareFigure; orders: ShareFigure; other?: { label: string; figure: Sourced<string> }[] };
  rootCause: Sourced<string>;
  resolution: Sourced<string>;
  /** the incident's timeline (alerts, findings, notifications, escalations, acknowledgement, notes) */
  timeline: PostmortemEvent[];
  /** change events around the incident: listed in the timeline and marked on every chart */
  changes: PostmortemEvent[];
  signals: SignalInput[];
  /** known follow-ups; the draft adds empty items to complete */
  measures?: { item: string; owner?: string }[];
  generatedAt: string;
}

export interface PostmortemChart {
  file: string;
  title: string;
  svg: string;
  source: string;
  /** the numbered markers on this chart */
  legend: { n: number; label: string }[];
}

const utc = (iso: string) => `${new Date(iso).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
const hms = (iso: string) => new Date(iso).toISOString().slice(11, 19);
const isKnown = <T>(f: Sourced<T>): f is { value: T; source: string } => 'value' in f;

/** "+1:05" from the start (or "-0:04" before it). */
function sinceStart(iso: string, start: string | null): string {
  if (start === null) return '';
  const s = Math.round((Date.parse(iso) - Date.parse(start)) / 1000);
  const a = Math.abs(s);
  return `${s < 0 ? '-' : '+'}${Math.floor(a / 60)}:${String(a % 60).padStart(2, '0')}`;
}

export function shareText(f: ShareFigure): string {
  if ('missing' in f) return `missing: ${f.missing}`;
  if (!(f.total > 0)) return `missing: no ${f.unit} were counted in the window (source: ${f.source})`;
  const pct = (100 * f.affected) / f.total;
  return `${pct.toFixed(1)}% (${f.affected.toLocaleString('en-US')} of ${f.total.toLocaleString('en-US')} ${f.unit}; source: ${f.source})`;
}

const sourcedText = (f: Sourced<string>) => (isKnown(f) ? `${f.value} (source: ${f.source})` : `missing: ${f.missing}`);

interface Model {
  title: string;
  start: string | null;
  end: string | null;
  duration: string;
  facts: [string, string][];
  summary: string;
  impact: [string, string][];
  rootCause: string;
  resolution: string;
  events: { at: string; since: string; kind: string; summary: string }[];
  charts: PostmortemChart[];
  missingCharts: { title: string; reason: string }[];
  measures: { item: string; owner?: string }[];
}

function model(input: PostmortemInput): Model {
  const inc = input.incident;
  const start = isKnown(input.start) ? input.start.value : null;
  const end = isKnown(input.end) ? input.end.value : null;
  const duration = start && end ? `${elapsedText(start, end)} (source: the end minus the start, below)`
    : `missing: ${[!isKnown(input.start) && `the start is missing (${input.start.missing})`, !isKnown(input.end) && `the end is missing (${input.end.missing})`].filter(Boolean).join('; ')}`;
  const facts: [string, string][] = [
    ['Duration', duration],
    ['Start', isKnown(input.start) ? `${utc(input.start.value)} (source: ${input.start.source})` : `missing: ${input.start.missing}`],
    ['End', isKnown(input.end) ? `${utc(input.end.value)} (source: ${input.end.source})` : `missing: ${input.end.missing}`],
    ['Incident', `${inc.id}, ${inc.severity}, component ${inc.component}; triggered ${utc(inc.triggeredAt)}`
      + `${inc.acknowledgedAt ? `, acknowledged ${utc(inc.acknowledgedAt)}${inc.acknowledgedBy ? ` by ${inc.acknowledgedBy}` : ''}` : ', never acknowledged'}`
      + `${inc.resolvedAt ? `, resolved ${utc(inc.resolvedAt)}` : ', not resolved yet'} (source: the incident record)`],
  ];
  const detected = start ? elapsedText(start, inc.triggeredAt) : null;
  const summary = `${inc.title}. `
    + (start && end ? `From ${hms(start)} to ${hms(end)} UTC (${elapsedText(start, end)}), ${inc.component} was affected. ` : '')
    + (detected && Date.parse(inc.triggeredAt) >= Date.parse(start!) ? `The incident was opened ${detected} after the start. ` : '')
    + (isKnown(input.rootCause) ? `Root cause: ${input.rootCause.value}.` : 'The root cause is not recorded yet.');
  const impact: [string, string][] = [
    ['Shoppers affected', shareText(input.impact.shoppers)],
    ['Orders affected', shareText(input.impact.orders)],
    ...(input.impact.other ?? []).map((o): [string, string] => [o.label, sourcedText(o.figure)]),
  ];
  const events = [...input.timeline, ...input.changes.map((c) => ({ ...c, kind: `change: ${c.kind}` }))]
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((e) => ({ at: e.at, since: sinceStart(e.at, start), kind: e.kind, summary: e.summary }));
  const markers: ChartMarker[] = [
    ...input.changes.map((c) => ({ at: Date.parse(c.at), label: `${hms(c.at)} ${c.summary}`, kind: 'change' as const })),
    { at: Date.parse(inc.triggeredAt), label: `${hms(inc.triggeredAt)} incident triggered`, kind: 'incident' },
    ...(inc.acknowledgedAt ? [{ at: Date.parse(inc.acknowledgedAt), label: `${hms(inc.acknowledgedAt)} acknowledged`, kind: 'incident' as const }] : []),
    ...(inc.resolvedAt ? [{ at: Date.parse(inc.resolvedAt), label: `${hms(inc.resolvedAt)} resolved`, kind: 'incident' as const }] : []),
  ];
  // The charts show the incident with a margin either side, so the "before" is visible.
  const from0 = Date.parse(start ?? inc.triggeredAt);
  const to0 = Date.parse(end ?? inc.resolvedAt ?? input.generatedAt);
  const margin = Math.max(60_000, (to0 - from0) * 0.25);
  const window = { from: from0, to: to0 };
  const charts: PostmortemChart[] = [];
  const missingCharts: { title: string; reason: string }[] = [];
  input.signals.forEach((signal) => {
    if ('missing' in signal) { missingCharts.push({ title: signal.title, reason: signal.missing }); return; }
    const hasData = signal.series.some((s) => s.points.some(([t, v]) => v !== null && t >= from0 - margin && t <= to0 + margin));
    if (!hasData) { missingCharts.push({ title: signal.title, reason: `no readings between ${utc(new Date(from0 - margin).toISOString())} and ${utc(new Date(to0 + margin).toISOString())} (source: ${signal.source})` }); return; }
    const chart = { title: signal.title, unit: signal.unit, from: from0 - margin, to: to0 + margin, window, markers,
      series: signal.series.map((s, i) => ({ name: s.name, colour: SERIES_COLOURS[i % SERIES_COLOURS.length]!, points: s.points })) };
    charts.push({
      file: `postmortem-${inc.id}-${charts.length + 1}.svg`, title: signal.title, svg: incidentChartSvg(chart), source: signal.source,
      legend: numberedMarkers(markers).filter((m) => m.at >= chart.from && m.at <= chart.to).map((m) => ({ n: m.n, label: m.label })),
    });
  });
  return {
    title: inc.title, start, end, duration, facts, summary, impact,
    rootCause: sourcedText(input.rootCause), resolution: sourcedText(input.resolution),
    events, charts, missingCharts, measures: input.measures ?? [],
  };
}

const PREAMBLE = 'Draft written by Holdfast from the incident record and the recorded metrics. Every figure says where it came from; a figure that is not known says why. Complete and edit it before publishing.';
const TO_COMPLETE = 3;

/** Markdown table cells: one line, no pipes. */
const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

export function renderPostmortemMarkdown(input: PostmortemInput): { markdown: string; charts: PostmortemChart[] } {
  const m = model(input);
  const lines: string[] = [
    `# Postmortem: ${m.title}`, '', `_${PREAMBLE} Generated ${utc(input.generatedAt)}._`, '',
    '## Issue Summary', '', ...m.facts.map(([k, v]) => `- **${k}:** ${v}`), '', m.summary, '',
    '## Impact', '', ...m.impact.map(([k, v]) => `- **${k}:** ${v}`), '',
    '## Root Cause', '', m.rootCause, '',
    '## Timeline', '', 'All times UTC; "since start" counts from the start above.', '',
    '| Time | Since start | What | Event |', '|---|---|---|---|',
    ...m.events.map((e) => `| ${hms(e.at)} | ${e.since} | ${cell(e.kind)} | ${cell(e.summary)} |`), '',
  ];
  if (m.charts.length || m.missingCharts.length) {
    lines.push('### Key signals', '');
    for (const c of m.charts) {
      lines.push(`![${c.title}](${c.file})`, '', `_Source: ${c.source}. Shaded: the incident, from the start to the end above. Marked: ${c.legend.map((l) => `${l.n}: ${l.label}`).join('; ')}._`, '');
    }
    for (const c of m.missingCharts) lines.push(`- **${c.title}:** chart missing: ${c.reason}`);
    if (m.missingCharts.length) lines.push('');
  }
  lines.push('## Root Cause and Resolution', '', `**Root cause:** ${m.rootCause}`, '', `**Resolution:** ${m.resolution}`, '',
    '## Corrective and Preventative Measures', '',
    ...m.measures.map((x) => `- [ ] ${x.item}${x.owner ? ` (owner: ${x.owner})` : ' (owner: to assign)'}`),
    ...Array.from({ length: TO_COMPLETE }, () => '- [ ] _to complete_'), '');
  return { markdown: lines.join('\n'), charts: m.charts };
}

const STYLE = trustedHtml(`<style>
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1c2826; background: #f6f5f1; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.75rem; line-height: 1.2; } h2 { margin-top: 2rem; font-size: 1.3rem; }
.draft { color: #5b6764; font-style: italic; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
.missing { color: #9a5b00; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: .92rem; }
th, td { border: 1px solid #dedbd2; padding: .35rem .5rem; text-align: left; vertical-align: top; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
figure { margin: 1.25rem 0; background: #fff; border: 1px solid #dedbd2; border-radius: 10px; padding: .75rem; }
figcaption { font-size: .9rem; color: #5b6764; } figcaption ol { margin: .25rem 0 0; padding-left: 1.5rem; }
ul.todo { list-style: none; padding-left: 0; } ul.todo li::before { content: "☐ "; }
</style>`);

/** A figure's text, with "missing: ..." marked so the eye finds what is still to be found out. */
const figure = (text: string): SafeHtml => (text.startsWith('missing:') ? html`<span class="missing">${text}</span>` : html`${text}`);

export function renderPostmortemHtml(input: PostmortemInput): string {
  const m = model(input);
  const pairs = (list: [string, string][]) => html`<dl>${list.map(([k, v]) => html`<dt>${k}</dt><dd>${figure(v)}</dd>`)}</dl>`;
  return html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Postmortem: ${m.title}</title>${STYLE}</head>
<body><main>
<h1>Postmortem: ${m.title}</h1>
<p class="draft">${PREAMBLE} Generated ${utc(input.generatedAt)}.</p>
<h2>Issue Summary</h2>
${pairs(m.facts)}
<p>${m.summary}</p>
<h2>Impact</h2>
${pairs(m.impact)}
<h2>Root Cause</h2>
<p>${figure(m.rootCause)}</p>
<h2>Timeline</h2>
<table><caption class="draft">All times UTC; "since start" counts from the start above.</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Since start</th><th scope="col">What</th><th scope="col">Event</th></tr></thead>
<tbody>${m.events.map((e) => html`<tr><td class="time"><time datetime="${e.at}">${hms(e.at)}</time></td><td class="time">${e.since}</td><td>${e.kind}</td><td>${e.summary}</td></tr>`)}</tbody>
</table>
${m.charts.length || m.missingCharts.length ? html`<h3>Key signals</h3>
${m.charts.map((c) => html`<figure>${trustedHtml(c.svg)}<figcaption>Source: ${c.source}. Shaded: the incident, from the start to the end above.<ol>${c.legend.map((l) => html`<li value="${l.n}">${l.label}</li>`)}</ol></figcaption></figure>`)}
${m.missingCharts.length ? html`<ul>${m.missingCharts.map((c) => html`<li><strong>${c.title}:</strong> <span class="missing">chart missing: ${c.reason}</span></li>`)}</ul>` : null}` : null}
<h2>Root Cause and Resolution</h2>
<p><strong>Root cause:</strong> ${figure(m.rootCause)}</p>
<p><strong>Resolution:</strong> ${figure(m.resolution)}</p>
<h2>Corrective and Preventative Measures</h2>
<ul class="todo">${m.measures.map((x) => html`<li>${x.item} (owner: ${x.owner ?? 'to assign'})</li>`)}${Array.from({ length: TO_COMPLETE }, () => html`<li><em>to complete</em></li>`)}</ul>
</main></body>
</html>
`.value;
}
