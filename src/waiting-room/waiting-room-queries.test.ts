// The waiting room's shared row against PostgreSQL: two processes starting at once both get the same
// room (the same pass secret), the second after waiting for the first's insert to commit.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { ensureRoom } from './waiting-room-queries.ts';

const dbs: TestDatabase[] = [];
after(async () => { for (const db of dbs) await db.drop(); });

test('a second process making the room while the first has not committed gets the first one\'s room', async () => {
  const db = await createTestDatabase();
  dbs.push(db);
  const first = await db.pool.connect();
  try {
    await first.query('BEGIN');
    const made = await ensureRoom(first, 'a'.repeat(43));
    assert.equal(made.secret, 'a'.repeat(43));
    const second = ensureRoom(db.pool, 'b'.repeat(43));
    // Let the second insert reach the lock the first holds, then commit the first.
    await new Promise((r) => setTimeout(r, 300));
    await first.query('COMMIT');
    const found = await second;
    assert.equal(found.secret, 'a'.repeat(43), 'one room, one secret');
  } finally {
    first.release();
  }
  assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM waiting_room')).rows[0].n, 1);
});
