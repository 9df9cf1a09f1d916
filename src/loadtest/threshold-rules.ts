// Thresholds: pass/fail criteria that decide the exit code, as in k6. The grammar is small on purpose:
//
//   p(99)<300ms   p99<0.3s   p(99.9)<=1s   avg<100   med<50ms   max<2s      latency (ms when no unit)
//   error_rate<0.01   error_rate<1%                                        failed requests / requests
//   checks>0.99   checks>=99%                                              passed checks / checks
//   dropped_iterations<=10   dropped_rate<0.01                              iterations that could not start
//   rps>=100                                                               responses per second
//
// A threshold applies to the whole run, or to one step with a "<step>: " prefix
// ("checkout/place-order: p(99)<800ms"); thresholds written on a step apply to that step.

export type ThresholdMetric =
  | { kind: 'percentile'; percentile: number }
  | { kind: 'latency'; stat: 'avg' | 'med' | 'min' | 'max' }
  | { kind: 'error_rate' }
  | { kind: 'checks' }
  | { kind: 'dropped_iterations' }
  | { kind: 'dropped_rate' }
  | { kind: 'rps' };

export type Comparator = '<' | '<=' | '>' | '>=' | '==';

export interface Threshold {
  /** As written (without the scope). */
  expr: string;
  /** Step key ("journey/step") or undefined for the whole run. */
  scope?: string;
  metric: ThresholdMetric;
  op: Comparator;
  /** In the metric's unit: ms for latency, a 0..1 ratio for rates, a count, or responses/s. */
  value: number;
}

/** What a threshold is evaluated against: the whole run or one step. */
export interface MetricSource {
  percentileMs(p: number): number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  requests: number;
  failed: number;
  checksPassed: number;
  checksTotal: number;
  dropped: number;
  scheduled: number;
  durationSec: number;
}

export interface ThresholdResult {
  threshold: string;
  scope: string;
  observed: number;
  /** The observed value formatted in the threshold's unit. */
  observedText: string;
  pass: boolean;
}

export class ThresholdError extends Error {}

const EXPR_RE = /^\s*([a-z_]+(?:\(\s*\d+(?:\.\d+)?\s*\))?|p\d+(?:\.\d+)?)\s*(<=|>=|==|<|>)\s*(-?\d+(?:\.\d+)?)\s*(ms|s|us|µs|%)?\s*$/;

function parseMetric(name: string, whole: string): ThresholdMetric {
  const p = /^p\(?\s*(\d+(?:\.\d+)?)\s*\)?$/.exec(name);
  if (p) {
    const percentile = Number(p[1]);
    if (!(percentile > 0 && percentile <= 100)) throw new ThresholdError(`"${whole}": percentile must be in (0, 100]`);
    return { kind: 'percentile', percentile };
  }
  switch (name) {
    case 'avg': case 'mean': return { kind: 'latency', stat: 'avg' };
    case 'med': return { kind: 'latency', stat: 'med' };
    case 'min': return { kind: 'latency', stat: 'min' };
    case 'max': return { kind: 'latency', stat: 'max' };
    case 'error_rate': case 'http_req_failed': return { kind: 'error_rate' };
    case 'checks': return { kind: 'checks' };
    case 'dropped_iterations': return { kind: 'dropped_iterations' };
    case 'dropped_rate': return { kind: 'dropped_rate' };
    case 'rps': return { kind: 'rps' };
    default:
      throw new ThresholdError(`"${whole}": unknown metric "${name}" (known: p(N), avg, med, min, max, error_rate, checks, dropped_iterations, dropped_rate, rps)`);
  }
}

/** Parses "expr" or "<step>: expr". */
export function parseThreshold(text: string, scope?: string): Threshold {
  let expr = text.trim();
  let where = scope;
  const colon = expr.lastIndexOf(':');
  if (colon > 0) {
    where = expr.slice(0, colon).trim();
    expr = expr.slice(colon + 1).trim();
  }
  const m = EXPR_RE.exec(expr);
  if (!m) throw new ThresholdError(`threshold "${text}" is not understood (examples: p(99)<300ms, error_rate<0.01, checks>0.99)`);
  const metric = parseMetric(m[1]!.replace(/\s+/g, ''), text);
  let value = Number(m[3]);
  const unit = m[4];
  const latency = metric.kind === 'percentile' || metric.kind === 'latency';
  const ratio = metric.kind === 'error_rate' || metric.kind === 'checks' || metric.kind === 'dropped_rate';
  if (unit && latency) {
    if (unit === '%') throw new ThresholdError(`"${text}": a latency takes ms or s, not %`);
    value = unit === 's' ? value * 1000 : unit === 'us' || unit === 'µs' ? value / 1000 : value;
  } else if (unit) {
    if (!(ratio && unit === '%')) throw new ThresholdError(`"${text}": "${unit}" does not fit ${m[1]}`);
    value /= 100;
  }
  if (ratio && (value < 0 || value > 1)) throw new ThresholdError(`"${text}": a rate is between 0 and 1 (or 0% and 100%)`);
  return { expr, scope: where || undefined, metric, op: m[2] as Comparator, value };
}

/** A comma-separated SLO list ("p99<500ms,error_rate<0.01") as used by the capacity finder. */
export function parseThresholdList(text: string): Threshold[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => parseThreshold(s));
}

export function observe(metric: ThresholdMetric, src: MetricSource): number {
  switch (metric.kind) {
    case 'percentile': return src.requests ? src.percentileMs(metric.percentile) : Number.NaN;
    case 'latency':
      if (!src.requests) return Number.NaN;
      return metric.stat === 'avg' ? src.meanMs : metric.stat === 'med' ? src.percentileMs(50) : metric.stat === 'min' ? src.minMs : src.maxMs;
    case 'error_rate': return src.requests ? src.failed / src.requests : 0;
    case 'checks': return src.checksTotal ? src.checksPassed / src.checksTotal : 1;
    case 'dropped_iterations': return src.dropped;
    case 'dropped_rate': return src.scheduled ? src.dropped / src.scheduled : 0;
    case 'rps': return src.durationSec > 0 ? src.requests / src.durationSec : 0;
  }
}

export function compare(observed: number, op: Comparator, value: number): boolean {
  if (!Number.isFinite(observed)) return false;
  switch (op) {
    case '<': return observed < value;
    case '<=': return observed <= value;
    case '>': return observed > value;
    case '>=': return observed >= value;
    case '==': return observed === value;
  }
}

export function formatObserved(metric: ThresholdMetric, observed: number): string {
  if (!Number.isFinite(observed)) return 'no data';
  switch (metric.kind) {
    case 'percentile':
    case 'latency':
      return `${observed < 10 ? observed.toFixed(2) : observed < 100 ? observed.toFixed(1) : Math.round(observed)} ms`;
    case 'error_rate':
    case 'checks':
    case 'dropped_rate':
      return `${(observed * 100).toFixed(2)}%`;
    case 'dropped_iterations':
      return String(observed);
    case 'rps':
      return `${observed.toFixed(1)}/s`;
  }
}

export function evaluateThreshold(t: Threshold, src: MetricSource): ThresholdResult {
  const observed = observe(t.metric, src);
  // A step that never ran has no latency: that fails a latency threshold (nothing was shown to be fast).
  return { threshold: t.expr, scope: t.scope ?? 'all requests', observed, observedText: formatObserved(t.metric, observed), pass: compare(observed, t.op, t.value) };
}
