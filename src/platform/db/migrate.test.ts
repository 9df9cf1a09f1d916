// The migration runner over several owners' folders: one global order of numbers, one id per file name,
// so a migration moved to another folder (its owner changed) is not applied again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase } from '../../../test/helpers/test-db.ts';
import { listMigrations, migrate } from './migrate.ts';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

async function folders(files: Record<string, Record<string, string>>): Promise<Record<string, string>> {
  const root = await mkdtemp(path.join(tmpdir(), 'holdfast-migrations-'));
  dirs.push(root);
  const out: Record<string, string> = {};
  for (const [owner, sqls] of Object.entries(files)) {
    out[owner] = path.join(root, owner);
    await mkdir(out[owner]!, { recursive: true });
    for (const [name, sql] of Object.entries(sqls)) await writeFile(path.join(out[owner]!, name), sql);
  }
  return out;
}

test('migrations of several folders apply in the order of their numbers; two files with one number are refused', async () => {
  const f = await folders({
    orders: { '001-core.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);', '003-more.sql': 'ALTER TABLE widgets ADD COLUMN c int;' },
    cart: { '002-parts.sql': 'CREATE TABLE parts (widget int REFERENCES widgets);', 'notes.txt': 'not a migration' },
  });
  assert.deepEqual((await listMigrations([f.cart!, f.orders!])).map((m) => m.id), ['001-core', '002-parts', '003-more']);
  const clash = await folders({ a: { '004-x.sql': '' }, b: { '004-y.sql': '' } });
  await assert.rejects(listMigrations([clash.a!, clash.b!]), /two migrations are numbered 004/);
});

test('a migration moved to another folder keeps its id and is not applied again', { skip: !process.env.HOLDFAST_TEST_PG_URL && 'needs HOLDFAST_TEST_PG_URL (npm test)' }, async () => {
  const db = await createTestDatabase({ empty: true });
  try {
    const f = await folders({
      platform: { '001-widgets.sql': 'CREATE TABLE widgets (id int PRIMARY KEY);' },
      orders: { '002-orders.sql': 'CREATE TABLE orders_x (id int);' },
      checkout: {},
    });
    assert.deepEqual((await migrate(db.pool, [f.platform!, f.orders!, f.checkout!])).applied, ['001-widgets', '002-orders']);
    // The orders' migration changes owner; running it again would fail (the table exists).
    await rename(path.join(f.orders!, '002-orders.sql'), path.join(f.checkout!, '002-orders.sql'));
    const again = await migrate(db.pool, [f.platform!, f.orders!, f.checkout!]);
    assert.deepEqual(again, { applied: [], alreadyApplied: 2 });
  } finally {
    await db.drop();
  }
});
