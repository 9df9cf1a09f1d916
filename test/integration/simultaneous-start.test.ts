// Many replicas starting at once, as autoscaling and Kubernetes start them: six `holdfast start --target`
// processes of mixed roles, spawned at the same instant on one empty database, all run the migrations and
// the queue set-up against each other and all become ready. (Concurrent pg-boss queue creation used to
// fail one of them with "deadlock detected"; the queue adapter now sets queues up under an advisory lock.)
// Node's start-up spreads processes over a second or so, which hides such races; so the test holds the
// migrations lock until all six wait on it, and releases them together.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { startRole, stopRole, freePortPair, type RoleProcess } from '../helpers/role-processes.ts';
import { MIGRATIONS_LOCK_KEY } from '../../src/platform/db/migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ROLES = ['storefront', 'storefront', 'payments', 'payments', 'psp', 'control'];

let db: TestDatabase | undefined;
const started: RoleProcess[] = [];
after(async () => {
  await Promise.all(started.map(stopRole));
  await db?.drop();
});

test('six processes of mixed roles started at the same instant on one empty database all become ready', { timeout: 180_000 }, async () => {
  db = await createTestDatabase({ empty: true });
  const pspPort = await freePortPair();
  const env = {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: `test-admin-${randomBytes(12).toString('hex')}`,
    HOLDFAST_SEED_ON_START: 'true', HOLDFAST_DATA_DIR: path.join(ROOT, '.holdfast-test', `simultaneous-${db.name}`),
    HOLDFAST_PSP_PORT: String(pspPort), HOLDFAST_CONTROL_PORT: '0',
  };
  const gate = await db.pool.connect();
  await gate.query('SELECT pg_advisory_lock($1)', [MIGRATIONS_LOCK_KEY]);
  const starting = ROLES.map((role) => startRole(role, env));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { rows } = await gate.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, [MIGRATIONS_LOCK_KEY]);
    if (rows[0]!.n >= ROLES.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await gate.query('SELECT pg_advisory_unlock($1)', [MIGRATIONS_LOCK_KEY]);
  gate.release();
  const results = await Promise.allSettled(starting);
  for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
  const failures = results.flatMap((r, i) => r.status === 'rejected' ? [`${ROLES[i]}: ${String(r.reason).slice(0, 2000)}`] : []);
  assert.deepEqual(failures, [], 'every process started');

  for (const p of started) {
    // A psp-only process serves the simulator's ports, not a main port.
    const url = p.url || `http://127.0.0.1:${pspPort}`;
    const res = await fetch(`${url}${p.url ? '/readyz' : '/v1/payment_intents?limit=1'}`, p.url ? {} : { headers: { authorization: 'Bearer sk_test_holdfast_primary' } });
    assert.equal(res.status, 200, `${p.role} at ${url} is ready: ${await res.text()}`);
  }
  const migrations = await db.pool.query('SELECT id, count(*)::int AS n FROM schema_migrations GROUP BY id');
  assert.ok(migrations.rows.length > 0 && migrations.rows.every((r) => r.n === 1), 'each migration applied once');
  const queues = await db.pool.query(`SELECT name FROM pgboss.queue ORDER BY name`);
  assert.deepEqual(queues.rows.map((r) => r.name), ['payment-charge', 'payment-charge-dead']);
});
