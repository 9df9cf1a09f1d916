// `holdfast loadtest capacity --record`: what it sends to the shop's history, and the usage errors told
// before any load is sent (no admin token to record with; --replicas without --record).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { capacityRunBody } from './capacity-record.ts';
import { runLoadtestCommand } from './loadtest-cli.ts';
import type { CapacityReport } from './capacity-finder.ts';

test('the recorded run: rates, the bottleneck in three fields, replicas, the deployment fingerprint, the whole report', () => {
  const report = {
    tool: 'holdfast loadtest capacity', scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 20, steps: [],
    sustainableRate: 40, sustainableRequestsPerSec: 150, breakingRate: 44,
    bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 9 waiting (10/10 connections in use)', short: 'pool main: 9 waiting', severity: 2, firstSeenAtRate: 40 },
    alsoObserved: [], metricsAvailable: true, deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, storefrontReplicas: null, notes: [],
  } satisfies CapacityReport;
  const body = capacityRunBody(report, 3);
  assert.deepEqual({ ...body, report: undefined }, {
    scenario: 'mixed', target: 'http://127.0.0.1:3000', slo: 'p(99)<500ms,error_rate<0.01', stepDurationSec: 20, sustainableRate: 40, sustainableRequestsPerSec: 150,
    breakingRate: 44, bottleneck: { kind: 'db-pool', component: 'postgres pool main', message: 'postgres pool main: 9 waiting (10/10 connections in use)' },
    replicas: 3, deployment: { pools: { 'all/main': 10 }, bulkheads: {} }, report: undefined,
  });
  assert.equal((body.report as { schema: string }).schema, 'holdfast-capacity/1');
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
