// One replica's room against PostgreSQL, as a surge meets it: newcomers arriving faster than the room's
// rate after a quiet minute are let in at the rate, paced over each synchronisation, not a whole minute's
// worth at once; and a waiting shopper's estimate follows the frontier's pace.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { WaitingRoom } from './waiting-room-service.ts';
import type { AdmissionDecision } from './admission.ts';

const dbs: TestDatabase[] = [];
after(async () => { for (const db of dbs) await db.drop(); });

const logger = createLogger({ level: 'silent', service: 'test' });

async function room(settings: Record<string, unknown>): Promise<WaitingRoom> {
  const db = await createTestDatabase();
  dbs.push(db);
  const r = new WaitingRoom({ pool: db.pool, configured: settings, syncMs: 1000, logger });
  await r.init();
  return r;
}

/** `n` newcomers (no pass) at `now`, one after the other. */
async function newcomers(r: WaitingRoom, n: number, now: number): Promise<AdmissionDecision[]> {
  const out: AdmissionDecision[] = [];
  for (let i = 0; i < n; i++) out.push(await r.decide(undefined, now));
  return out;
}

/**
 * `n` newcomers (no pass) at `now`, all at once, as a surge's requests reach the room: their tickets are
 * taken in shared batches. (One after the other, each queued newcomer waits out the ticket dispenser's
 * batch window, up to 10 ms, so 400 of them would take seconds to arrive.)
 */
function surge(r: WaitingRoom, n: number, now: number): Promise<AdmissionDecision[]> {
  return Promise.all(Array.from({ length: n }, () => r.decide(undefined, now)));
}

test('a surge after a quiet minute is let in at the room\'s rate, a synchronisation interval\'s share at a time', async () => {
  // 1200 a minute is 20 a second; the synchronisation runs every second.
  const r = await room({ mode: 'on', totalActiveUsers: 1200, newUsersPerMinute: 1200, sessionDurationSeconds: 60 });
  try {
    const started = Date.now();
    const first = await newcomers(r, 100, Date.now());
    const inAtOnce = first.filter((d) => d.kind === 'admit').length;
    const seconds = (Date.now() - started) / 1000;
    assert.ok(inAtOnce >= 10 && inAtOnce <= Math.max(10, Math.ceil(20 * (seconds + 0.5))),
      `${inAtOnce} straight in within ${seconds} s: the pace's share, the others queue (unpaced: all 100, a twelfth of the minute in an instant)`);
    assert.ok(first.slice(inAtOnce).every((d) => d.kind === 'queue'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = await r.status();
    const total = status.admittedLastMinute;
    const elapsed = (Date.now() - started) / 1000;
    assert.ok(total > inAtOnce && total <= Math.ceil(20 * (elapsed + 0.5)), `${total} let in after ${elapsed} s: the queue goes on at 20 a second`);
    assert.equal(status.queuedUsers, 100 - total);
  } finally {
    await r.stop();
  }
});

test('a newcomer\'s estimated wait follows the frontier\'s pace, not the still-filling last minute', async () => {
  const r = await room({ mode: 'on', totalActiveUsers: 1200, newUsersPerMinute: 1200, sessionDurationSeconds: 60 });
  try {
    await surge(r, 400, Date.now());
    const from = await r.status();
    const started = Date.now();
    // Seven synchronisations a second apart: up to 20 let in from the queue at each.
    for (let i = 0; i < 7; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await r.sync();
    }
    const to = await r.status();
    // The pace the frontier kept, as the shoppers met it. At most the room's 20 a second; less when each
    // synchronisation waits for a busy database (the pace's brake, decision 0033): about 13 on a loaded
    // CI machine.
    const pace = (to.admittedLastMinute - from.admittedLastMinute) / ((Date.now() - started) / 1000);
    assert.ok(pace >= 5 && pace <= 22, `frontier pace ${pace.toFixed(1)} a second`);
    const [late] = await newcomers(r, 1, Date.now());
    assert.ok(late?.kind === 'queue', JSON.stringify(late));
    const ahead = late.status.position - 1;
    // Everyone still waiting is ahead of the late newcomer (however far the frontier got).
    assert.ok(ahead >= 100 && Math.abs(ahead - to.queuedUsers) <= 5, `ahead: ${ahead}, queued: ${to.queuedUsers}`);
    // At the frontier's pace, plus the second of the synchronisation that shows it (the shopper is asked
    // back then); the last minute's count (its first seconds of a minute) would have said several times more.
    const expected = ahead / pace + 1;
    assert.ok(late.status.waitTimeKnown && Math.abs(late.status.waitTimeSeconds - expected) <= 0.25 * expected,
      `estimated ${late.status.waitTimeSeconds} s for ${ahead} ahead at ${pace.toFixed(1)} a second`);
    const byLastMinute = (ahead / to.admittedLastMinute) * 60;
    assert.ok(late.status.waitTimeSeconds < byLastMinute / 2, `estimated ${late.status.waitTimeSeconds} s, the last minute's count says ${byLastMinute.toFixed(0)} s`);
  } finally {
    await r.stop();
  }
});

test('a synchronisation that comes late (a busy database) lets in the share of the time since the last one, so the pace holds', async () => {
  const r = await room({ mode: 'on', totalActiveUsers: 1200, newUsersPerMinute: 1200, sessionDurationSeconds: 60 });
  try {
    await newcomers(r, 200, Date.now());
    const before = (await r.status()).admittedLastMinute;
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const after = (await r.status()).admittedLastMinute;
    // Three seconds at 20 a second (a little more for the time the synchronisations themselves took).
    assert.ok(after - before >= 60 && after - before <= 80, `${after - before} let in over ~3 s`);
  } finally {
    await r.stop();
  }
});
