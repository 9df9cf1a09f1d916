// The pool as a database restart finds it, on the real test server: a checked-out client whose session
// the server ends, and waiting for a database that does not answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freePort } from '../../../test/helpers/free-port.ts';
import { createPool, databaseProbe, waitForDatabase, withTransactionRetried } from './database.ts';

const adminUrl = process.env.HOLDFAST_TEST_PG_URL;

test('a checked-out client whose session the server ends does not take the process down', { skip: !adminUrl && 'needs HOLDFAST_TEST_PG_URL (npm test)' }, async () => {
  const pool = createPool(adminUrl!, 2, 'holdfast-pool-test');
  const other = new pg.Client({ connectionString: adminUrl });
  await other.connect();
  try {
    // Checked out and idle, as in a transaction awaiting other work: the pool no longer listens on it.
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    // What a fast shutdown does to every session (57P01 admin_shutdown); pg then emits 'error' on the client.
    await other.query('SELECT pg_terminate_backend($1)', [pid]);
    await new Promise((r) => setTimeout(r, 300));
    const next = await client.query('SELECT 1').then(() => 'answered', (err: Error) => err.message);
    assert.notEqual(next, 'answered', 'the terminated session cannot answer');
    client.release();
    // The pool discards the broken client and connects afresh.
    assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
  } finally {
    await other.end();
    await pool.end();
  }
});

test('waitForDatabase gives up at its deadline when nothing answers, and returns at once when the database does', async () => {
  const closed = createPool(`postgres://nobody@127.0.0.1:${await freePort()}/nothing`, 1, 'holdfast-wait-test');
  try {
    const started = Date.now();
    assert.equal(await waitForDatabase(closed, { deadline: Date.now() + 600 }), false);
    const waited = Date.now() - started;
    assert.ok(waited >= 500, `waited until the deadline (${waited} ms)`);
    let asked = 0;
    assert.equal(await waitForDatabase(closed, { deadline: Date.now() + 60_000, stopped: () => ++asked > 1 }), false, 'stops when told to');
  } finally {
    await closed.end();
  }
  if (!adminUrl) return;
  const live = createPool(adminUrl, 1, 'holdfast-wait-test');
  try {
    assert.equal(await waitForDatabase(live, { deadline: Date.now() + 5000 }), true);
  } finally {
    await live.end();
  }
});

test('a transaction PostgreSQL gives up for a real deadlock is run again and commits; other errors are not retried', { skip: !adminUrl && 'needs HOLDFAST_TEST_PG_URL (npm test)' }, async () => {
  const pool = createPool(adminUrl!, 4, 'holdfast-retry-test');
  const table = `retry_test_${process.pid}`;
  try {
    await pool.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    await pool.query(`INSERT INTO ${table} (id) VALUES (1), (2)`);
    // Two transactions locking the same two rows in opposite orders: one of them is the deadlock's victim.
    let runs = 0;
    const both = (first: number, second: number) => withTransactionRetried(pool, async (client) => {
      runs++;
      await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [first]);
      await new Promise((r) => setTimeout(r, 200));
      await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [second]);
    });
    await Promise.all([both(1, 2), both(2, 1)]);
    assert.ok(runs >= 3, `the victim ran again (${runs} runs)`);
    const rows = (await pool.query<{ n: number }>(`SELECT n FROM ${table} ORDER BY id`)).rows.map((r) => r.n);
    assert.deepEqual(rows, [2, 2], 'both transactions committed once each');
    let plain = 0;
    await assert.rejects(withTransactionRetried(pool, async (client) => { plain++; await client.query('SELECT 1/0'); }), /division by zero/);
    assert.equal(plain, 1);
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  }
});

test('readiness under a surge: a pool busy with queries that keep completing is a database that answers; a pool that hands nothing back is not', { skip: !adminUrl && 'needs HOLDFAST_TEST_PG_URL (npm test)' }, async () => {
  const pool = createPool(adminUrl!, 2, 'holdfast-probe-test', { waitTimeoutMs: 5000 });
  const probe = databaseProbe(pool, 200);
  try {
    assert.equal(await probe(), true, 'an idle pool: SELECT 1 answers');
    // Twelve callers for two connections, each query 150 ms: a queue about a second long that keeps moving.
    let surging = true;
    const surge = Array.from({ length: 12 }, async () => { while (surging) await pool.query('SELECT pg_sleep(0.15)'); });
    await new Promise((r) => setTimeout(r, 400));
    const answers: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      answers.push(await probe());
      await new Promise((r) => setTimeout(r, 150));
    }
    surging = false;
    await Promise.all(surge);
    assert.deepEqual(answers, answers.map(() => true), 'ready all through the surge: a probe queued behind it would have waited past 200 ms');
    // Both connections held and nothing coming back: stuck, not ready.
    const held = [pool.query('SELECT pg_sleep(1.2)'), pool.query('SELECT pg_sleep(1.2)')];
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await probe(), false, 'no connection came back within the bound');
    await Promise.all(held);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await probe(), true, 'answers again once the pool moves');
  } finally {
    await pool.end();
  }
});
