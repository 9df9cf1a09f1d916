// The end-of-run summary in the terminal: a table per step, iterations, checks, thresholds, and what
// the generator itself noticed (late starts, dropped iterations). Plain text; no colour codes, so it
// reads the same in a CI log.
import { formatDuration, formatMs, formatNumber, formatPercent } from './load-units.ts';
import type { RunResult } from './run-result.ts';
import type { LoadModel } from './scenario-types.ts';

export function textTable(headers: string[], rows: string[][], rightAlign: (col: number) => boolean = (c) => c > 0): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAlign(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function describeLoad(load: LoadModel): string {
  const rate = (n: number) => `${formatNumber(n, n % 1 ? 1 : 0)}/s`;
  switch (load.executor) {
    case 'constant-arrival-rate':
      return `open model: ${rate(load.rate)} for ${formatDuration(load.duration)}${load.maxVUs ? `, at most ${load.maxVUs} in flight` : ''}`;
    case 'ramping-arrival-rate':
      return `open model: ${rate(load.startRate)} → ${load.stages.map((s) => `${rate(s.target)} over ${formatDuration(s.duration)}`).join(' → ')}${load.maxVUs ? `, at most ${load.maxVUs} in flight` : ''}`;
    case 'constant-vus':
      return `closed model: ${load.vus} VU(s) for ${formatDuration(load.duration)}${load.pace ? `, one iteration per ${formatDuration(load.pace)} per VU at most` : ''}`;
    case 'ramping-vus':
      return `closed model: ${load.startVUs} VUs → ${load.stages.map((s) => `${s.target} over ${formatDuration(s.duration)}`).join(' → ')}`;
  }
}

const errorsCell = (e: { status: number; timeout: number; connection: number }) =>
  e.status + e.timeout + e.connection ? `${e.status} / ${e.timeout} / ${e.connection}` : '0';

export function formatSummary(r: RunResult, reports: string[] = []): string {
  const out: string[] = [];
  out.push(`${r.scenario.name} against ${r.target}: ${formatDuration(r.elapsedSec)} (${formatDuration(r.plannedSec)} planned), ${r.workers} worker thread(s)`);
  out.push(`load: ${describeLoad(r.load)}`);
  if (r.stoppedBy !== 'schedule') out.push(`stopped early: ${r.stoppedBy === 'interrupted' ? 'interrupted (Ctrl-C)' : 'request budget (--max-requests) spent'}`);
  out.push('');
  const rows = r.steps.map((s) => {
    const checks = s.checks.reduce((acc, c) => ({ pass: acc.pass + c.pass, total: acc.total + c.pass + c.fail }), { pass: 0, total: 0 });
    return [
      s.key, formatNumber(s.requests - s.interrupted), formatNumber(s.rate, 1),
      formatMs(s.latency.p50Ms), formatMs(s.latency.p90Ms), formatMs(s.latency.p99Ms), formatMs(s.latency.p999Ms), formatMs(s.latency.maxMs),
      errorsCell(s.errors), checks.total ? `${formatNumber(checks.pass)}/${formatNumber(checks.total)}` : '-',
    ];
  });
  const t = r.totals;
  rows.push([
    'all requests', formatNumber(t.requests), formatNumber(t.responsesPerSec, 1),
    formatMs(t.latency.p50Ms), formatMs(t.latency.p90Ms), formatMs(t.latency.p99Ms), formatMs(t.latency.p999Ms), formatMs(t.latency.maxMs),
    errorsCell(t.errors), t.checks.pass + t.checks.fail ? `${formatNumber(t.checks.pass)}/${formatNumber(t.checks.pass + t.checks.fail)}` : '-',
  ]);
  out.push(textTable(['Step', 'Requests', 'Rate/s', 'p50', 'p90', 'p99', 'p99.9', 'Max', 'Errors (status/timeout/conn)', 'Checks'], rows));
  out.push('(latency is timed from each request\'s scheduled start, so waiting for a stalled server counts)');
  out.push('');
  const it = t.iterations;
  const parts = [`${formatNumber(it.started)} started`, `${formatNumber(it.completed)} completed`, `${formatNumber(it.failed)} failed`];
  if (r.model === 'open') parts.push(`${formatNumber(it.dropped)} dropped (of ${formatNumber(it.scheduled)} due)`);
  if (it.interrupted) parts.push(`${formatNumber(it.interrupted)} interrupted at the end`);
  out.push(`iterations: ${parts.join(', ')}`);
  const room = r.waitingRoom;
  if (room && (room.shoppersLetIn || room.stillQueuedAtEnd || room.failedWhileQueued)) {
    out.push(`waiting room: ${formatNumber(room.shoppersLetIn)} shoppers let in after queueing, p50 ${formatMs(room.queued.p50Ms)}, p95 ${formatMs(room.queued.p95Ms)}, max ${formatMs(room.queued.maxMs)} in the queue (not in the latencies above); ${formatNumber(room.failedWhileQueued ?? 0)} failed while waiting (a refresh timed out or got a 5xx); ${formatNumber(room.stillQueuedAtEnd)} still queued at the end; ${formatNumber(room.polls)} "still waiting" answers`);
  }
  out.push(`errors: ${formatPercent(t.errorRate)} of requests (${formatNumber(t.errors.status)} unexpected status, ${formatNumber(t.errors.timeout)} timeout, ${formatNumber(t.errors.connection)} connection)`);
  for (const e of r.errorSamples.slice(0, 5)) out.push(`  ${e.kind.padEnd(10)} ${e.step}: ${e.message} ×${formatNumber(e.count)}`);
  const failing = r.steps.flatMap((s) => s.checks.filter((c) => c.fail > 0).map((c) => `  ✗ ${s.key}: ${c.name} (${formatNumber(c.fail)} of ${formatNumber(c.pass + c.fail)} failed)`));
  out.push(`checks: ${formatPercent(t.checks.rate)} passed (${formatNumber(t.checks.pass)} of ${formatNumber(t.checks.pass + t.checks.fail)})`);
  out.push(...failing.slice(0, 10));
  if (r.thresholds.length) {
    out.push('thresholds:');
    for (const th of r.thresholds) out.push(`  ${th.pass ? '✓' : '✗'} ${th.scope === 'all requests' ? '' : `${th.scope}: `}${th.threshold}  (observed ${th.observedText})`);
  }
  for (const w of r.generator.warnings) out.push(`note: ${w}`);
  out.push('');
  const breached = r.thresholds.filter((x) => !x.pass).length;
  out.push(r.passed
    ? `result: PASSED${r.thresholds.length ? ` (${r.thresholds.length} threshold(s) met)` : ' (no thresholds set)'}`
    : `result: FAILED (${breached} of ${r.thresholds.length} threshold(s) breached)`);
  if (reports.length) out.push(`reports: ${reports.join(', ')}`);
  return out.join('\n');
}
