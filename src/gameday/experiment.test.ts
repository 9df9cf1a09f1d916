// Experiment files: each rule of the schema (docs/gameday.md) rejects what breaks it with the field named;
// the built-in experiment is valid; --duration scales every time in proportion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { builtinExperiment } from './builtin-experiments.ts';
import { ExperimentFileError, experimentFromData, loadExperimentFile, parseScoreThreshold, scaleExperiment, thresholdHolds } from './experiment.ts';

const valid = () => ({
  name: 'surge',
  duration: '2m',
  method: {
    load: { scenario: 'holiday-surge', startRate: 5, stages: [{ duration: '1m', target: 25 }, { duration: '1m', target: 5 }], requestObjective: '1s' },
    faults: [{ fault: 'psp.latency', params: { latencyMs: 2000 }, start: '30s', duration: '1m' }],
  },
  steadyState: [{ name: 'served', measure: 'error-ratio', max: 0.01, window: '20s' }],
  rollbacks: { clearFaults: true },
  abort: [{ measure: 'error-ratio', above: 0.5, for: '10s' }],
  thresholds: ['timeToDetectSeconds < 15', 'orders.lost == 0'],
  expect: { rootCause: { component: 'payment-provider', networkInvolved: false } },
  recovery: { timeout: '1m' },
  deployment: { autoscale: false, env: { HOLDFAST_PAYMENT_WORKER_CONCURRENCY: '1' } },
});

/** The problems of a valid experiment changed by `change`. */
function problems(change: (e: Record<string, any>) => void): string {
  const e = valid() as Record<string, any>;
  change(e);
  try {
    experimentFromData(e, 'surge.yaml');
  } catch (err) {
    assert.ok(err instanceof ExperimentFileError, String(err));
    return err.message;
  }
  assert.fail('the experiment was accepted');
}

test('a valid experiment is read with its times in seconds', () => {
  const e = experimentFromData(valid(), 'surge.yaml');
  assert.equal(e.duration, 120);
  assert.deepEqual(e.method.load.stages, [{ duration: 60, target: 25 }, { duration: 60, target: 5 }]);
  assert.equal(e.method.load.requestObjectiveMs, 1000);
  assert.deepEqual(e.method.faults, [{ fault: 'psp.latency', params: { latencyMs: 2000 }, start: 30, duration: 60 }]);
  assert.deepEqual(e.steadyState, [{ name: 'served', measure: 'error-ratio', max: 0.01, window: 20 }]);
  assert.deepEqual(e.abort, [{ measure: 'error-ratio', above: 0.5, for: 10 }]);
  assert.deepEqual(e.thresholds.map((t) => [t.figure, t.op, t.value]), [['timeToDetectSeconds', '<', 15], ['orders.lost', '==', 0]]);
  assert.deepEqual(e.expectedRootCause, { component: 'payment-provider', networkInvolved: false });
  assert.equal(e.recoveryTimeout, 60);
  assert.equal(e.warmUp, 30, 'the default warm-up');
  assert.deepEqual(e.deployment, { autoscale: false, env: { HOLDFAST_PAYMENT_WORKER_CONCURRENCY: '1' } });
});

test('every problem is listed at once', () => {
  const message = problems((e) => { delete e.name; e.duration = 'soon'; e.thresholds = ['nonsense']; });
  assert.match(message, /surge\.yaml has 3 problem\(s\)/);
});

