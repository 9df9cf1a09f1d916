// The `until` step: a request sent again until the response's JSON holds a value (an order polled until
// it is paid), timed as one step from its first request; and its validation in scenario files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { compileScenario } from './compiled-scenario.ts';
import type { HttpClient, HttpOutcome, HttpRequest } from './http-dispatch.ts';
import { runIteration, type IterationOutcome, type RunnerContext } from './journey-runner.ts';
import { decodeHistogram } from './latency-histogram.ts';
import { scenarioFromData, ScenarioFileError } from './scenario-file.ts';
import { WorkerRecorder } from './worker-recorder.ts';
import { builtinScenario } from './builtin-scenarios.ts';

const scenarioWith = (until: string, extra = '') => `
name: until
load: { executor: constant-arrival-rate, rate: 1, duration: 1s }
journeys:
  - name: buy
    steps:
      - { name: place, post: /orders, json: {}, extract: { id: $.id } }
      - name: wait-paid
        get: /orders/{{id}}
        until: ${until}
        ${extra}
`;

/** Runs the journey against a target whose order answers `statuses` in turn (the last one from then on). */
async function run(until: string, answers: { status: number; body: unknown }[]): Promise<{ outcome: IterationOutcome; sent: HttpRequest[]; recorder: WorkerRecorder; elapsedMs: number }> {
  const scenario = compileScenario(scenarioFromData(parseYaml(scenarioWith(until)), 'until.yaml'));
  const sent: HttpRequest[] = [];
  let polls = 0;
  const client = {
    send(req: HttpRequest, done: (o: HttpOutcome) => void) {
      sent.push(req);
      const answer = req.path === '/orders' ? { status: 202, body: { id: 'o-1' } } : answers[Math.min(polls++, answers.length - 1)]!;
      const body = JSON.stringify(answer.body);
      done({ status: answer.status, headers: { 'content-type': 'application/json' }, body, bytes: body.length, endedAt: performance.now() });
    },
  } as unknown as HttpClient;
  const recorder = new WorkerRecorder(scenario.steps.map((s) => s.key));
  const ctx: RunnerContext = {
    client, recorder, t0: performance.now(), targetOrigin: 'http://shop.test', basePath: '', timeoutMs: 1000, originAllowed: () => true,
    shared: {}, budget: { remaining: 100 }, halted: { value: false }, active: { requests: 0, iterations: 0 },
  };
  const started = performance.now();
  const outcome = await runIteration(ctx, scenario.journeys[0]!, performance.now(), 1, 0);
  return { outcome, sent, recorder, elapsedMs: performance.now() - started };
}

const stepOf = (recorder: WorkerRecorder, key: string) => recorder.final().steps.find((s) => s.key === key)!;
const pending = { status: 200, body: { status: 'pending_payment' } };

test('until polls at its interval until the value is one of those wanted, and counts as one response timed from the first poll', async () => {
  const { outcome, sent, recorder, elapsedMs } = await run('{ jsonPath: $.status, in: [paid, payment_failed], interval: 50ms, timeout: 5s }',
    [pending, pending, { status: 200, body: { status: 'paid' } }]);
  assert.equal(outcome, 'completed');
  assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), ['POST /orders', 'GET /orders/o-1', 'GET /orders/o-1', 'GET /orders/o-1']);
  const step = stepOf(recorder, 'buy/wait-paid');
  assert.equal(step.counters.requests, 1, 'one response for the step, however many polls');
  assert.equal(step.counters.ok, 1);
  const latencyMs = decodeHistogram(step.hist).maxValue / 1000;
  assert.ok(latencyMs >= 90, `the step's latency covers both waits (${latencyMs} ms)`);
  assert.ok(elapsedMs >= 90);
});

test('until with equals stops at the first answer that holds it', async () => {
  const { outcome, sent } = await run('{ jsonPath: $.status, equals: payment_failed, interval: 10ms, timeout: 1s }', [{ status: 200, body: { status: 'payment_failed' } }]);
  assert.equal(outcome, 'completed');
  assert.equal(sent.length, 2);
});

test('until fails the step as a timeout when the condition is not met in time, naming the condition', async () => {
  const { outcome, sent, recorder } = await run('{ jsonPath: $.status, in: [paid], interval: 40ms, timeout: 150ms }', [pending]);
  assert.equal(outcome, 'failed');
  assert.ok(sent.length >= 3 && sent.length <= 5, `${sent.length - 1} polls within 150 ms at 40 ms`);
  const final = recorder.final();
  const step = stepOf(recorder, 'buy/wait-paid');
  assert.equal(step.counters.requests, 1);
  assert.equal(step.counters.errors.timeout, 1);
  assert.match(final.errorSamples[0]!.message, /until \$\.status in \[paid\]: not met within 0\.15 s/);
});

