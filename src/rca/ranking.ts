// The result every ranker returns, and the shared first step: where the baseline ends.
import { detectChangePoint } from './change-point.ts';
import type { MetricKind } from './metric-kind.ts';
import { allTimestamps, type Telemetry } from './time-series.ts';

export interface MetricEvidence {
  service: string;
  metric: string;
  kind: MetricKind;
  /** which way it moved from its baseline */
  direction: 'up' | 'down';
  /** how far from baseline, in the ranker's units (robust units = baseline IQRs for ours and BARO) */
  score: number;
  baseline: number;
  /** the most anomalous reading after the fault start */
  peak: number;
  /** peak / baseline, when the baseline is non-zero */
  ratio?: number;
  /** first reading (unix s) at or after the fault start that is clearly anomalous */
  onset?: number;
  /** free-text notes on adjustments (traffic-explained, inherited from callees, ...) */
  notes?: string[];
}

export interface RankedService {
  service: string;
  score: number;
  /** strongest metrics first */
  evidence: MetricEvidence[];
  onset?: number;
  /** true for the service (or services) whose anomaly began first */
  firstToChange?: boolean;
}

export interface Ranking {
  method: string;
  injectTime: number;
  injectTimeSource: 'given' | 'detected' | 'fallback';
  ranked: RankedService[];
  /** 0..1: how clearly the top service stands out (ours only) */
  confidence?: number;
  /** a guess at the fault class from the top evidence (ours only) */
  faultClass?: string;
}

export interface RankOptions {
  /** fault start, unix seconds; readings at or after it are the fault window */
  injectTime?: number;
}

export type Ranker = (t: Telemetry, opts?: RankOptions) => Ranking;

/** The given inject time, else a detected change point, else the last fifth of the recording. */
export function resolveInjectTime(t: Telemetry, given?: number): { time: number; source: Ranking['injectTimeSource'] } {
  if (given !== undefined && Number.isFinite(given)) return { time: given, source: 'given' };
  const cp = detectChangePoint(t);
  if (cp) return { time: cp.time, source: 'detected' };
  const times = allTimestamps(t);
  const at = times[Math.max(1, Math.floor(times.length * 0.8))] ?? times[times.length - 1] ?? 0;
  return { time: at, source: 'fallback' };
}

/** Splits a series' readings at the fault start. */
export function splitAt(timestamps: readonly number[], values: readonly number[], injectTime: number): {
  before: number[]; after: number[]; afterTimes: number[];
} {
  const before: number[] = [];
  const after: number[] = [];
  const afterTimes: number[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    if (timestamps[i]! < injectTime) before.push(values[i]!);
    else { after.push(values[i]!); afterTimes.push(timestamps[i]!); }
  }
  return { before, after, afterTimes };
}