test('rule: unknown fields are named', () => assert.match(problems((e) => { e.hypothesis = {}; }), /experiment: unknown field "hypothesis"/));
test('rule: warmUp is a duration', () => assert.match(problems((e) => { e.warmUp = 'a bit'; }), /experiment\.warmUp: "a bit" is not a duration/));
test('rule: name is required', () => assert.match(problems((e) => { delete e.name; }), /experiment: "name" is required/));
test('rule: duration is a duration > 0', () => {
  assert.match(problems((e) => { e.duration = 'soon'; }), /experiment\.duration: "soon" is not a duration/);
  assert.match(problems((e) => { e.duration = 0; }), /duration: must be longer than 0/);
});
test('rule: method is required', () => assert.match(problems((e) => { delete e.method; }), /method: is required/));
test('rule: method.load is required', () => assert.match(problems((e) => { delete e.method.load; }), /method\.load: is required/));
test('rule: method.load.scenario is required', () => assert.match(problems((e) => { delete e.method.load.scenario; }), /method\.load: "scenario" is required/));
test('rule: method.load.startRate is a number ≥ 0', () => assert.match(problems((e) => { e.method.load.startRate = -1; }), /method\.load\.startRate: must be a number ≥ 0/));
test('rule: method.load.stages is a non-empty list', () => assert.match(problems((e) => { e.method.load.stages = []; }), /method\.load\.stages: must be a non-empty list/));
test('rule: a stage is {duration, target}', () => assert.match(problems((e) => { e.method.load.stages[0] = { duration: '1m', rate: 5 }; }), /method\.load\.stages\[0\]: unknown field "rate"/));
test('rule: the stages add up to the duration', () => assert.match(problems((e) => { e.method.load.stages[1].duration = '2m'; }), /method\.load\.stages: add up to 180 s, not the experiment's duration \(120 s\)/));
test('rule: method.load.requestObjective is a duration > 0', () => assert.match(problems((e) => { e.method.load.requestObjective = '0s'; }), /method\.load\.requestObjective: must be longer than 0/));
test('rule: method.faults is a list', () => assert.match(problems((e) => { e.method.faults = { fault: 'psp.latency' }; }), /method\.faults: must be a list/));
test('rule: a fault names a fault', () => {
  assert.match(problems((e) => { delete e.method.faults[0].fault; }), /method\.faults\[0\]: "fault" is required/);
  assert.match(problems((e) => { e.method.faults[0].fault = 'slow provider'; }), /method\.faults\[0\]\.fault: must be a fault name/);
});
test('rule: a fault\'s params are an object', () => assert.match(problems((e) => { e.method.faults[0].params = 2000; }), /method\.faults\[0\]\.params: must be an object/));
test('rule: a fault has a start and a duration > 0', () => {
  assert.match(problems((e) => { delete e.method.faults[0].start; }), /method\.faults\[0\]: "start" is required/);
  assert.match(problems((e) => { e.method.faults[0].duration = 0; }), /method\.faults\[0\]\.duration: must be longer than 0/);
});
test('rule: a fault ends within the experiment', () => assert.match(problems((e) => { e.method.faults[0].start = '90s'; }), /method\.faults\[0\]: ends at 150 s, after the experiment's duration \(120 s\)/));
test('rule: steadyState is a non-empty list of probes', () => assert.match(problems((e) => { e.steadyState = []; }), /steadyState: must be a non-empty list of probes/));
test('rule: a probe\'s measure is one of the known measures', () => assert.match(problems((e) => { e.steadyState[0].measure = 'vibes'; }), /steadyState\[0\]\.measure: must be one of error-ratio, latency-p99-ms, alerts-firing, orders-unsettled/));
test('rule: a probe has a tolerance (max)', () => assert.match(problems((e) => { delete e.steadyState[0].max; }), /steadyState\[0\]: "max" is required/));
test('rule: a probe\'s window is a duration > 0', () => assert.match(problems((e) => { e.steadyState[0].window = 0; }), /steadyState\[0\]\.window: must be longer than 0/));
test('rule: probe names are unique', () => assert.match(problems((e) => { e.steadyState.push({ ...e.steadyState[0] }); }), /steadyState\[1\]\.name: "served" is used twice/));
test('rule: rollbacks always clear the faults', () => assert.match(problems((e) => { e.rollbacks.clearFaults = false; }), /rollbacks\.clearFaults: must be true/));
test('rule: an abort condition has a measure and a limit', () => {
  assert.match(problems((e) => { e.abort[0].measure = 'panic'; }), /abort\[0\]\.measure: must be one of/);
  assert.match(problems((e) => { delete e.abort[0].above; }), /abort\[0\]: "above" is required/);
});
test('rule: thresholds are required', () => assert.match(problems((e) => { delete e.thresholds; }), /thresholds: are required/));
test('rule: a threshold is "<figure> <op> <number>"', () => assert.match(problems((e) => { e.thresholds = ['fast please']; }), /thresholds\[0\]: "fast please" is not "<figure> <op> <number>"/));
test('rule: a threshold judges a scorecard figure', () => assert.match(problems((e) => { e.thresholds = ['uptime > 0.99']; }), /thresholds\[0\]: "uptime" is not a scorecard figure/));
test('rule: expect.rootCause names a component and the network verdict', () => {
  assert.match(problems((e) => { delete e.expect.rootCause.component; }), /expect\.rootCause: "component" is required/);
  assert.match(problems((e) => { e.expect.rootCause.networkInvolved = 'no'; }), /expect\.rootCause\.networkInvolved: must be true or false/);
});
test('rule: recovery.timeout is a duration', () => assert.match(problems((e) => { e.recovery.timeout = 'a while'; }), /recovery\.timeout: "a while" is not a duration/));
test('rule: deployment.autoscale is a boolean and env names variables', () => {
  assert.match(problems((e) => { e.deployment.autoscale = 'yes'; }), /deployment\.autoscale: must be true or false/);
  assert.match(problems((e) => { e.deployment.env = { 'pool size': '2' }; }), /deployment\.env\.pool size: must be an environment variable name/);
});

test('files: YAML and JSON are read; a missing file or bad syntax is named', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'experiment-'));
  await writeFile(path.join(dir, 'e.json'), JSON.stringify(valid()));
  assert.equal((await loadExperimentFile(path.join(dir, 'e.json'))).name, 'surge');
  await writeFile(path.join(dir, 'e.yaml'), 'name: surge\nduration: [\n');
  await assert.rejects(loadExperimentFile(path.join(dir, 'e.yaml')), /e\.yaml: not valid YAML/);
  await assert.rejects(loadExperimentFile(path.join(dir, 'none.yaml')), /none\.yaml: no such file/);
});

test('the built-in holiday-surge experiment is valid: surge to 5x, provider degraded at the surge\'s start, cleared before the end', () => {
  const e = builtinExperiment('holiday-surge')!;
  assert.equal(e.duration, 360);
  assert.equal(Math.max(...e.method.load.stages.map((s) => s.target)) / e.method.load.startRate, 5);
  const surgeStart = e.method.load.stages[0]!.duration;
  assert.equal(Math.min(...e.method.faults.map((f) => f.start)), surgeStart);
  assert.ok(Math.max(...e.method.faults.map((f) => f.start + f.duration)) < e.duration);
});

test('--duration scales stages, faults, windows and abort durations in proportion', () => {
  const e = scaleExperiment(builtinExperiment('holiday-surge')!, 180);
  assert.equal(e.duration, 180);
  assert.equal(e.method.load.stages.reduce((n, s) => n + s.duration, 0), 180);
  assert.deepEqual(e.method.faults.map((f) => [f.fault, f.start, f.duration]), [['psp.latency', 30, 90], ['psp.errors', 60, 60]]);
  assert.equal(e.steadyState[0]!.window, 10);
  assert.equal(e.abort[0]!.for, 10);
});

test('thresholds compare as written', () => {
  const t = parseScoreThreshold('orders.doubleCharges == 0');
  assert.ok(typeof t !== 'string');
  assert.equal(thresholdHolds(t, 0), true);
  assert.equal(thresholdHolds(t, 1), false);
  const lt = parseScoreThreshold('timeToDetectSeconds < 15');
  assert.ok(typeof lt !== 'string');
  assert.equal(thresholdHolds(lt, 14.9), true);
  assert.equal(thresholdHolds(lt, 15), false);
});

test('the example experiments in docs/gameday/ are valid', async () => {
  const down = await loadExperimentFile(path.join(import.meta.dirname, '../../docs/gameday/provider-down.yaml'));
  assert.deepEqual(down.method.faults.map((f) => [f.fault, f.start + f.duration]), [['psp.errors', 360]], 'the provider down to the end of the run');
  const unprotected = await loadExperimentFile(path.join(import.meta.dirname, '../../docs/gameday/unprotected.yaml'));
  assert.deepEqual(unprotected.deployment, { autoscale: false, env: { HOLDFAST_WAITING_ROOM: '{"mode":"off"}', HOLDFAST_PAYMENT_WORKER_CONCURRENCY: '1', HOLDFAST_PROVIDER_MAX_CONCURRENT: '1' } });
  assert.deepEqual(unprotected.method.faults, builtinExperiment('holiday-surge')!.method.faults, 'the same method as the built-in');
});
