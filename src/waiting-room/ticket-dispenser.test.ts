// Newcomers' tickets under a surge, against PostgreSQL: taken in the order the newcomers arrived, a
// batch per insert with one insert in flight, and a failed insert fails only the newcomers in it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { ensureRoom, takeTickets } from './waiting-room-queries.ts';
import { ticketDispenser } from './ticket-dispenser.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
  await ensureRoom(db.pool, 'a'.repeat(43));
});
after(async () => { await db.drop(); });

test('one insert gives a batch of newcomers tickets in the order of the batch', async () => {
  const ids = Array.from({ length: 200 }, (_, i) => `order-${String(i).padStart(3, '0')}-${Math.random().toString(36).slice(2)}`);
  const tickets = await takeTickets(db.pool, ids);
  const inOrder = ids.map((id) => tickets.get(id)!);
  assert.equal(new Set(inOrder).size, 200);
  for (let i = 1; i < inOrder.length; i++) assert.ok(inOrder[i]! > inOrder[i - 1]!, `visitor ${i} got ${inOrder[i]} after ${inOrder[i - 1]}`);
});

test('500 newcomers at once: tickets in the order they arrived, a few inserts, never two at once', async () => {
  let inserts = 0; let inFlight = 0; let mostInFlight = 0;
  const dispenser = ticketDispenser(async (ids) => {
    inserts++; inFlight++; mostInFlight = Math.max(mostInFlight, inFlight);
    try { return await takeTickets(db.pool, ids); } finally { inFlight--; }
  });
  // Arriving over a few turns of the event loop, as requests do.
  const taken: Promise<number>[] = [];
  for (let i = 0; i < 500; i++) {
    taken.push(dispenser.take(`surge-${i}-${Math.random().toString(36).slice(2)}`));
    if (i % 50 === 49) await new Promise((r) => setImmediate(r));
  }
  const tickets = await Promise.all(taken);
  for (let i = 1; i < tickets.length; i++) assert.ok(tickets[i]! > tickets[i - 1]!, `newcomer ${i} got ticket ${tickets[i]} after ${tickets[i - 1]}`);
  assert.equal(mostInFlight, 1, 'one insert in flight at a time');
  assert.ok(inserts <= 20, `500 newcomers took ${inserts} inserts`);
  const rows = (await db.pool.query('SELECT count(*)::int AS n FROM waiting_room_queue WHERE visitor_id LIKE \'surge-%\'')).rows[0].n;
  assert.equal(rows, 500, 'every newcomer is in the queue');
});

test('a lone newcomer is not held back, and a failed insert fails only its own batch', async () => {
  let fail = true;
  const dispenser = ticketDispenser(async (ids) => {
    if (fail) { fail = false; throw new Error('connection lost'); }
    return takeTickets(db.pool, ids);
  });
  await assert.rejects(dispenser.take(`lone-${Math.random()}`), /connection lost/);
  const ticket = await dispenser.take(`next-${Math.random()}`);
  assert.ok(ticket > 0, 'the next newcomer gets a ticket');
});
