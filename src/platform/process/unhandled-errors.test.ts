// The process-wide policy, in real child processes: a rejection from a database call that cannot
// connect is survived and counted; any other unhandled rejection drains and exits 1; an uncaught
// exception exits 1 at once. And the classification it rests on, with errors produced by pg itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../../../test/helpers/free-port.ts';
import { isDatabaseUnavailable } from '../db/database-errors.ts';

const here = import.meta.dirname;
const url = (file: string) => pathToFileURL(path.join(here, file)).href;

/** Runs a module script in a child process with the policy installed; returns its exit code and output. */
function runWithPolicy(body: string): Promise<{ code: number | null; out: string }> {
  const script = `
    import { installUnhandledErrorPolicy } from ${JSON.stringify(url('unhandled-errors.ts'))};
    import { createLogger } from ${JSON.stringify(url('../observability/logger.ts'))};
    import { registry } from ${JSON.stringify(url('../observability/metrics.ts'))};
    const logger = createLogger({ level: 'info', service: 'policy-test' });
    const unhandled = async () => (await registry.getSingleMetricAsString('holdfast_process_unhandled_errors_total')).split('\\n').filter((l) => !l.startsWith('#')).join(' ');
    installUnhandledErrorPolicy({ logger, drainAndExit: (code) => { console.log('drain and exit ' + code); setTimeout(() => process.exit(code), 50); } });
    ${body}
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('a rejection from a database call that cannot connect is logged, counted, and the process goes on', async () => {
  const port = await freePort();
  const { code, out } = await runWithPolicy(`
    import pg from 'pg';
    const pool = new pg.Pool({ host: '127.0.0.1', port: ${port}, user: 'nobody', database: 'nothing' });
    pool.query('SELECT 1'); // not awaited: the rejection is unhandled
    pool.query('SELECT 2');
    await new Promise((r) => setTimeout(r, 500));
    console.log('still running; ' + await unhandled());
  `);
  assert.equal(code, 0, out);
  assert.match(out, /still running; holdfast_process_unhandled_errors_total\{kind="unhandled_rejection",outcome="continued"\} 2/);
  // one warning for the run of them, not one per rejection
  assert.equal(out.match(/unhandled rejection from a database call failed/g)?.length, 1, out);
  assert.match(out, /ECONNREFUSED/);
});

test('any other unhandled rejection drains and exits 1', async () => {
  const { code, out } = await runWithPolicy(`
    Promise.reject(new TypeError('a bug'));
    await new Promise((r) => setTimeout(r, 2000));
    console.log('still running');
  `);
  assert.equal(code, 1, out);
  assert.match(out, /"level":60.*"message":"a bug".*unhandled promise rejection: draining/s);
  assert.match(out, /drain and exit 1/);
  assert.doesNotMatch(out, /still running/);
});

test('an uncaught exception exits 1 at once, also when it is a database error', async () => {
  for (const error of [`new Error('boom')`, `Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })`]) {
    const { code, out } = await runWithPolicy(`
      setTimeout(() => { throw ${error}; }, 10);
      await new Promise((r) => setTimeout(r, 2000));
      console.log('still running');
    `);
    assert.equal(code, 1, out);
    assert.match(out, /"level":60.*uncaught exception: the process state is unknown/s);
    assert.doesNotMatch(out, /drain and exit|still running/);
  }
});

test('database errors are told apart from other errors, with errors pg itself produces', async () => {
  // Nothing listens: ECONNREFUSED.
  const closed = new pg.Client({ host: '127.0.0.1', port: await freePort(), user: 'nobody', database: 'nothing' });
  const refused = await closed.connect().then(() => undefined, (err: unknown) => err);
  assert.equal(isDatabaseUnavailable(refused), true, String(refused));

  const adminUrl = process.env.HOLDFAST_TEST_PG_URL;
  if (adminUrl) {
    // A server that terminates the session (as a restart does): 57P01 admin_shutdown for the query in
    // flight, then "Connection terminated unexpectedly" for the next one on that client.
    const client = new pg.Client({ connectionString: adminUrl });
    client.on('error', () => {});
    await client.connect();
    const terminated = await client.query('SELECT pg_terminate_backend(pg_backend_pid())').then(() => undefined, (err: unknown) => err);
    assert.equal((terminated as { code?: string }).code, '57P01');
    assert.equal(isDatabaseUnavailable(terminated), true);
    const afterwards = await client.query('SELECT 1').then(() => undefined, (err: unknown) => err);
    assert.equal(isDatabaseUnavailable(afterwards), true, String(afterwards));
    // A bad query is not an outage.
    const other = new pg.Client({ connectionString: adminUrl });
    await other.connect();
    try {
      const wrong = await other.query('SELECT * FROM no_such_table').then(() => undefined, (err: unknown) => err);
      assert.equal((wrong as { code?: string }).code, '42P01');
      assert.equal(isDatabaseUnavailable(wrong), false);
    } finally {
      await other.end();
    }
  }
  for (const e of [
    { code: '57P03', message: 'the database system is starting up' }, { code: '08006' }, { code: '53300' },
    Object.assign(new Error('connect ENOENT /run/.s.PGSQL.5432'), { code: 'ENOENT', syscall: 'connect' }),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })]),
  ]) assert.equal(isDatabaseUnavailable(e), true, JSON.stringify(e));
  for (const e of [
    { code: '23505' }, { code: '40P01' }, new TypeError('x is undefined'), Object.assign(new Error('open'), { code: 'ENOENT', syscall: 'open' }),
    null, undefined, 'ECONNREFUSED', new AggregateError([]),
  ]) assert.equal(isDatabaseUnavailable(e), false, String(e));
});
