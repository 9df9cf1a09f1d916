// The postmortem draft of a recorded fault run (the README's psp.latency 2000 ms): the seed's sections in
// order, every figure with its source or the reason it is missing, the timeline with change events, and
// the charts with the incident shaded and the changes marked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPostmortemHtml, renderPostmortemMarkdown, shareText, type PostmortemInput } from './postmortem.ts';
import { incidentChartSvg } from './incident-charts.ts';

const FAULT_SET = Date.parse('2026-11-27T14:02:07Z');
const FAULT_CLEARED = Date.parse('2026-11-27T14:06:19Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Provider p95 per second: 0.08 s before, 2.04 s during (no readings for 10 s of it), 0.08 s after. */
function providerP95(): [number, number | null][] {
  const out: [number, number | null][] = [];
  for (let t = FAULT_SET - 120_000; t <= FAULT_CLEARED + 120_000; t += 1000) {
    const during = t >= FAULT_SET && t < FAULT_CLEARED;
    out.push([t, t >= FAULT_SET + 60_000 && t < FAULT_SET + 70_000 ? null : during ? 2.04 : 0.08]);
  }
  return out;
}

function run(): PostmortemInput {
  return {
    incident: {
      id: '3f1c2a9e-8d4b-4c1e-9a57-0b6f2d7e9c11', title: 'Payment provider calls slow', severity: 'critical', component: 'payments -> provider',
      triggeredAt: '2026-11-27T14:02:11Z', acknowledgedAt: '2026-11-27T14:03:00Z', acknowledgedBy: 'ana', resolvedAt: '2026-11-27T14:06:25Z',
    },
    start: { value: iso(FAULT_SET), source: 'change event: fault psp.latency set' },
    end: { value: iso(FAULT_CLEARED), source: 'change event: fault psp.latency cleared' },
    impact: {
      shoppers: { affected: 412, total: 1078, unit: 'shoppers', source: 'holdfast_checkouts_total by outcome, 14:02:07-14:06:19' },
      orders: { missing: 'order outcomes were not recorded during this run (metrics collection was off)' },
      other: [{ label: 'Checkouts slower than 1 s', figure: { value: '61.0% (p95 2.04 s)', source: 'checkout latency histogram' } }],
    },
    rootCause: { value: 'the payment provider answered in 2.04 s instead of 0.08 s', source: 'root-cause finding at 14:02:40 (confidence 0.92)' },
    resolution: { missing: 'nobody has recorded what resolved it yet' },
    timeline: [
      { at: '2026-11-27T14:02:11Z', kind: 'triggered', summary: 'Triggered: Payment provider calls slow' },
      { at: '2026-11-27T14:02:12Z', kind: 'notification', summary: 'pagerduty: page delivered (HTTP 202: Event processed)' },
      { at: '2026-11-27T14:03:00Z', kind: 'acknowledged', summary: 'Acknowledged by ana' },
      { at: '2026-11-27T14:06:25Z', kind: 'resolved', summary: 'Resolved | all signals back to baseline' },
    ],
    changes: [
      { at: iso(FAULT_SET), kind: 'fault', summary: 'psp.latency set {"latencyMs":2000}' },
      { at: iso(FAULT_CLEARED), kind: 'fault', summary: 'psp.latency cleared' },
    ],
    signals: [
      { title: 'Provider call latency, p95', unit: 'seconds', source: 'holdfast_provider_request_duration_seconds (control role, 1 s readings)', series: [{ name: 'p95', points: providerP95() }] },
      { title: 'Queue depth', missing: 'the queue depth was not scraped in this run' },
      { title: 'Waiting room', unit: 'shoppers', source: 'holdfast_waiting_room_queued', series: [{ name: 'queued', points: [[FAULT_SET - 3_600_000, 0]] }] },
    ],
    measures: [{ item: 'Alert on provider latency within 5 s at low traffic', owner: 'payments team' }],
    generatedAt: '2026-11-27T15:00:00Z',
  };
}

test('the draft has the seed\'s sections in order, with duration, start and end and their sources', () => {
  const { markdown } = renderPostmortemMarkdown(run());
  const headings = markdown.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
  assert.deepEqual(headings, ['Issue Summary', 'Impact', 'Root Cause', 'Timeline', 'Root Cause and Resolution', 'Corrective and Preventative Measures']);
  assert.ok(markdown.includes('- **Duration:** 4 min 12 s (source: the end minus the start, below)'));
  assert.ok(markdown.includes('- **Start:** 2026-11-27 14:02:07 UTC (source: change event: fault psp.latency set)'));
  assert.ok(markdown.includes('- **End:** 2026-11-27 14:06:19 UTC (source: change event: fault psp.latency cleared)'));
  assert.ok(markdown.includes('The incident was opened 4 s after the start.'));
});

test('every figure says where it came from, or why it is missing; nothing is filled in', () => {
  const { markdown } = renderPostmortemMarkdown(run());
  const figureLines = markdown.split('\n').filter((l) => l.startsWith('- **'));
  assert.ok(figureLines.length >= 7);
  for (const line of figureLines) assert.match(line, /source: |missing: /, line);
  assert.ok(markdown.includes('- **Shoppers affected:** 38.2% (412 of 1,078 shoppers; source: holdfast_checkouts_total by outcome, 14:02:07-14:06:19)'));
  assert.ok(markdown.includes('- **Orders affected:** missing: order outcomes were not recorded during this run (metrics collection was off)'));
  assert.ok(markdown.includes('**Resolution:** missing: nobody has recorded what resolved it yet'));
  assert.equal(shareText({ affected: 0, total: 0, unit: 'orders', source: 'x' }), 'missing: no orders were counted in the window (source: x)');
  const noStart = renderPostmortemMarkdown({ ...run(), start: { missing: 'no change event or alert marks the start' } }).markdown;
  assert.ok(noStart.includes('- **Duration:** missing: the start is missing (no change event or alert marks the start)'));
});

test('the timeline merges the incident record and change events, in time order, from the start', () => {
  const { markdown } = renderPostmortemMarkdown(run());
  const rows = markdown.split('\n').filter((l) => /^\| \d\d:/.test(l));
  assert.deepEqual(rows, [
    '| 14:02:07 | +0:00 | change: fault | psp.latency set {"latencyMs":2000} |',
    '| 14:02:11 | +0:04 | triggered | Triggered: Payment provider calls slow |',
    '| 14:02:12 | +0:05 | notification | pagerduty: page delivered (HTTP 202: Event processed) |',
    '| 14:03:00 | +0:53 | acknowledged | Acknowledged by ana |',
    '| 14:06:19 | +4:12 | change: fault | psp.latency cleared |',
    '| 14:06:25 | +4:18 | resolved | Resolved \\| all signals back to baseline |',
  ]);
  assert.ok(markdown.includes('- [ ] Alert on provider latency within 5 s at low traffic (owner: payments team)'));
  assert.equal(markdown.split('\n').filter((l) => l === '- [ ] _to complete_').length, 3);
});

test('charts: one per signal with readings, the incident shaded, changes marked, gaps left as gaps; the others say why not', () => {
  const { markdown, charts } = renderPostmortemMarkdown(run());
  assert.equal(charts.length, 1);
  const [chart] = charts;
  assert.equal(chart!.file, 'postmortem-3f1c2a9e-8d4b-4c1e-9a57-0b6f2d7e9c11-1.svg');
  assert.deepEqual(chart!.legend, [
    { n: 1, label: '14:02:07 psp.latency set {"latencyMs":2000}' }, { n: 2, label: '14:02:11 incident triggered' },
    { n: 3, label: '14:03:00 acknowledged' }, { n: 4, label: '14:06:19 psp.latency cleared' }, { n: 5, label: '14:06:25 resolved' },
  ]);
  const svg = chart!.svg;
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(!svg.includes('class='), 'standalone: styles are attributes');
  assert.match(svg, /<title>incident window<\/title>/);
  assert.equal((svg.match(/stroke-dasharray="4 3"/g) ?? []).length, 5);
  assert.ok(svg.includes('psp.latency set {&quot;latencyMs&quot;:2000}'));
  const path = /<path d="([^"]+)"/.exec(svg)![1]!;
  assert.equal(path.split('M').length - 1, 2, 'the 10 s without readings is a gap');
  assert.ok(markdown.includes(`![Provider call latency, p95](${chart!.file})`));
  assert.ok(markdown.includes('_Source: holdfast_provider_request_duration_seconds (control role, 1 s readings).'));
  assert.ok(markdown.includes('- **Queue depth:** chart missing: the queue depth was not scraped in this run'));
  assert.match(markdown, /- \*\*Waiting room:\*\* chart missing: no readings between 2026-11-27 14:01:04 UTC and 2026-11-27 14:07:22 UTC \(source: holdfast_waiting_room_queued\)/);
});

