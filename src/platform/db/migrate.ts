// Numbered SQL migrations (src/platform/db/migrations/NNN-name.sql), applied in order, each in its own
// transaction. A session-level advisory lock serialises concurrent runners (two processes starting at
// once), and applied migrations are recorded, so running twice is a no-op.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export const MIGRATIONS_LOCK_KEY = 727_401_001; // arbitrary, fixed: identifies "holdfast migrations" among advisory locks

export interface MigrationResult { applied: string[]; alreadyApplied: number }

export async function listMigrations(): Promise<{ id: string; file: string }[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f)).sort();
  return files.map((file) => ({ id: file.replace(/\.sql$/, ''), file: path.join(MIGRATIONS_DIR, file) }));
}

export async function migrate(pool: pg.Pool): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ id: string }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const m of await listMigrations()) {
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
