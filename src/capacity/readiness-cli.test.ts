// `holdfast readiness`: usage errors are told before any shop is asked (exit 2, the flag named), dates
// parse as ISO 8601 only, and a shop that cannot be reached is exit 1 with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePeakDate, runReadinessCommand } from './readiness-cli.ts';

async function run(args: string[], env: NodeJS.ProcessEnv = { HOLDFAST_ADMIN_TOKEN: 'test-admin-token-0123456789', HOLDFAST_URL: 'http://127.0.0.1:9' }) {
  let out = '';
  let err = '';
  const code = await runReadinessCommand(args, env, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

test('--at: an ISO 8601 date (midnight UTC) or date-time, nothing else', () => {
  assert.equal(parsePeakDate('2026-12-24')?.toISOString(), '2026-12-24T00:00:00.000Z');
  assert.equal(parsePeakDate('2026-12-24T18:00:00Z')?.toISOString(), '2026-12-24T18:00:00.000Z');
  assert.equal(parsePeakDate('2026-12-24T18:00+01:00')?.toISOString(), '2026-12-24T17:00:00.000Z');
  assert.equal(parsePeakDate('2026-12-24T18:00')?.toISOString(), '2026-12-24T18:00:00.000Z');
  for (const bad of ['christmas', '24/12/2026', '2026-13-40', '2026-12-24T25:00', '']) assert.equal(parsePeakDate(bad), undefined, bad);
});

test('--at: a date the calendar does not have is refused, not rolled over into the next month', () => {
  // A JavaScript Date makes 3 March of 2026-02-31
  for (const missing of ['2026-02-31', '2026-02-29', '2026-04-31T18:00:00Z', '2026-00-10', '2026-12-24T24:00Z', '2026-12-24T18:60']) {
    assert.equal(parsePeakDate(missing), undefined, missing);
  }
  assert.equal(parsePeakDate('2028-02-29')?.toISOString(), '2028-02-29T00:00:00.000Z');
  assert.equal(parsePeakDate('2026-12-31T23:59:59Z')?.toISOString(), '2026-12-31T23:59:59.000Z');
});

test('usage errors exit 2 and name the flag; no shop is asked', async () => {
  for (const [args, message] of [
    [[], /--peak <journeys\/s> is required/],
    [['--peak', '0'], /--peak 0: a number of journeys per second above 0/],
    [['--peak=-5'], /--peak -5: a number/],
    [['--peak', 'lots'], /--peak lots: a number/],
    [['--peak', '10', '--at', 'christmas'], /--at christmas: an ISO 8601 date/],
    [['--peak', '10', '--at', '2026-02-31'], /--at 2026-02-31: 2026-02-31 does not exist: February 2026 has 28 days/],
    [['--peak', '10', '--at', '2026-13-01'], /--at 2026-13-01: there is no month 13/],
    [['--peak', '10', '--surprise'], /Unknown option '--surprise'/],
    [['--peak', '10', 'extra'], /Unexpected argument 'extra'|does not take positional/],
  ] as const) {
    const r = await run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.match(r.err, /usage: holdfast readiness --peak/);
  }
});

test('a shop that cannot be reached: exit 1 with the reason', async () => {
  const r = await run(['--peak', '10']);
  assert.equal(r.code, 1);
  assert.match(r.err, /holdfast readiness: cannot reach http:\/\/127\.0\.0\.1:9/);
});
