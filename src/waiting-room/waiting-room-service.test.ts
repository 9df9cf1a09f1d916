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

test('a surge after a quiet minute is let in at the room\'s rate, a synchronisation interval\'s share at a time', async () => {
  // 1200 a minute is 20 a second; the synchronisation runs every second.
  const r = await room({ mode: 'on', totalActiveUsers: 1200, newUsersPerMinute: 1200, sessionDurationSeconds: 60 });
  try {
    const now = Date.now();
    const first = await newcomers(r, 100, now);
    const inAtOnce = first.filter((d) => d.kind === 'admit').length;
    assert.equal(inAtOnce, 20, 'one second\'s share straight in, the other 80 queue (unpaced: all 100, a twelfth of the minute in an instant)');
    assert.ok(first.slice(20).every((d) => d.kind === 'queue'));
    await r.sync();
    const status = await r.status();
    assert.equal(status.admittedLastMinute, 40, 'the next synchronisation lets the next 20 in from the queue');
    assert.equal(status.queuedUsers, 60);
  } finally {
    await r.stop();
  }
});

test('a newcomer\'s estimated wait follows the frontier\'s pace, not the still-filling last minute', async () => {
  const r = await room({ mode: 'on', totalActiveUsers: 1200, newUsersPerMinute: 1200, sessionDurationSeconds: 60 });
  try {
    await newcomers(r, 400, Date.now());
    // Seven synchronisations a second apart: 20 let in from the queue at each.
    for (let i = 0; i < 7; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await r.sync();
    }
    const [late] = await newcomers(r, 1, Date.now());
    assert.ok(late?.kind === 'queue', JSON.stringify(late));
    const ahead = late.status.position - 1;
    assert.ok(ahead >= 200 && ahead <= 260, `ahead: ${ahead}`);
    // At 20 a second, plus half the (default, 20 s) refresh interval; the last minute's 160 admissions would have said about 100 s.
    const expected = ahead / 20 + 10;
    assert.ok(late.status.waitTimeKnown && Math.abs(late.status.waitTimeSeconds - expected) <= 0.25 * expected,
      `estimated ${late.status.waitTimeSeconds} s for ${ahead} ahead at 20 a second`);
  } finally {
    await r.stop();
  }
});