test('the HTML draft: same content, charts inline, text escaped, no scripts', () => {
  const input = run();
  input.incident.title = 'Provider <slow>';
  const page = renderPostmortemHtml(input);
  assert.ok(!/<script/i.test(page));
  assert.ok(page.includes('<h1>Postmortem: Provider &lt;slow&gt;</h1>'));
  for (const h of ['Issue Summary', 'Impact', 'Root Cause', 'Timeline', 'Root Cause and Resolution', 'Corrective and Preventative Measures']) assert.ok(page.includes(`<h2>${h}</h2>`), h);
  assert.match(page, /<figure><svg xmlns=/);
  assert.ok(page.includes('<li value="4">14:06:19 psp.latency cleared</li>'));
  assert.ok(page.includes('<span class="missing">missing: order outcomes were not recorded during this run (metrics collection was off)</span>'));
});

test('the chart scale starts at zero and fits the largest reading', () => {
  const svg = incidentChartSvg({ title: 't', unit: 'u', from: 0, to: 60_000, markers: [], series: [{ name: 's', colour: '#000', points: [[0, 0], [30_000, 7.3], [60_000, 1]] }] });
  const ticks = [...svg.matchAll(/text-anchor="end">([\d.]+)</g)].map((m) => m[1]);
  assert.equal(ticks[0], '0');
  assert.ok(Number(ticks.at(-1)) >= 7.3 && Number(ticks.at(-1)) <= 10, ticks.join(','));
});
