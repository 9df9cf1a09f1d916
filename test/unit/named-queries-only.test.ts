// Every query a context runs goes through the named-query runner (src/platform/db/database.ts: query()),
// so it is timed in holdfast_db_query_duration_seconds{query}, traced, and slowed by the db.slow fault.
// A statement sent straight to a pool or client is allowed only in the mechanisms that own a connection
// for themselves: the runner, the migration runner, the LISTEN connection, the embedded server's set-up
// and the queue adapter's pg-boss plumbing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sourceFiles } from '../../scripts/gen-errors-doc.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const MECHANISMS = new Set([
  'src/platform/db/database.ts', 'src/platform/db/migrate.ts', 'src/platform/db/notification-listener.ts',
  'src/platform/db/embedded-postgres.ts', 'src/platform/queue/pg-boss-queue.ts',
]);

/** `x.query(` or `x.query<T>(`: a statement sent on a pool or client directly. */
const RAW_QUERY = /\.query\s*(<[^>(]*>)?\s*\(/;

test('the pattern finds a statement sent on a pool or client, and not a call of the runner', () => {
  assert.match('await pool.query(`SELECT 1`)', RAW_QUERY);
  assert.match('(await db.query<{ n: number }>(`SELECT 1`)).rows', RAW_QUERY);
  assert.doesNotMatch('await query(db, Q.get, [id])', RAW_QUERY);
  assert.doesNotMatch('await query<OrderRow>(tx, Q.getForUpdate, [id])', RAW_QUERY);
});

test('no code outside the database mechanisms sends a statement past the named-query runner', async () => {
  const offenders: string[] = [];
  for (const file of await sourceFiles(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, file);
    if (MECHANISMS.has(rel)) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => { if (RAW_QUERY.test(line) && !/^\s*(\/\/|\*)/.test(line)) offenders.push(`${rel}:${i + 1}: ${line.trim()}`); });
  }
  assert.deepEqual(offenders, [], `statements outside query():\n${offenders.join('\n')}`);
});
