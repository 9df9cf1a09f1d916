// `holdfast loadtest capacity --record`: what it sends to the shop's history, and the usage errors told
// before any load is sent (no admin token to record with; --replicas without --record).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capacityRunBody, parseReplicasFlag, recordedReplicas } from './capacity-record.ts';
import { runLoadtestCommand } from './loadtest-cli.ts';
import { replicasText, type CapacityReport } from './capacity-finder.ts';

const report = (over: Partial<CapacityReport> = {}): CapacityReport => ({
    tool: 'holdfast loadtest capacity', scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 20, steps: [],
    sustainableRate: 40, sustainableRequestsPerSec: 150, breakingRate: 44,
    bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 9 waiting (10/10 connections in use)', short: 'pool main: 9 waiting', severity: 2, firstSeenAtRate: 40 },
    alsoObserved: [], metricsAvailable: true, deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, replicas: {}, replicasChanged: null, notes: [], ...over,
});

test('the recorded run: rates, the bottleneck in three fields, replicas by role, the notes, the deployment fingerprint, the whole report', () => {
  const body = capacityRunBody(report({ notes: ['a note'] }), { storefront: 3, payments: 2 });
  assert.deepEqual({ ...body, report: undefined }, {
    scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 20, sustainableRate: 40, sustainableRequestsPerSec: 150,
    breakingRate: 44, bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 9 waiting (10/10 connections in use)' },
    replicas: 3, roleReplicas: { storefront: 3, payments: 2 }, notes: ['a note'], deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, report: undefined,
  });
  assert.equal((body.report as { schema: string }).schema, 'holdfast-capacity/1');
});

test('the replicas recorded: those the run counted, --replicas over them, the storefront assumed 1 only when neither knows it; a warning when they changed during the run', () => {
  assert.deepEqual(recordedReplicas(report({ replicas: { storefront: 3, payments: 2 } })), { replicas: { storefront: 3, payments: 2 }, assumed: false, warning: null });
  assert.deepEqual(recordedReplicas(report()), { replicas: { storefront: 1 }, assumed: true, warning: null });
  assert.deepEqual(recordedReplicas(report({ replicas: { storefront: 3, payments: 2 } }), { payments: 4 }).replicas, { storefront: 3, payments: 4 });
  const scaled = recordedReplicas(report({ replicas: { storefront: 3 }, replicasChanged: { storefront: { fewest: 1, most: 3 } } }));
  assert.deepEqual(scaled.replicas, { storefront: 3 });
  assert.match(scaled.warning ?? '', /^the replicas changed during the run \(storefront 1 to 3\): the run is recorded with those in force while its sustainable rate was measured/);
  // as PostgreSQL's jsonb hands them back (shorter keys first), printed the journeys' roles first
  assert.equal(replicasText({ psp: 1, control: 1, payments: 2, storefront: 3 }), 'storefront 3, payments 2, control 1, psp 1');
  assert.deepEqual(parseReplicasFlag('3'), { storefront: 3 });
  assert.deepEqual(parseReplicasFlag('storefront=2, payments=3'), { storefront: 2, payments: 3 });
  for (const bad of ['0', 'two', 'payments=0', 'payments', '=2']) assert.throws(() => parseReplicasFlag(bad), /--replicas/, bad);
});

test('usage errors before any load: --replicas without --record, --record with no admin token', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-record-'));
  const saved = { ...process.env };
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { errors.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try {
    delete process.env.HOLDFAST_ADMIN_TOKEN;
    process.env.HOLDFAST_DATA_DIR = dir;
    assert.equal(await runLoadtestCommand(['capacity', '--replicas', '2', '--target-url', 'http://127.0.0.1:9']), 2);
    assert.match(errors.join(''), /--replicas goes with --record/);
    assert.equal(await runLoadtestCommand(['capacity', '--record', '--target-url', 'http://127.0.0.1:9']), 2);
    assert.match(errors.join(''), /--record: no admin token: set HOLDFAST_ADMIN_TOKEN/);
    assert.equal(await runLoadtestCommand(['capacity', '--record', '--replicas', 'two', '--target-url', 'http://127.0.0.1:9']), 2);
  } finally {
    process.stderr.write = write;
    process.env = saved;
    await rm(dir, { recursive: true, force: true });
  }
});
