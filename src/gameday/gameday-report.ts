// The game day's report: one self-contained HTML file (the load test report's stylesheet and SVG charts,
// no scripts, nothing fetched) with the verdict, the scorecard beside the seed incident's figures, the
// timeline of the run charted (fault windows shaded; alerts, root-cause findings, scaling, waiting-room
// and payment-provider failover actions marked), the probes, the thresholds and the orders; and the terminal summary.
import { formatPercent, lineChartSvg, REPORT_CSS, type ChartMarker, type LineChart } from '../loadtest/index.ts';
import type { Scorecard, TimelineKind } from './scorecard.ts';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const MARKER_COLOURS: Partial<Record<TimelineKind, string>> = {
  alert: '#dc2626', incident: '#b91c1c', finding: '#7c3aed', 'scale-out': '#2563eb', 'scale-in': '#60a5fa', 'waiting-room': '#0d9488', 'waiting-room-stopped': '#5eead4',
  failover: '#ea580c', failback: '#fdba74', abort: '#000000',
};
const SHORT: Partial<Record<TimelineKind, string>> = { alert: 'alert', incident: 'incident', finding: 'RCA', 'scale-out': 'scale-out', 'scale-in': 'scale-in', 'waiting-room': 'waiting room', 'waiting-room-stopped': 'waiting room stopped', failover: 'failover', failback: 'failback', abort: 'abort' };

function duration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds >= 3600) return `${Number((seconds / 3600).toFixed(1))} h`;
  if (seconds >= 120) return `${Number((seconds / 60).toFixed(1))} min`;
  return `${seconds} s`;
}

/** Rows of the side-by-side comparison: figure, this run, the seed incident. */
export function comparisonRows(card: Scorecard): [string, string, string][] {
  const seed = card.seed;
  const ratio = (v: number | null) => (v === null ? '–' : formatPercent(v));
  const rc = card.rootCause;
  return [
    ['Shoppers affected', `${ratio(card.shoppersAffectedRatio)}${card.shoppers && card.shoppers.affected ? ` (${card.shoppers.affected} of ${card.shoppers.started}: ${card.shoppers.affectedByErrors} with an error, ${card.shoppers.affected - card.shoppers.affectedByErrors} slow only)` : ''}`, ratio(seed.shoppersAffectedRatio)],
    ['Shoppers queued in the waiting room', `${ratio(card.shoppersQueuedRatio)}${card.queueWaitP50Seconds !== null ? ` (wait p50 ${card.queueWaitP50Seconds} s, p95 ${card.queueWaitP95Seconds} s)` : ''}`, 'no waiting room'],
    ['Time to detect', duration(card.timeToDetectSeconds), duration(seed.timeToDetectSeconds)],
    ['Root cause named', rc ? `${rc.component}, network ${rc.networkInvolved === false ? 'ruled out' : rc.networkInvolved ? 'involved' : 'not measured'}${rc.correct ? '' : ' (not the expected cause)'}` : '–', `${seed.rootCause.component} blamed first`],
    ['Time to the correct root cause', duration(card.timeToRootCauseSeconds), duration(seed.timeToRootCauseSeconds)],
    ['Time to mitigation', `${duration(card.timeToMitigationSeconds)}${card.mitigation ? ` (${card.mitigation})` : ''}`, `${duration(seed.timeToMitigationSeconds)} (${seed.mitigation})`],
    ['Time to recovery', duration(card.timeToRecoverySeconds), duration(seed.timeToRecoverySeconds)],
    ['Orders lost', card.orders.lost === null ? '–' : String(card.orders.lost), 'not known'],
    ['Double charges', card.orders.doubleCharges === null ? '–' : String(card.orders.doubleCharges), 'not known'],
  ];
}

