// The two simple baselines the research compares against, reproduced as published so our numbers sit
// next to theirs on equal terms:
// - N-sigma: each metric's fault-window readings in standard deviations of its baseline (mean/std);
// - BARO's robust scorer: the same with median and inter-quartile range (Pham et al., FSE 2024).
// As in the reference implementation: missing readings are carried forward and then set to 0; a metric
// constant within the baseline or within the fault window is dropped; a zero spread counts as 1 (what
// scikit-learn's scalers do); a metric's score is its largest *signed* value (only rises count); the
// services are ordered by their best metric.
import { classifyMetric } from './metric-kind.ts';
import { finite, mean, robustSummary, std } from './robust-stats.ts';
import { resolveInjectTime, splitAt, type MetricEvidence, type RankOptions, type RankedService, type Ranking } from './ranking.ts';
import type { MetricSeries, Telemetry } from './time-series.ts';

function filled(values: readonly number[]): number[] {
  const out: number[] = [];
  let last = NaN;
  for (const v of values) {
    if (Number.isFinite(v)) last = v;
    out.push(Number.isFinite(last) ? last : 0);
  }
  return out;
}

const isConstant = (xs: readonly number[]) => xs.length === 0 || xs.every((x) => x === xs[0]);

function rankByColumn(t: Telemetry, opts: RankOptions, method: string, fit: (baseline: number[]) => { center: number; scale: number }): Ranking {
  const inject = resolveInjectTime(t, opts.injectTime);
  const scored: { s: MetricSeries; ev: MetricEvidence }[] = [];
  for (const s of t.series) {
    const { before, after, afterTimes } = splitAt(s.timestamps, filled(s.values), inject.time);
    if (isConstant(before) || isConstant(after)) continue;
    const { center, scale: raw } = fit(before);
    const scale = raw > 0 ? raw : 1;
    let best = -Infinity;
    let at = 0;
    after.forEach((v, i) => {
      const z = (v - center) / scale;
      if (z > best) { best = z; at = i; }
    });
    const peak = after[at]!;
    scored.push({
      s,
      ev: {
        service: s.service, metric: s.metric, kind: classifyMetric(s.metric).kind,
        direction: peak >= center ? 'up' : 'down', score: best, baseline: center, peak,
        ...(center !== 0 ? { ratio: peak / center } : {}), onset: afterTimes[at]!,
      },
    });
  }
  // stable sort: ties keep column order, as a stable sort of the reference implementation does
  scored.sort((a, b) => b.ev.score - a.ev.score);
  const byService = new Map<string, RankedService>();
  for (const { s, ev } of scored) {
    let r = byService.get(s.service);
    if (!r) byService.set(s.service, (r = { service: s.service, score: ev.score, evidence: [] }));
    if (r.evidence.length < 3) r.evidence.push(ev);
  }
  // services with no scorable metric still appear, last, in column order
  for (const s of t.series) if (!byService.has(s.service)) byService.set(s.service, { service: s.service, score: -Infinity, evidence: [] });
  return { method, injectTime: inject.time, injectTimeSource: inject.source, ranked: [...byService.values()] };
}

export function rankNSigma(t: Telemetry, opts: RankOptions = {}): Ranking {
  return rankByColumn(t, opts, 'n-sigma', (b) => ({ center: mean(b), scale: std(b) }));
}

export function rankBaroRobust(t: Telemetry, opts: RankOptions = {}): Ranking {
  return rankByColumn(t, opts, 'baro', (b) => {
    const r = robustSummary(finite(b));
    return { center: r.median, scale: r.iqr };
  });
}
