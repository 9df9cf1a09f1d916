// Checkout's housekeeping purges old idempotency records about once an hour; a purge that fails (the
// database away, here its table renamed for a moment) is tried again at the next tick, not an hour later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createTestDatabase } from '../../test/helpers/test-db.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { startIdempotencyPurge } from './idempotency-purge.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a failed purge of old idempotency records is retried at the next tick', { skip: !process.env.HOLDFAST_TEST_PG_URL && 'needs HOLDFAST_TEST_PG_URL (npm test)' }, async () => {
  const db = await createTestDatabase();
  const lines: { msg: string }[] = [];
  const logger = createLogger({
    level: 'info', service: 'housekeeping-test',
    destination: new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }),
  });
  const stale = () => db.pool.query(`SELECT count(*)::int AS n FROM idempotency_records WHERE key = 'stale'`).then((r) => r.rows[0].n as number);
  let housekeeping: { stop(): void } | undefined;
  try {
    await db.pool.query(`INSERT INTO idempotency_records (scope, key, request_hash, response_status, response_body, created_at)
                         VALUES ('checkout', 'stale', 'h', 202, '{}', now() - interval '2 days')`);
    await db.pool.query('ALTER TABLE idempotency_records RENAME TO idempotency_records_away');
    housekeeping = startIdempotencyPurge(db.pool, logger, 50);
    for (const deadline = Date.now() + 10_000; !lines.some((l) => /checkout housekeeping failed/.test(l.msg)) && Date.now() < deadline;) await sleep(20);
    assert.ok(lines.some((l) => /checkout housekeeping failed/.test(l.msg)), 'the first purge failed');
    await db.pool.query('ALTER TABLE idempotency_records_away RENAME TO idempotency_records');
    for (const deadline = Date.now() + 10_000; (await stale()) > 0 && Date.now() < deadline;) await sleep(50);
    assert.equal(await stale(), 0, 'the purge was tried again and removed the old record');
    assert.ok(lines.some((l) => /checkout housekeeping works again/.test(l.msg)), lines.map((l) => l.msg).join('\n'));
  } finally {
    housekeeping?.stop();
    await db.drop();
  }
});
