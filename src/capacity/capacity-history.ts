// The capacity history's rules, apart from storage: which runs are comparable, how a run compares with the
// previous comparable one (capacity per replica; a drop of more than 10% is a regression, with both runs'
// bottlenecks named and what changed in the deployment between them), and the fingerprint of a deployment.
import { createHash } from 'node:crypto';

/** A drop in capacity per replica beyond this share of the previous comparable run's is a regression. */
export const REGRESSION_DROP = 0.1;

export interface CapacityBottleneck {
  /** db-pool, bulkhead, event-loop, cpu, rate-limit, client-errors, slowest-route (the load tester's kinds). */
  kind: string;
  /** The part of the system: "postgres pool main", "payments", "storefront". */
  component: string;
  message: string;
}

/**
 * What the target ran with, as its own /metrics showed during the run: each database pool's size and each
 * payment bulkhead's limit, by "<service>/<name>". Kept with the run, so a regression says what changed.
 */
export interface DeploymentFingerprint {
  pools: Record<string, number>;
  bulkheads: Record<string, number>;
}

export interface CapacityRunInput {
  scenario: string;
  target: string;
  slo: string;
  stepDurationSec: number;
  /** Highest rate (journeys/s) that met the SLO; null when even the first step broke it. */
  sustainableRate: number | null;
  sustainableRequestsPerSec: number | null;
  breakingRate: number | null;
  bottleneck: CapacityBottleneck | null;
  /** Replicas of the role that served the journeys (the storefront) during the run. */
  replicas: number;
  /**
   * Replicas of each role during the run, by role ("storefront", "payments"), as many as were known; the
   * storefront's equals `replicas`. Runs recorded before replicas were kept per role have none.
   */
  roleReplicas?: Record<string, number> | null;
  /** What the load tester said about the run as it recorded it (e.g. that the replicas changed while it ran). */
  notes?: string[];
  deployment: DeploymentFingerprint;
  /** The load tester's whole report, kept for reference. */
  report?: unknown;
}

export interface CapacityComparison {
  previousRunId: number;
  previousRecordedAt: string;
  previousRatePerReplica: number | null;
  ratePerReplica: number | null;
  /** (current − previous) / previous per replica, e.g. −0.62; null when the previous run had no rate. */
  change: number | null;
  regression: boolean;
  bottlenecks: { previous: string | null; current: string | null };
  /** What differed between the two runs: version, replicas, pool sizes, bulkhead limits. */
  changed: string[];
  message: string;
}

export interface CapacityRun extends CapacityRunInput {
  roleReplicas: Record<string, number> | null;
  notes: string[];
  id: number;
  recordedAt: string;
  version: string;
  comparison: CapacityComparison | null;
}

/** Runs are comparable when they drove the same scenario against the same target, judged by the same SLO in steps of the same length. */
export function comparableKey(run: Pick<CapacityRunInput, 'scenario' | 'target' | 'slo' | 'stepDurationSec'>): string {
  const target = run.target.trim().replace(/\/+$/, '').toLowerCase();
  return createHash('sha256').update(JSON.stringify([run.scenario, target, run.slo.replace(/\s+/g, ''), run.stepDurationSec])).digest('hex').slice(0, 32);
}

export const ratePerReplica = (run: Pick<CapacityRunInput, 'sustainableRate' | 'replicas'>): number | null =>
  run.sustainableRate === null ? null : run.sustainableRate / Math.max(1, run.replicas);

const fmt = (v: number) => (v >= 100 ? String(Math.round(v)) : String(Number(v.toFixed(v >= 10 ? 1 : 2))));
const bottleneckText = (b: CapacityBottleneck | null) => (b ? b.message : null);

function changedBetween(previous: CapacityRun, current: CapacityRunInput & { version: string }): string[] {
  const out: string[] = [];
  if (previous.version !== current.version) out.push(`version ${previous.version} → ${current.version}`);
  if (previous.replicas !== current.replicas) out.push(`replicas ${previous.replicas} → ${current.replicas}`);
  const [before, after] = [previous.roleReplicas ?? {}, current.roleReplicas ?? {}];
  for (const role of Object.keys(after).sort()) {
    if (role !== 'storefront' && before[role] !== undefined && before[role] !== after[role]) out.push(`${role} replicas ${before[role]} → ${after[role]}`);
  }
  for (const [what, label] of [['pools', 'pool'], ['bulkheads', 'bulkhead']] as const) {
    const before = previous.deployment[what] ?? {};
    const after = current.deployment[what] ?? {};
    for (const name of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      if (before[name] !== after[name]) out.push(`${label} ${name} max ${before[name] ?? 'absent'} → ${after[name] ?? 'absent'}`);
    }
  }
  return out;
}

/** How a run compares with the previous comparable one (null when there is none). */
export function compareWithPrevious(previous: CapacityRun | undefined, current: CapacityRunInput & { version: string }): CapacityComparison | null {
  if (!previous) return null;
  const prevRate = ratePerReplica(previous);
  const rate = ratePerReplica(current);
  const bottlenecks = { previous: bottleneckText(previous.bottleneck), current: bottleneckText(current.bottleneck) };
  const changed = changedBetween(previous, current);
  const base = { previousRunId: previous.id, previousRecordedAt: previous.recordedAt, previousRatePerReplica: prevRate, ratePerReplica: rate, bottlenecks, changed };
  if (prevRate === null || prevRate === 0) {
    return { ...base, change: null, regression: false, message: `run #${previous.id} found no sustainable rate: nothing to compare with` };
  }
  const change = ((rate ?? 0) - prevRate) / prevRate;
  const regression = change < -REGRESSION_DROP;
  const now = rate === null ? 'no sustainable rate' : `${fmt(rate)} journeys/s per replica`;
  const head = regression
    ? `regression: capacity per replica fell ${Math.round(-change * 100)}% since run #${previous.id} (${fmt(prevRate)} → ${now})`
    : `capacity per replica ${change >= 0 ? 'rose' : 'fell'} ${Math.abs(Math.round(change * 100))}% since run #${previous.id} (${fmt(prevRate)} → ${now}): within ${REGRESSION_DROP * 100}%${change >= 0 ? ' or better' : ''}`;
  const parts = [head];
  if (regression) {
    parts.push(`bottleneck then: ${bottlenecks.previous ?? 'none identified'}`);
    parts.push(`bottleneck now: ${bottlenecks.current ?? 'none identified'}`);
  }
  if (changed.length) parts.push(`changed: ${changed.join(', ')}`);
  return { ...base, change, regression, message: parts.join('; ') };
}