function table(headers: string[], rows: string[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** The fault windows, [from, to, label] in seconds since the load started. */
function faultBands(card: Scorecard): [number, number, string][] {
  const bands: [number, number, string][] = [];
  const open = new Map<string, number>();
  const end = card.series.at(-1)?.t ?? 0;
  for (const e of card.timeline) {
    const name = /^fault (\S+)/.exec(e.label)?.[1];
    if (!name) continue;
    if (e.kind === 'fault.set') open.set(name, e.atSeconds);
    if (e.kind === 'fault.cleared' && open.has(name)) { bands.push([open.get(name)!, e.atSeconds, `fault ${name}`]); open.delete(name); }
  }
  for (const [name, from] of open) bands.push([from, end, `fault ${name}`]);
  return bands;
}

export function timelineCharts(card: Scorecard): LineChart[] {
  const x = card.series.map((p) => p.t);
  const xMax = Math.max(1, ...x.map((t) => t + 1), ...card.timeline.map((e) => e.atSeconds));
  const bands = faultBands(card);
  const markers: ChartMarker[] = card.timeline
    .filter((e) => MARKER_COLOURS[e.kind] && e.atSeconds >= 0)
    .map((e) => ({ t: e.atSeconds, label: SHORT[e.kind]!, colour: MARKER_COLOURS[e.kind]! }));
  return [
    {
      id: 'gameday-traffic', title: 'Shoppers per second (faults shaded, actions marked)',
      unit: 'per second', x, xMax, bands, markers,
      series: [
        { name: 'planned arrivals/s', colour: '#6b7280', values: card.series.map((p) => p.planned), dashed: true },
        { name: 'responses/s', colour: '#2563eb', values: card.series.map((p) => p.responsesPerSec) },
        { name: 'errors/s', colour: '#dc2626', values: card.series.map((p) => p.errorsPerSec) },
      ],
    },
    {
      id: 'gameday-latency', title: 'Shoppers: p99 response time', unit: 'ms', x, xMax, bands, markers, log: true,
      series: [{ name: 'p99', colour: '#dc2626', values: card.series.map((p) => p.p99Ms) }],
    },
  ];
}

export function renderGamedayHtml(card: Scorecard): string {
  const verdict = card.passed
    ? '<span class="verdict pass">PASSED</span>'
    : `<span class="verdict fail">FAILED</span> ${card.aborted ? esc(card.aborted) : `${card.thresholds.filter((t) => !t.pass).length} threshold(s) missed, ${card.probes.filter((p) => !p.held).length} probe(s) did not hold`}`;
  const o = card.orders;
  const num = (v: number | null) => (v === null ? '–' : String(v));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day: ${esc(card.experiment)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<h1>Game day: ${esc(card.experiment)}</h1>
<p class="sub">${esc(card.target)}${card.ownDeployment ? ' (a deployment the game day started)' : ''} · ${esc(card.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC'))} · ${card.durationSeconds} s · ${card.machine.cpus} cores, load average ${card.machine.loadAverageAtStart} at the start, ${card.machine.loadAverageAtEnd} at the end</p>
<p>${verdict}</p>
<h2>Against the seed incident</h2>
${table(['', 'This run', 'The seed incident'], comparisonRows(card).map(([k, a, b]) => [esc(k), esc(a), esc(b)]))}
<h2>Timeline</h2>
${timelineCharts(card).map((c) => `<div class="panel">${lineChartSvg(c)}</div>`).join('\n')}
${table(['At', 'What'], card.timeline.map((e) => [`${e.atSeconds} s`, esc(e.label)]))}
<h2>Thresholds</h2>
${table(['Result', 'Threshold', 'Observed'], card.thresholds.map((t) => [t.pass ? '<span class="pass">✓ pass</span>' : '<span class="fail">✗ fail</span>', `<code>${esc(t.threshold)}</code>`, esc(t.observed === null ? `null: ${t.why ?? ''}` : String(t.observed))]))}
<h2>Steady-state probes</h2>
${table(['Probe', 'Measure', 'Tolerance', 'Before the faults', 'After the recovery', 'Held'], card.probes.map((p) => [
    esc(p.name), esc(p.measure), esc(p.tolerance), esc(p.before ? String(p.before.value ?? '–') : 'not checked'), esc(p.after ? String(p.after.value ?? '–') : 'not checked'),
    p.held ? '<span class="pass">held</span>' : `<span class="fail">no</span>: ${esc(p.why ?? '')}`,
  ]))}
<h2>Orders</h2>
${table(['Accepted', 'Paid', 'Declined', 'Canceled', 'Still pending', 'Lost', 'Double charges', 'Time to paid p50', 'p99'], [[
    num(o.accepted), num(o.paid), num(o.failed), num(o.canceled), num(o.pending), num(o.lost), num(o.doubleCharges),
    o.timeToPaidP50Seconds === null ? '–' : `${o.timeToPaidP50Seconds} s`, o.timeToPaidP99Seconds === null ? '–' : `${o.timeToPaidP99Seconds} s`,
  ]])}
${card.notes.map((n) => `<div class="note">Note: ${esc(n)}</div>`).join('\n')}
${card.notRecovered.length ? `<h2>What did not recover</h2><ul>${card.notRecovered.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
${Object.keys(card.missing).length ? `<h2>Not measured</h2>${table(['Figure', 'Why'], Object.entries(card.missing).map(([k, v]) => [`<code>${esc(k)}</code>`, esc(v)]))}` : ''}
<footer>Generated by <code>holdfast gameday</code> · machine-readable: <code>--out scorecard.json</code></footer>
</main></body></html>
`;
}

/** The terminal's summary of a scorecard. */
export function formatScorecard(card: Scorecard): string {
  const lines = [`game day ${card.experiment}: ${card.passed ? 'PASSED' : 'FAILED'}${card.aborted ? ` (${card.aborted})` : ''}`,
    `(${card.machine.cpus} cores; load average ${card.machine.loadAverageAtStart} at the start, ${card.machine.loadAverageAtEnd} at the end)`, ''];
  const rows = comparisonRows(card);
  const w = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length), 'this run'.length);
  lines.push(`${''.padEnd(w)}  ${'this run'.padEnd(w2)}  the seed incident`);
  for (const [k, a, b] of rows) lines.push(`${k.padEnd(w)}  ${a.padEnd(w2)}  ${b}`);
  const o = card.orders;
  lines.push('', `orders: ${o.accepted ?? '–'} accepted, ${o.paid ?? '–'} paid, ${o.failed ?? '–'} declined, ${o.canceled ?? '–'} canceled, ${o.pending ?? '–'} pending, ${o.lost ?? '–'} lost, ${o.doubleCharges ?? '–'} double charges; time to paid p50 ${o.timeToPaidP50Seconds ?? '–'} s, p99 ${o.timeToPaidP99Seconds ?? '–'} s`);
  lines.push('', 'thresholds:');
  for (const t of card.thresholds) lines.push(`  ${t.pass ? '✓' : '✗'} ${t.threshold}  (${t.observed === null ? `null: ${t.why}` : t.observed})`);
  lines.push('', 'steady-state probes:');
  for (const p of card.probes) lines.push(`  ${p.held ? '✓' : '✗'} ${p.name} (${p.measure} ${p.tolerance})${p.held ? '' : `: ${p.why}`}`);
  if (card.notRecovered.length) lines.push('', 'not recovered:', ...card.notRecovered.map((n) => `  - ${n}`));
  if (card.notes.length) lines.push('', 'notes:', ...card.notes.map((n) => `  - ${n}`));
  const missing = Object.entries(card.missing);
  if (missing.length) lines.push('', 'not measured:', ...missing.map(([k, v]) => `  - ${k}: ${v}`));
  return `${lines.join('\n')}\n`;
}