test('an error answer while polling fails the step at once (the shopper saw an error)', async () => {
  const { outcome, sent, recorder } = await run('{ jsonPath: $.status, in: [paid], interval: 10ms, timeout: 1s }', [pending, { status: 503, body: { error: { code: 'DATABASE_UNAVAILABLE' } } }]);
  assert.equal(outcome, 'failed');
  assert.equal(sent.length, 3);
  assert.equal(stepOf(recorder, 'buy/wait-paid').counters.errors.status, 1);
});

/** The problems a scenario with this `until` is rejected for. */
function problems(until: string): string {
  try {
    scenarioFromData(parseYaml(scenarioWith(until)), 'until.yaml');
  } catch (err) {
    assert.ok(err instanceof ScenarioFileError);
    return err.message;
  }
  assert.fail(`until ${until} was accepted`);
}

const where = 'journeys[0].steps[1].until';

test('until validation: an object', () => assert.match(problems('paid'), new RegExp(`${where.replace(/[[\].]/g, '\\$&')}: must be \\{jsonPath`)));
test('until validation: jsonPath required', () => assert.match(problems('{ in: [paid] }'), /steps\[1\]\.until: "jsonPath" is required/));
test('until validation: jsonPath must parse', () => assert.match(problems('{ jsonPath: status, in: [paid] }'), /until\.jsonPath: JSON path "status" must start with "\$"/));
test('until validation: a value to wait for', () => assert.match(problems('{ jsonPath: $.status }'), /until: needs "equals" \(one value\) or "in"/));
test('until validation: not both equals and in', () => assert.match(problems('{ jsonPath: $.status, equals: paid, in: [paid] }'), /until: give either "equals" or "in"/));
test('until validation: in is a non-empty list', () => assert.match(problems('{ jsonPath: $.status, in: [] }'), /until\.in: must be a non-empty list/));
test('until validation: interval is a duration > 0', () => {
  assert.match(problems('{ jsonPath: $.status, in: [paid], interval: soon }'), /until\.interval: "soon" is not a duration/);
  assert.match(problems('{ jsonPath: $.status, in: [paid], interval: 0s }'), /until\.interval: must be longer than 0/);
});
test('until validation: timeout is a duration > 0, no shorter than the interval', () => {
  assert.match(problems('{ jsonPath: $.status, in: [paid], timeout: 0 }'), /until\.timeout: must be longer than 0/);
  assert.match(problems('{ jsonPath: $.status, in: [paid], interval: 5s, timeout: 2s }'), /until\.interval: must not be longer than the timeout \(2 s\)/);
});
test('until validation: unknown fields are named', () => assert.match(problems('{ jsonPath: $.status, in: [paid], every: 1s }'), /until: unknown field "every"/));

test('the built-in checkout journey waits for the order to be paid or declined', () => {
  const scenario = compileScenario(builtinScenario('checkout'));
  const journey = scenario.journeys.find((j) => j.name === 'checkout')!;
  const last = journey.steps.at(-1)!;
  assert.equal(last.name, 'order-status');
  assert.deepEqual(last.spec.until?.in, ['paid', 'payment_failed']);
  assert.equal(last.spec.until?.jsonPath, '$.status');
});

test('a shopper is affected by an error, a failed check or a request over the objective; an until step\'s wait does not count', async () => {
  const scenario = compileScenario(scenarioFromData(parseYaml(scenarioWith('{ jsonPath: $.status, in: [paid], interval: 30ms, timeout: 1s }')), 'until.yaml'));
  const runOnce = async (delayMs: number, objectiveMs: number | undefined, orderStatus = 200) => {
    let polls = 0;
    const client = {
      send(req: HttpRequest, done: (o: HttpOutcome) => void) {
        const answer = req.path === '/orders' ? { status: 202, body: { id: 'o-1' } } : { status: orderStatus, body: { status: ++polls < 3 ? 'pending_payment' : 'paid' } };
        const body = JSON.stringify(answer.body);
        setTimeout(() => done({ status: answer.status, headers: {}, body, bytes: body.length, endedAt: performance.now() }), req.path === '/orders' ? delayMs : 0);
      },
    } as unknown as HttpClient;
    const recorder = new WorkerRecorder(scenario.steps.map((s) => s.key));
    const ctx: RunnerContext = {
      client, recorder, t0: performance.now(), targetOrigin: 'http://shop.test', basePath: '', timeoutMs: 1000, originAllowed: () => true,
      shared: {}, budget: { remaining: 100 }, halted: { value: false }, active: { requests: 0, iterations: 0 },
      ...(objectiveMs !== undefined ? { requestObjectiveMs: objectiveMs } : {}),
    };
    await runIteration(ctx, scenario.journeys[0]!, performance.now(), 1, 0);
    return [recorder.iterations.affected, recorder.iterations.affectedByErrors];
  };
  assert.deepEqual(await runOnce(0, 40), [0, 0], 'fast requests, a 60 ms wait for paid: not affected');
  assert.deepEqual(await runOnce(80, 40), [1, 0], 'the order request over the objective: affected, by no error');
  assert.deepEqual(await runOnce(80, undefined), [0, 0], 'no objective: latency alone affects nobody');
  assert.deepEqual(await runOnce(0, undefined, 503), [1, 1], 'an error answer');
});
