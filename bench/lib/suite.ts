// What a benchmark suite is, and what it hands back. A suite measures; bench/run.ts prints, saves and
// publishes (terminal table, results JSON, HTML report, docs/performance.md) from these structures only,
// so a new suite needs no reporting code of its own.
import type { Loadgen } from './loadgen.ts';
import type { MachineInfo } from './machine.ts';

export interface RunOptions {
  /** Length of one measured load run, in seconds. */
  durationSec: number;
  /** Warm-up load before measuring each target, in seconds. */
  warmupSec: number;
  /** Measured runs per side; runs alternate (holdfast, baseline, holdfast, baseline, ...). */
  rounds: number;
  connections: number;
  /** Idle time before the memory snapshot, in seconds. */
  idleSec: number;
  quick: boolean;
  loadgen: Loadgen;
  /** Which product URL the catalog suite measures: the HTML page, the JSON API, or the page when it exists. */
  productPath: 'auto' | 'page' | 'api';
  /** The overload suite's capacity C (journeys/s), given rather than searched for. */
  capacity?: number;
}

export interface SuiteContext {
  options: RunOptions;
  /** A scratch folder for this suite (removed at the end of the run). */
  scratchDir: string;
  /** One progress line, printed at once (the run can take minutes). */
  progress(msg: string): void;
}

/** A target the run checks: `value` against `target` with `comparator`. */
export interface Check {
  label: string;
  value: number;
  target: number;
  comparator: '>=' | '<=' | '<';
  unit: string;
  pass: boolean;
}

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Detail tables go to the terminal, the JSON and the HTML report, not to docs/performance.md. */
  detail?: boolean;
}

/** A horizontal bar chart: one bar per item, optionally with a target line. */
export interface Chart {
  title: string;
  unit: string;
  bars: { label: string; value: number; series?: string }[];
  target?: { value: number; label: string };
}

export interface SuiteOutcome {
  /** Headline tables (also what docs/performance.md shows). */
  tables: Table[];
  checks: Check[];
  charts: Chart[];
  /** Things a reader of the figures must know (a fallback endpoint, errors seen during a run, ...). */
  notes: string[];
  /** Every raw measurement, for the JSON results. */
  data: unknown;
}

export interface SuiteResult extends Partial<SuiteOutcome> {
  name: string;
  title: string;
  status: 'ok' | 'failed';
  error?: string;
  measuredAt: string;
  elapsedSec: number;
  machine: MachineInfo;
  options: Omit<RunOptions, 'loadgen'> & { loadgen: string };
  /** Set on results kept from an earlier run because this run did not include the suite. */
  carriedOver?: boolean;
}

export interface Suite {
  name: string;
  title: string;
  /** One paragraph: what it measures and against what. */
  description: string;
  /** Runs when no --suite is given. */
  byDefault: boolean;
  run(ctx: SuiteContext): Promise<SuiteOutcome>;
}

export function check(label: string, value: number, comparator: Check['comparator'], target: number, unit: string): Check {
  const pass = comparator === '>=' ? value >= target : comparator === '<=' ? value <= target : value < target;
  return { label, value, target, comparator, unit, pass: Number.isFinite(value) && pass };
}

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** KiB (as /proc reports) to MB (10^6 bytes: the stricter reading of a target in MB). */
export function kibToMB(kib: number): number {
  return (kib * 1024) / 1e6;
}
