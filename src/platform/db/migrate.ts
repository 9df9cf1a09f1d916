// The migration runner. Each context owns the SQL of its tables and functions as numbered migrations in
// its own folder (src/<context>/migrations/NNN-name.sql); the composition root passes every folder, and
// the runner applies the files of all of them in one global order of their numbers, each in its own
// transaction. A migration's id is its file name without .sql (what schema_migrations records), so
// moving a file between folders re-runs nothing. A session-level advisory lock serialises concurrent
// runners (two processes starting at once), and applied migrations are recorded, so running twice is a
// no-op. The runner's own statements go straight to its client: they are the mechanism, not a context's
// queries.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

export const MIGRATIONS_LOCK_KEY = 727_401_001; // arbitrary, fixed: identifies "holdfast migrations" among advisory locks

export interface MigrationResult { applied: string[]; alreadyApplied: number }

/** The migrations of every folder, in the order of their numbers; two files with one number are refused. */
export async function listMigrations(folders: readonly string[]): Promise<{ id: string; file: string }[]> {
  const found: { id: string; file: string }[] = [];
  for (const folder of folders) {
    for (const name of await readdir(folder)) {
      if (/^\d{3}-[a-z0-9-]+\.sql$/.test(name)) found.push({ id: name.replace(/\.sql$/, ''), file: path.join(folder, name) });
    }
  }
  found.sort((a, b) => a.id.localeCompare(b.id));
  for (let i = 1; i < found.length; i++) {
    if (found[i]!.id.slice(0, 3) === found[i - 1]!.id.slice(0, 3)) {
      throw new Error(`two migrations are numbered ${found[i]!.id.slice(0, 3)}: ${found[i - 1]!.file} and ${found[i]!.file}`);
    }
  }
  return found;
}

export async function migrate(pool: pg.Pool, folders: readonly string[]): Promise<MigrationResult> {
  const migrations = await listMigrations(folders);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      const sql = await readFile(m.file, 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [m.id]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.id} failed: ${(err as Error).message}`);
      }
      applied.push(m.id);
    }
    return { applied, alreadyApplied: done.size };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATIONS_LOCK_KEY]).catch(() => {});
    client.release();
  }
}
