// The change log on PostgreSQL: changes come back in the order they were made, filtered by time and kind;
// a reader following the log by id misses none; a kind outside the closed list is refused by the table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { recordChange, changesBetween, changesAfter, lastChange, CHANGES_CHANNEL, type ChangeKind } from './change-log.ts';

let db: TestDatabase;
before(async () => { db = await createTestDatabase(); });
after(async () => { await db?.drop(); });

test('changes are listed oldest first, by window and kind, and followed by id without gaps', async () => {
  const from = new Date(Date.now() - 1000);
  const listener = new pg.Client({ connectionString: db.url });
  await listener.connect();
  const notified: string[] = [];
  listener.on('notification', (n) => { if (n.channel === CHANGES_CHANNEL && n.payload) notified.push(n.payload); });
  await listener.query(`LISTEN ${CHANGES_CHANNEL}`);
  try {
    const a = await recordChange(db.pool, { kind: 'fault.set', subject: 'psp.latency', summary: 'fault psp.latency set (latencyMs 2000)', source: 'storefront', details: { params: { latencyMs: 2000 } } });
    const b = await recordChange(db.pool, { kind: 'process.started', subject: 'payments', summary: 'payments started', source: 'payments' });
    const c = await recordChange(db.pool, { kind: 'fault.cleared', subject: 'psp.latency', summary: 'x'.repeat(800), source: 'storefront' });
    assert.ok(a.id < b.id && b.id < c.id);
    assert.equal(c.summary.length, 500, 'a long summary is cut to the table limit, not refused');
    const all = await changesBetween(db.pool, { from, to: new Date(Date.now() + 1000) });
    assert.deepEqual(all.map((e) => e.kind), ['fault.set', 'process.started', 'fault.cleared']);
    assert.deepEqual(all[0]!.details, { params: { latencyMs: 2000 } });
    const faults = await changesBetween(db.pool, { from, to: new Date(Date.now() + 1000), kinds: ['fault.set', 'fault.cleared'] });
    assert.deepEqual(faults.map((e) => e.id), [a.id, c.id]);
    assert.deepEqual((await changesAfter(db.pool, a.id)).map((e) => e.id), [b.id, c.id]);
    assert.equal((await lastChange(db.pool, 'fault.set', 'psp.latency'))?.id, a.id);
    assert.equal(await lastChange(db.pool, 'fault.set', 'db.slow'), undefined);
    for (let i = 0; i < 50 && notified.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(notified, [String(a.id), String(b.id), String(c.id)], 'every change is announced with its id');
  } finally {
    await listener.end();
  }
});

test('the table refuses a kind outside the pattern (a reader can rely on <area>.<what>)', async () => {
  await assert.rejects(
    recordChange(db.pool, { kind: 'Fault Set' as ChangeKind, subject: 's', summary: 's', source: 't' }),
    (err: { code?: string }) => err.code === '23514',
  );
});
