// The capacity history in PostgreSQL: record a run (compared, under a lock, with the previous comparable
// run), list the history, read the latest run.
import type pg from 'pg';
import { query, withTransaction, type Queryable } from '../platform/db/database.ts';
import { CapacityQueries as Q } from './capacity-queries.ts';
import { CapacityErrors } from './capacity-errors.ts';
import { comparableKey, compareWithPrevious, type CapacityRun, type CapacityRunInput } from './capacity-history.ts';

interface RunRow {
  id: number; recorded_at: Date; scenario: string; target: string; slo: string; step_duration_seconds: number; version: string;
  replicas: number; sustainable_rate: number | null; sustainable_requests_per_sec: number | null; breaking_rate: number | null;
  bottleneck: CapacityRun['bottleneck']; deployment: CapacityRun['deployment']; comparison: CapacityRun['comparison'];
  role_replicas: Record<string, number> | null; notes: string[] | null;
}

const toRun = (r: RunRow): CapacityRun => ({
  id: r.id, recordedAt: r.recorded_at.toISOString(), scenario: r.scenario, target: r.target, slo: r.slo, stepDurationSec: r.step_duration_seconds,
  version: r.version, replicas: r.replicas, sustainableRate: r.sustainable_rate, sustainableRequestsPerSec: r.sustainable_requests_per_sec,
  breakingRate: r.breaking_rate, bottleneck: r.bottleneck, deployment: { pools: r.deployment?.pools ?? {}, bulkheads: r.deployment?.bulkheads ?? {} }, comparison: r.comparison,
  roleReplicas: r.role_replicas, notes: r.notes ?? [],
});

/** What a schema cannot say about a run: the rates in their order. */
export function capacityRunProblems(run: CapacityRunInput): string[] {
  const problems: string[] = [];
  if (run.sustainableRate !== null && run.breakingRate !== null && run.breakingRate <= run.sustainableRate) {
    problems.push(`/breakingRate: ${run.breakingRate} must be above sustainableRate ${run.sustainableRate}`);
  }
  if (run.sustainableRate === null && run.sustainableRequestsPerSec !== null) problems.push('/sustainableRequestsPerSec: must be null when sustainableRate is null');
  const storefront = run.roleReplicas?.storefront;
  if (storefront !== undefined && storefront !== run.replicas) problems.push(`/roleReplicas/storefront: ${storefront} must equal replicas ${run.replicas}`);
  return problems;
}

export async function recordCapacityRun(pool: pg.Pool, run: CapacityRunInput, version: string): Promise<CapacityRun> {
  const problems = capacityRunProblems(run);
  if (problems.length) throw CapacityErrors.CAPACITY_RUN_INVALID(undefined, { problems });
  const key = comparableKey(run);
  return withTransaction(pool, async (client) => {
    await query(client, Q.lockComparable, [key]);
    const prev = (await query<RunRow>(client, Q.previousComparable, [key])).rows[0];
    const comparison = compareWithPrevious(prev ? toRun(prev) : undefined, { ...run, version });
    const inserted = await query<RunRow>(client, Q.insertRun, [
      run.scenario, run.target, run.slo, run.stepDurationSec, key, version, run.replicas, run.sustainableRate, run.sustainableRequestsPerSec,
      run.breakingRate, run.bottleneck === null ? null : JSON.stringify(run.bottleneck), JSON.stringify(run.deployment),
      comparison === null ? null : JSON.stringify(comparison), run.report === undefined ? null : JSON.stringify(run.report),
      run.roleReplicas ? JSON.stringify(run.roleReplicas) : null, JSON.stringify(run.notes ?? []),
    ]);
    return toRun(inserted.rows[0]!);
  });
}

export async function listCapacityRuns(db: Queryable, opts: { scenario?: string; limit: number }): Promise<CapacityRun[]> {
  return (await query<RunRow>(db, Q.listRuns, [opts.scenario ?? null, opts.limit])).rows.map(toRun);
}

export async function latestCapacityRun(db: Queryable, scenario?: string): Promise<CapacityRun | null> {
  const row = (await query<RunRow>(db, Q.latestRun, [scenario ?? null])).rows[0];
  return row ? toRun(row) : null;
}
