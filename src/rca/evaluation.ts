// The standard RCA accuracy measures over a set of cases: AC@k is the share of cases whose true root
// cause is among the top k services; Avg@5 is the mean of AC@1 ... AC@5. Results are broken down by
// split, fault class and scenario when the cases say which they belong to.
import type { RankOptions, Ranker, Ranking } from './ranking.ts';
import type { Telemetry } from './time-series.ts';

export interface CaseTruth {
  rootCauseService: string;
  fault?: string;
  split?: string;
  scenario?: string;
}

export interface EvaluationCase {
  id: string;
  telemetry: Telemetry;
  injectTime?: number;
  truth: CaseTruth;
}

export interface MethodCaseResult {
  /** 1-based rank of the true root cause; undefined when it is not ranked at all */
  rank?: number;
  top: string[];
  predictedFault?: string;
  injectTime: number;
  injectTimeSource: Ranking['injectTimeSource'];
}

export interface CaseOutcome {
  caseId: string;
  truth: CaseTruth;
  results: Record<string, MethodCaseResult>;
}

export interface Accuracy {
  method: string;
  cases: number;
  /** ac[k - 1] = AC@k for k = 1..5 */
  ac: number[];
  avg5: number;
}

export interface AccuracyGroup {
  by: 'split' | 'fault' | 'scenario';
  value: string;
  accuracy: Accuracy[];
}

export interface EvaluationReport {
  methods: string[];
  overall: Accuracy[];
  groups: AccuracyGroup[];
  cases: CaseOutcome[];
}

export function rankOf(ranking: Ranking, service: string): number | undefined {
  const i = ranking.ranked.findIndex((r) => r.service === service);
  return i < 0 ? undefined : i + 1;
}

export function accuracy(method: string, ranks: readonly (number | undefined)[]): Accuracy {
  const n = ranks.length;
  const ac = [1, 2, 3, 4, 5].map((k) => (n ? ranks.filter((r) => r !== undefined && r <= k).length / n : 0));
  return { method, cases: n, ac, avg5: ac.reduce((a, b) => a + b, 0) / 5 };
}

export interface EvaluateOptions {
  /** ignore the cases' inject times and let each method detect the fault start */
  detect?: boolean;
}

/** Runs every ranker on one case; telemetry can be dropped afterwards (large sets are read one at a time). */
export function evaluateCase(c: EvaluationCase, rankers: Record<string, Ranker>, opts: EvaluateOptions = {}): CaseOutcome {
  const results: Record<string, MethodCaseResult> = {};
  const rankOpts: RankOptions = !opts.detect && c.injectTime !== undefined ? { injectTime: c.injectTime } : {};
  for (const [m, rank] of Object.entries(rankers)) {
    const ranking = rank(c.telemetry, rankOpts);
    const at = rankOf(ranking, c.truth.rootCauseService);
    results[m] = {
      ...(at !== undefined ? { rank: at } : {}),
      top: ranking.ranked.slice(0, 5).map((r) => r.service),
      ...(ranking.faultClass ? { predictedFault: ranking.faultClass } : {}),
      injectTime: ranking.injectTime, injectTimeSource: ranking.injectTimeSource,
    };
  }
  return { caseId: c.id, truth: c.truth, results };
}

/** AC@k overall and per split / fault class / scenario. */
export function summarise(methods: readonly string[], outcomes: CaseOutcome[]): EvaluationReport {
  const of = (subset: CaseOutcome[]) => methods.map((m) => accuracy(m, subset.map((o) => o.results[m]?.rank)));
  const groups: AccuracyGroup[] = [];
  for (const by of ['split', 'fault', 'scenario'] as const) {
    const values = [...new Set(outcomes.map((o) => o.truth[by]).filter((v): v is string => typeof v === 'string'))].sort();
    for (const value of values) groups.push({ by, value, accuracy: of(outcomes.filter((o) => o.truth[by] === value)) });
  }
  return { methods: [...methods], overall: of(outcomes), groups, cases: outcomes };
}

export function evaluate(cases: readonly EvaluationCase[], rankers: Record<string, Ranker>, opts: EvaluateOptions = {}): EvaluationReport {
  return summarise(Object.keys(rankers), cases.map((c) => evaluateCase(c, rankers, opts)));
}
