// The HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched), readable
// from a phone to a wide screen without the page scrolling sideways, with the
// verdict first, then the run over time (rate, latency, errors, concurrency) and the tables a reader
// needs to act on it (per step, thresholds, checks, errors, the run's configuration).
import { formatDuration, formatMs, formatNumber, formatPercent } from './load-units.ts';
import type { RunResult } from './run-result.ts';
import { describeLoad } from './run-summary.ts';
import { lineChartSvg, type LineChart } from './svg-charts.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const COLOURS = {
  rate: '#2563eb', started: '#0d9488', planned: '#6b7280', p50: '#16a34a', p90: '#ca8a04', p99: '#dc2626', max: '#7c3aed',
  status: '#dc2626', timeout: '#ea580c', connection: '#7c2d12', dropped: '#9333ea', inFlight: '#2563eb', active: '#0d9488',
};

/**
 * A step's name or URL, escaped, with line-break opportunities after its separators (`/`, `?`, `&`, `=`),
 * so a long one wraps where a reader would split it rather than widening its table or breaking mid-word.
 */
export function breakable(s: string): string {
  return esc(s).replace(/(\/+|\?|&amp;|=)/g, '$1<wbr>');
}

/**
 * A table in a container of its own that scrolls sideways when the table cannot fit (many columns on a
 * phone), so the page itself never does. The container is focusable and named, so a keyboard can scroll it.
 */
