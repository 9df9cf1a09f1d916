// Plain-text renderings of a ranking (what an operator reads) and of an evaluation (the accuracy table).
import type { Accuracy, EvaluationReport } from './evaluation.ts';
import type { MetricEvidence, RankedService, Ranking } from './ranking.ts';

export function utcTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(11, 19);
}

export function utcDateTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e6)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
}

/** "latency-90 8.3 robust units above baseline 0.012 (peak 0.1, 8.3x) since 14:00:05" */
export function describeEvidence(ev: MetricEvidence, units = 'robust units'): string {
  const side = ev.direction === 'up' ? 'above' : 'below';
  const ratio = ev.ratio !== undefined && Number.isFinite(ev.ratio) && ev.baseline !== 0 ? `, ${num(ev.ratio)}x` : '';
  const since = ev.onset !== undefined ? ` since ${utcTime(ev.onset)}` : '';
  const notes = ev.notes?.length ? ` [${ev.notes.join('; ')}]` : '';
  return `${ev.metric} ${ev.score.toFixed(1)} ${units} ${side} baseline ${num(ev.baseline)} (peak ${num(ev.peak)}${ratio})${since}${notes}`;
}

export function describeService(r: RankedService, units?: string): string {
  const ev = r.evidence[0];
  const lead = ev ? describeEvidence(ev, units) : 'no metric moved away from its baseline';
  return `${r.service}: ${lead}${r.firstToChange ? ', first to change' : ''}`;
}

export interface FormatRankingOptions {
  top?: number;
  /** the true root cause, when known, to show where it landed */
  truth?: string;
  source?: string;
}

const UNITS: Record<string, string> = { holdfast: 'robust units', baro: 'IQRs', 'n-sigma': 'sigmas' };

export function formatRanking(r: Ranking, opts: FormatRankingOptions = {}): string {
  const top = opts.top ?? 5;
  const units = UNITS[r.method] ?? 'units';
  const origin = r.injectTimeSource === 'given' ? (opts.source ?? 'given') : r.injectTimeSource === 'detected' ? 'detected change point' : 'no clear change point: last fifth of the data';
  const lines = [`${r.method}: fault start ${utcDateTime(r.injectTime)} (${origin})`];
  if (r.confidence !== undefined) lines.push(`confidence ${r.confidence.toFixed(2)}${r.faultClass ? `, looks like: ${r.faultClass}` : ''}`);
  r.ranked.slice(0, top).forEach((s, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${describeService(s, units)}  (score ${s.score.toFixed(1)})`);
    for (const ev of s.evidence.slice(1, 3)) lines.push(`      also ${describeEvidence(ev, units)}`);
  });
  if (opts.truth !== undefined) {
    const at = r.ranked.findIndex((s) => s.service === opts.truth);
    lines.push(`truth: ${opts.truth} is ranked ${at < 0 ? 'nowhere' : `#${at + 1} of ${r.ranked.length}`}`);
  }
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // numbers right-aligned, words left-aligned
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^(-|[\d.]+)$/.test(r[i]!)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const f3 = (x: number) => x.toFixed(3);

function accuracyRows(acc: Accuracy[], prefix: string[] = []): string[][] {
  return acc.map((a) => [...prefix, a.method, String(a.cases), f3(a.ac[0]!), f3(a.ac[2]!), f3(a.avg5)]);
}

export function formatEvaluation(report: EvaluationReport, opts: { misses?: boolean; title?: string } = {}): string {
  const out: string[] = [];
  if (opts.title) out.push(opts.title, '');
  out.push(table(['method', 'cases', 'AC@1', 'AC@3', 'Avg@5'], accuracyRows(report.overall)));
  for (const by of ['split', 'fault', 'scenario'] as const) {
    const groups = report.groups.filter((g) => g.by === by);
    if (groups.length < 1) continue;
    out.push('', `by ${by}:`);
    out.push(table([by, 'method', 'cases', 'AC@1', 'AC@3', 'Avg@5'], groups.flatMap((g) => accuracyRows(g.accuracy, [g.value]))));
  }
  if (opts.misses !== false) {
    const main = report.methods[0]!;
    const misses = report.cases.filter((c) => c.results[main]!.rank !== 1);
    out.push('', `${main} misses (true root cause not ranked first): ${misses.length} of ${report.cases.length}`);
    if (misses.length) {
      out.push(table(['case', 'truth', 'fault', 'rank', ...report.methods.slice(1).map((m) => `${m} rank`), 'ranked first instead'], misses.map((c) => {
        const r = c.results[main]!;
        return [c.caseId, c.truth.rootCauseService, c.truth.fault ?? '', r.rank === undefined ? '-' : String(r.rank),
          ...report.methods.slice(1).map((m) => { const x = c.results[m]!.rank; return x === undefined ? '-' : String(x); }),
          r.top[0] ?? ''];
      })));
    }
  }
  return out.join('\n');
}
