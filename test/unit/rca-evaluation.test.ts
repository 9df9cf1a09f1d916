// `holdfast rca analyze` on recorded telemetry: five PetShop cases kept as fixtures (always), and the
// whole 68-case development set when ../shared/rca-cases/petshop is present (the table is printed; the
// accuracy target is reported in docs/rca.md, not asserted, so an honest miss does not turn CI red).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runRcaCommand } from '../../src/rca/index.ts';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/rca/petshop');
const devSet = path.resolve(root, '../shared/rca-cases/petshop');

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRcaCommand(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

interface Acc { method: string; cases: number; ac: number[]; avg5: number }

test('evaluating the fixture cases prints the accuracy table, ours at least as good as both baselines', async () => {
  const text = await run('analyze', fixtures);
  assert.equal(text.code, 0, text.err);
  const lines = text.out.split('\n');
  const header = lines.findIndex((l) => /^method\s+cases\s+AC@1\s+AC@3\s+Avg@5$/.test(l));
  assert.ok(header >= 0, text.out);
  const rows = lines.slice(header + 2, header + 5).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]), ['holdfast', 'n-sigma', 'baro']);
  for (const r of rows) {
    assert.equal(r[1], '5');
    for (const x of r.slice(2)) assert.match(x!, /^[01]\.\d{3}$/);
  }
  assert.match(text.out, /by split:/);
  assert.match(text.out, /by fault:/);
  assert.match(text.out, /holdfast misses/);

  const json = await run('analyze', fixtures, '--json');
  assert.equal(json.code, 0, json.err);
  const report = JSON.parse(json.out) as { overall: Acc[]; cases: unknown[] };
  assert.equal(report.cases.length, 5);
  const ac1 = Object.fromEntries(report.overall.map((a) => [a.method, a.ac[0]!]));
  assert.ok(ac1.holdfast! >= ac1['n-sigma']! && ac1.holdfast! >= ac1.baro!, JSON.stringify(ac1));
  // the numbers in the text table are the JSON numbers
  assert.equal(rows[0]![2], ac1.holdfast!.toFixed(3));
});

test('one case: ranked causes with evidence in plain words', async () => {
  const c = path.join(fixtures, 'petshop-high-traffic-train-issue-0');
  const r = await run('analyze', c);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /fault start 2023-04-13 \d\d:\d\d:\d\d UTC \(inject_time\.txt\)/);
  assert.match(r.out, / 1\. PetSearch-AWS::ECS::Fargate: latency[-\d]* [\d.]+ robust units above baseline [\d.e-]+ \(peak [\d.e-]+, [\d.]+x\) since \d\d:\d\d:\d\d/);
  assert.match(r.out, /truth: PetSearch-AWS::ECS::Fargate is ranked #1 of \d+/);
  assert.match(r.out, /n-sigma ranks first: .*; truth at #\d+/);

  const csv = await run('analyze', path.join(c, 'data.csv'), '--json', '--inject-time', '2023-04-13T01:49:08Z');
  assert.equal(csv.code, 0, csv.err);
  const out = JSON.parse(csv.out) as { rankings: Record<string, { injectTime: number; injectTimeSource: string; ranked: { service: string }[] }> };
  assert.deepEqual(Object.keys(out.rankings), ['holdfast', 'n-sigma', 'baro']);
  assert.equal(out.rankings.holdfast!.injectTime, Date.parse('2023-04-13T01:49:08Z') / 1000);
  assert.equal(out.rankings.holdfast!.injectTimeSource, 'given');

  const detected = await run('analyze', c, '--detect', '--json');
  assert.equal(JSON.parse(detected.out).rankings.holdfast.injectTimeSource, 'detected');
});

test('usage errors', async () => {
  assert.equal((await run()).code, 2);
  assert.equal((await run('analyze')).code, 2);
  assert.equal((await run('analyze', path.join(fixtures, 'no-such-case'))).code, 2);
  assert.equal((await run('analyze', fixtures, '--inject-time', 'yesterday-ish')).code, 2);
  assert.equal((await run('analyze', fixtures, '--bogus')).code, 2);
  assert.equal((await run('analyze', path.join(root, 'docs'))).code, 2);
});

test('the 68-case PetShop development set: AC@1, AC@3, Avg@5 against N-sigma and BARO', { skip: !existsSync(devSet) && `${devSet} not present` }, async () => {
  const text = await run('analyze', devSet);
  assert.equal(text.code, 0, text.err);
  process.stdout.write(`\n${text.out.split('\nholdfast misses')[0]}\n`);
  const json = await run('analyze', devSet, '--json');
  const report = JSON.parse(json.out) as { overall: Acc[]; groups: { accuracy: Acc[] }[]; cases: unknown[] };
  assert.equal(report.cases.length, 68);
  for (const a of [...report.overall, ...report.groups.flatMap((g) => g.accuracy)]) {
    for (const x of [...a.ac, a.avg5]) assert.ok(x >= 0 && x <= 1, `${a.method}: ${x}`);
  }
});
