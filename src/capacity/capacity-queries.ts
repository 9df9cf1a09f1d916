// The capacity context's named queries (its table: migrations/019-capacity-runs.sql, 020-capacity-run-role-replicas.sql).
import type { NamedQuery } from '../platform/db/database.ts';

const COLUMNS = `id, recorded_at, scenario, target, slo, step_duration_seconds, version, replicas, sustainable_rate,
  sustainable_requests_per_sec, breaking_rate, bottleneck, deployment, comparison, role_replicas, notes`;

export const CapacityQueries = {
  /** Serialises the recording of comparable runs, so each compares with the one truly before it. */
  lockComparable: { name: 'capacity.lock_comparable', text: `SELECT pg_advisory_xact_lock(hashtext('capacity_runs:' || $1))` },
  previousComparable: {
    name: 'capacity.previous_comparable',
    text: `SELECT ${COLUMNS} FROM capacity_runs WHERE comparable_key = $1 ORDER BY id DESC LIMIT 1`,
  },
  insertRun: {
    name: 'capacity.insert_run',
    text: `INSERT INTO capacity_runs (scenario, target, slo, step_duration_seconds, comparable_key, version, replicas, sustainable_rate,
             sustainable_requests_per_sec, breaking_rate, bottleneck, deployment, comparison, report, role_replicas, notes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
           RETURNING ${COLUMNS}`,
  },
  listRuns: {
    name: 'capacity.list_runs',
    text: `SELECT ${COLUMNS} FROM capacity_runs WHERE ($1::text IS NULL OR scenario = $1) ORDER BY id DESC LIMIT $2`,
  },
  latestRun: {
    name: 'capacity.latest_run',
    text: `SELECT ${COLUMNS} FROM capacity_runs WHERE ($1::text IS NULL OR scenario = $1) ORDER BY id DESC LIMIT 1`,
  },
} satisfies Record<string, NamedQuery>;