function table(headers: string[], rows: string[][], numericFrom = 1, cls = '', label = ''): string {
  const th = headers.map((h, i) => `<th${i >= numericFrom ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${i >= numericFrom ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('');
  const region = label ? ` role="region" aria-label="${esc(label)}" tabindex="0"` : '';
  return `<div class="table-wrap"${region}><table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function stageBands(r: RunResult): [number, number, string][] {
  const load = r.load;
  if (load.executor !== 'ramping-arrival-rate' && load.executor !== 'ramping-vus') return [];
  const bands: [number, number, string][] = [];
  let t = 0;
  let from = load.executor === 'ramping-arrival-rate' ? load.startRate : load.startVUs;
  const unit = load.executor === 'ramping-arrival-rate' ? '/s' : ' VUs';
  load.stages.forEach((s, i) => {
    const label = s.target === from ? `hold ${formatNumber(s.target, 1)}${unit}` : `${s.target > from ? 'ramp up' : 'ramp down'} to ${formatNumber(s.target, 1)}${unit}`;
    if (i % 2 === 1) bands.push([t, t + s.duration, label]);
    t += s.duration;
    from = s.target;
  });
  return bands;
}

/** The x axis every chart of a run shares: from the schedule's start to its planned end or the last point. */
function runXMax(r: RunResult): number {
  const pts = r.series;
  return Math.max(r.plannedSec, pts.length ? pts[pts.length - 1]!.t + pts[pts.length - 1]!.width : 1);
}

const SERVER_COLOURS = ['#2563eb', '#dc2626', '#0d9488', '#ca8a04', '#7c3aed', '#ea580c', '#16a34a', '#6b7280', '#db2777', '#0891b2'];

/** The server-side panels, on the client charts' time axis; none when the target's metrics were not read. */
export function serverCharts(r: RunResult): LineChart[] {
  const s = r.server;
  if (!s?.available) return [];
  // The client charts' axis exactly: scrapes during the graceful stop, past the schedule, are left out.
  const xMax = runXMax(r);
  const keep = s.t.map((t) => t >= 0 && t <= xMax);
  const kept = <T,>(values: T[]) => values.filter((_, i) => keep[i]);
  const chart = (id: string, title: string, unit: string, series: { name: string; values: (number | null)[] }[], dashed: (name: string) => boolean = () => false): LineChart => ({
    id, title, unit, x: kept(s.t), xMax, bands: stageBands(r),
    series: series.map((x, i) => ({ name: x.name, values: kept(x.values), colour: SERVER_COLOURS[i % SERVER_COLOURS.length]!, dashed: dashed(x.name) })),
  });
  return [
    chart('server-cpu', 'Server: CPU per role', 'cores busy', s.cpu),
    chart('server-pools', 'Server: database pools', 'connections', s.pools, (n) => n.endsWith(' size')),
    chart('server-queue-depth', 'Server: payment queue depth', 'jobs', s.queueDepth),
    chart('server-queue-age', 'Server: oldest unfinished payment job', 'seconds', s.queueOldestAgeSec),
    chart('server-breakers', 'Server: payment breakers', '0 closed, 1 half-open, 2 open', s.breakers),
  ];
}

function serverSection(r: RunResult): string {
  const s = r.server;
  const head = '<h2>Server side</h2>';
  if (!s) return `${head}<p class="sub">The target's metrics were not sampled during this run.</p>`;
  const notes = s.notes.map((n) => `<div class="note">Note: ${esc(n)}</div>`).join('\n');
  if (!s.available) return `${head}\n${notes || `<div class="note">No metrics from ${esc(s.sources.join(', '))}: no server-side panels.</div>`}`;
  const panels = serverCharts(r).map((c) => `<div class="panel">${c.series.length ? lineChartSvg(c) : `<p class="sub"><b>${esc(c.title)}</b>: not in the target's metrics (a role that does not run here, or not a Holdfast shop).</p>`}</div>`);
  return `${head}\n<p class="sub">From ${esc(s.sources.join(', '))}, scraped every second of the run, on the same time axis as the charts above.</p>\n${notes}\n${panels.join('\n')}`;
}

export function charts(r: RunResult): LineChart[] {
  const pts = r.series;
  const x = pts.map((p) => p.t + p.width / 2);
  const xMax = runXMax(r);
  const perSec = (f: (p: RunResult['series'][number]) => number) => pts.map((p) => f(p) / p.width);
  const bands = stageBands(r);
  const open = r.model === 'open';
  const latencies = pts.flatMap((p) => [p.p50, p.max]).filter((v): v is number => v !== null);
  const p50s = pts.map((p) => p.p50).filter((v): v is number => v !== null).sort((a, b) => a - b);
  const medianP50 = p50s[Math.floor(p50s.length / 2)] ?? 1;
  const log = latencies.length > 0 && Math.max(...latencies) / Math.max(0.01, medianP50) > 50;
  const out: LineChart[] = [
    {
      id: 'chart-rate', title: 'Throughput: requests completed per second', unit: 'per second', x, xMax, bands,
      series: [
        { name: 'requests/s', colour: COLOURS.rate, values: perSec((p) => p.responses), fill: true },
        { name: 'iterations started/s', colour: COLOURS.started, values: perSec((p) => p.started) },
        ...(open ? [{ name: 'planned arrivals/s', colour: COLOURS.planned, values: pts.map((p) => p.planned), dashed: true }] : []),
      ],
    },
    {
      id: 'chart-latency', title: `Latency from scheduled start${log ? ' (log scale)' : ''}`, unit: 'ms', x, xMax, bands, log,
      series: [
        { name: 'p50', colour: COLOURS.p50, values: pts.map((p) => p.p50) },
        { name: 'p90', colour: COLOURS.p90, values: pts.map((p) => p.p90) },
        { name: 'p99', colour: COLOURS.p99, values: pts.map((p) => p.p99) },
        { name: 'max', colour: COLOURS.max, values: pts.map((p) => p.max), dashed: true },
      ],
    },
    {
      id: 'chart-errors', title: 'Errors and dropped iterations per second', unit: 'per second', x, xMax, bands,
      series: [
        { name: 'status', colour: COLOURS.status, values: perSec((p) => p.errors.status) },
        { name: 'timeout', colour: COLOURS.timeout, values: perSec((p) => p.errors.timeout) },
        { name: 'connection', colour: COLOURS.connection, values: perSec((p) => p.errors.connection) },
        ...(open ? [{ name: 'dropped iterations', colour: COLOURS.dropped, values: perSec((p) => p.dropped), dashed: true }] : []),
      ],
    },
    {
      id: 'chart-concurrency', title: open ? 'Concurrency: requests and iterations in flight (queue of the run)' : 'Concurrency: active virtual users and requests in flight',
      unit: 'in flight', x, xMax, bands,
      series: [
        { name: 'requests in flight', colour: COLOURS.inFlight, values: pts.map((p) => p.inFlight) },
        { name: open ? 'iterations in flight' : 'active VUs', colour: COLOURS.active, values: pts.map((p) => p.active) },
        ...(!open ? [{ name: 'planned VUs', colour: COLOURS.planned, values: pts.map((p) => p.planned), dashed: true }] : []),
      ],
    },
  ];
  return out;
}

/** The reports' stylesheet (the game day's report reuses it). */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --ok: #15803d; --bad: #b91c1c; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0; background: #f9fafb; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 10px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { display: inline-block; font-weight: 700; padding: 4px 12px; border-radius: 999px; color: #fff; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 16px 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .k { color: var(--muted); font-size: 12px; } .card .v { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 0 0 14px; }
svg.chart { display: block; }
.chart-title { font-weight: 650; font-size: 14px; fill: var(--fg); }
.legend { font-size: 12px; fill: #374151; } .tick { font-size: 11px; fill: var(--muted); } .unit { font-size: 11px; fill: var(--muted); }
.grid { stroke: #eef0f3; } .axis { stroke: #9ca3af; } .band { fill: #f3f4f6; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #f9fafb; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.num:last-child { white-space: normal; } /* the statuses: one after another, wrapping between them */
tr:last-child td { border-bottom: none; } tr.total td { font-weight: 650; }
.pass { color: var(--ok); font-weight: 650; } .fail { color: var(--bad); font-weight: 650; }
.verdict.pass, .verdict.fail { color: #fff; }
table.kv th { display: none; } table.kv td:first-child { color: var(--muted); width: 140px; }
td .url { color: var(--muted); font-size: 12px; }
/* Long names wrap at their separators (<wbr>), and anywhere as a last resort, never widening the page. */
td code, td .url, .sub, .note, .card .v, table.kv td { overflow-wrap: anywhere; }
/* A table too wide for the screen (a phone) scrolls inside its own box; the page does not. */
.table-wrap { overflow-x: auto; max-width: 100%; margin: 0 0 4px; border-radius: 8px; }
.table-wrap:focus-visible { outline: 2px solid #2563eb; outline-offset: 2px; }
.table-wrap > table { min-width: 100%; }
th { overflow-wrap: normal; } th.num { white-space: normal; }
/* The name column keeps room for a name's segments; the numbers take what they need. */
.table-wrap td:first-child { min-width: 13rem; } table.kv td:first-child { min-width: 0; }
svg.chart { max-width: 100%; height: auto; }
@media (max-width: 600px) {
  main { padding: 16px 12px 40px; }
  th, td { padding: 6px 8px; }
  .cards { grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); }
}
.note { background: #fffbeb; border: 1px solid #fde68a; border-radius: 8px; padding: 8px 12px; margin: 8px 0; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; }
footer { color: var(--muted); margin-top: 32px; font-size: 12px; }
`;

export function renderHtmlReport(r: RunResult): string {
  const t = r.totals;
  const peak = r.series.reduce((m, p) => Math.max(m, p.responses / p.width), 0);
  const cards: [string, string][] = [
    ['Requests', formatNumber(t.requests)],
    ['Average rate', `${formatNumber(t.responsesPerSec, 1)}/s`],
    ['Peak rate', `${formatNumber(peak, 1)}/s`],
    ['p50 / p99', `${formatMs(t.latency.p50Ms)} / ${formatMs(t.latency.p99Ms)}`],
    ['Errors', `${formatPercent(t.errorRate)}`],
    ['Checks passed', formatPercent(t.checks.rate)],
    ...(r.model === 'open' ? [['Dropped iterations', formatNumber(t.iterations.dropped)] as [string, string]] : []),
  ];
  const stepRows = r.steps.map((s) => {
    const c = s.checks.reduce((a, x) => ({ p: a.p + x.pass, n: a.n + x.pass + x.fail }), { p: 0, n: 0 });
    const e = s.errors;
    return [
      `<code>${breakable(s.key)}</code><br><span class="url">${esc(s.method)} ${breakable(s.url)}</span>`,
      formatNumber(s.requests - s.interrupted), formatNumber(s.rate, 1),
      formatMs(s.latency.p50Ms), formatMs(s.latency.p90Ms), formatMs(s.latency.p99Ms), formatMs(s.latency.p999Ms), formatMs(s.latency.maxMs),
      `${formatNumber(e.status)} / ${formatNumber(e.timeout)} / ${formatNumber(e.connection)}`,
      c.n ? `${formatNumber(c.p)}/${formatNumber(c.n)}` : '–',
      esc(Object.entries(s.statuses).map(([k, v]) => `${k}×${v}`).join(' ')),
    ];
  });
  const stepTable = table(['Step', 'Requests', 'Rate/s', 'p50', 'p90', 'p99', 'p99.9', 'Max', 'Errors st/to/conn', 'Checks', 'Statuses'], stepRows, 1, '', 'Steps')
    .replace('</tbody>', `<tr class="total"><td>All requests</td><td class="num">${formatNumber(t.requests)}</td><td class="num">${formatNumber(t.responsesPerSec, 1)}</td>`
      + `<td class="num">${formatMs(t.latency.p50Ms)}</td><td class="num">${formatMs(t.latency.p90Ms)}</td><td class="num">${formatMs(t.latency.p99Ms)}</td>`
      + `<td class="num">${formatMs(t.latency.p999Ms)}</td><td class="num">${formatMs(t.latency.maxMs)}</td>`
      + `<td class="num">${formatNumber(t.errors.status)} / ${formatNumber(t.errors.timeout)} / ${formatNumber(t.errors.connection)}</td>`
      + `<td class="num">${formatNumber(t.checks.pass)}/${formatNumber(t.checks.pass + t.checks.fail)}</td><td class="num"></td></tr></tbody>`);
  const thresholdRows = r.thresholds.map((th) => [
    th.pass ? '<span class="pass">✓ pass</span>' : '<span class="fail">✗ fail</span>', esc(th.scope), `<code>${esc(th.threshold)}</code>`, esc(th.observedText),
  ]);
  const checkRows = r.steps.flatMap((s) => s.checks.map((c) => [
    `<code>${breakable(s.key)}</code>`, esc(c.name), formatNumber(c.pass), c.fail ? `<span class="fail">${formatNumber(c.fail)}</span>` : '0',
    formatPercent(c.pass / Math.max(1, c.pass + c.fail)),
  ]));
  const it = t.iterations;
  const config: [string, string][] = [
    ['Scenario', `${esc(r.scenario.name)}${r.scenario.description ? ` — ${esc(r.scenario.description)}` : ''}`],
    ['Journeys', r.scenario.journeys.map((j) => `${esc(j.name)} (weight ${j.weight})`).join(', ')],
    ['Target', `<code>${esc(r.target)}</code>`],
    ['Load', esc(describeLoad(r.load))],
    ['Started', esc(r.startedAt)],
    ['Length', `${formatDuration(r.elapsedSec)} (${formatDuration(r.plannedSec)} planned)${r.stoppedBy !== 'schedule' ? `, stopped early: ${esc(r.stoppedBy)}` : ''}`],
    ['Iterations', `${formatNumber(it.started)} started, ${formatNumber(it.completed)} completed, ${formatNumber(it.failed)} failed, ${formatNumber(it.dropped)} dropped of ${formatNumber(it.scheduled)} due, ${formatNumber(it.interrupted)} interrupted`],
    ...(r.waitingRoom && (r.waitingRoom.shoppersLetIn || r.waitingRoom.stillQueuedAtEnd || r.waitingRoom.failedWhileQueued) ? [['Waiting room', `${formatNumber(r.waitingRoom.shoppersLetIn)} shoppers let in after queueing: p50 ${formatMs(r.waitingRoom.queued.p50Ms)}, p95 ${formatMs(r.waitingRoom.queued.p95Ms)}, max ${formatMs(r.waitingRoom.queued.maxMs)} in the queue (not in the request latencies); ${formatNumber(r.waitingRoom.failedWhileQueued ?? 0)} failed while waiting (a refresh timed out or got a 5xx); ${formatNumber(r.waitingRoom.stillQueuedAtEnd)} still queued at the end; ${formatNumber(r.waitingRoom.polls)} "still waiting" answers`] as [string, string]] : []),
    ['Generator', `${r.workers} worker thread(s), ${formatNumber(r.generator.cpuCores, 2)} CPU cores used, iteration start lag p99 ${formatMs(r.generator.startLagP99Ms)} (max ${formatMs(r.generator.startLagMaxMs)})`],
  ];
  const resolution = r.series.length && r.series[0]!.width > 1
    ? `<p class="sub">Each point covers ${r.series[0]!.width} s; a point's percentiles are the highest of the seconds it covers.</p>` : '';
  const verdict = r.passed
    ? `<span class="verdict pass">PASSED</span> ${r.thresholds.length ? `${r.thresholds.length} threshold(s) met` : 'no thresholds set'}`
    : `<span class="verdict fail">FAILED</span> ${r.thresholds.filter((x) => !x.pass).length} of ${r.thresholds.length} threshold(s) breached`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Load test report: ${esc(r.scenario.name)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<h1>Load test: ${esc(r.scenario.name)}</h1>
<p class="sub">${esc(r.target)} · ${esc(r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · ${formatDuration(r.elapsedSec)} · ${esc(describeLoad(r.load))}</p>
<p>${verdict}</p>
<section class="cards">${cards.map(([k, v]) => `<div class="card"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join('')}</section>
${r.generator.warnings.map((w) => `<div class="note">Note: ${esc(w)}</div>`).join('\n')}
<h2>Over time</h2>
${resolution}
${charts(r).map((c) => `<div class="panel">${lineChartSvg(c)}</div>`).join('\n')}
${serverSection(r)}
<h2>Steps</h2>
<p class="sub">Latency is timed from each request's scheduled start (open model) or from when the virtual user sent it (closed model). Errors: an unexpected status (st), a timeout (to), or a failed connection (conn).</p>
${stepTable}
<h2>Thresholds</h2>
${thresholdRows.length ? table(['Result', 'Scope', 'Threshold', 'Observed'], thresholdRows, 9, '', 'Thresholds') : '<p class="sub">No thresholds were set.</p>'}
<h2>Checks</h2>
${checkRows.length ? table(['Step', 'Check', 'Passed', 'Failed', 'Rate'], checkRows, 2, '', 'Checks') : '<p class="sub">No checks.</p>'}
${r.errorSamples.length ? `<h2>Errors seen</h2>${table(['Kind', 'Step', 'Message', 'Count'], r.errorSamples.map((e) => [esc(e.kind), `<code>${breakable(e.step)}</code>`, esc(e.message), formatNumber(e.count)]), 3, '', 'Errors seen')}` : ''}
<h2>Run</h2>
${table(['', ''], config.map(([k, v]) => [esc(k), v]), 9, 'kv', 'Run')}
<footer>Generated by <code>holdfast loadtest</code> · ${esc(r.finishedAt)} · machine-readable results: <code>--out report.json</code></footer>
</main></body></html>
`;
}
