// One iteration of a journey against a scripted target: variables, extracts, picks, bodies and check names
// called like Object.prototype's members (__proto__, constructor, toString) are ordinary names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { compileScenario } from './compiled-scenario.ts';
import type { HttpClient, HttpOutcome, HttpRequest } from './http-dispatch.ts';
import { runIteration, type IterationOutcome, type RunnerContext } from './journey-runner.ts';
import { scenarioFromData } from './scenario-file.ts';
import { WorkerRecorder } from './worker-recorder.ts';

const SCENARIO = `
name: names
load: { executor: constant-arrival-rate, rate: 1, duration: 1s }
journeys:
  - name: extracted
    steps:
      - name: catalog
        get: /catalog
        extract: { __proto__: $.item, constructor: $.label }
        checks: { __proto__: { status: 200 }, constructor: { jsonPath: $.label } }
      - name: order
        post: /orders/{{__proto__.id}}?by={{constructor}}&term={{term}}&vu={{$vu}}
        headers: { __proto__: "{{term}}" }
        json: { __proto__: { polluted: "{{__proto__.id}}" }, n: 1 }
  - name: picked
    steps:
      - name: product
        get: /products/{{__proto__.id}}?term={{term}}
        pick: { __proto__: products }
  - name: inherited-variable
    steps:
      - name: first
        get: /x/{{toString}}
  - name: inherited-field
    steps:
      - name: first
        get: /catalog
        extract: { ctor: $.constructor }
      - name: second
        get: /never
`;

const scenario = compileScenario(scenarioFromData(parseYaml(SCENARIO), 'names.yaml'));

/** Runs one journey; the target answers /catalog with an item and everything else with {}. */
async function run(journey: string): Promise<{ outcome: IterationOutcome; sent: HttpRequest[]; recorder: WorkerRecorder }> {
  const sent: HttpRequest[] = [];
  const client = {
    send(req: HttpRequest, done: (o: HttpOutcome) => void) {
      sent.push(req);
      const body = req.path === '/catalog' ? '{"item":{"id":"i-1"},"label":"L"}' : '{}';
      done({ status: 200, headers: { 'content-type': 'application/json' }, body, bytes: body.length, endedAt: performance.now() });
    },
  } as unknown as HttpClient;
  const recorder = new WorkerRecorder(scenario.steps.map((s) => s.key));
  const ctx: RunnerContext = {
    client, recorder, t0: performance.now(), targetOrigin: 'http://shop.test', basePath: '', timeoutMs: 1000,
    originAllowed: () => true,
    // As a worker receives them from the main thread: a structured clone, an ordinary object.
    shared: structuredClone({ term: 'wool', products: [{ id: 'p-1' }] }),
    budget: { remaining: 100 }, halted: { value: false }, active: { requests: 0, iterations: 0 },
  };
  const outcome = await runIteration(ctx, scenario.journeys.find((j) => j.name === journey)!, performance.now(), 3, 0);
  return { outcome, sent, recorder };
}

const checksOf = (recorder: WorkerRecorder, key: string) => recorder.final().steps.find((s) => s.key === key)!.counters.checks;

test('an extract named __proto__ or constructor is a variable; the iteration keeps the shared ones', async () => {
  const { outcome, sent, recorder } = await run('extracted');
  assert.equal(outcome, 'completed');
  assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), ['GET /catalog', 'POST /orders/i-1?by=L&term=wool&vu=3']);
  assert.equal(sent[1]!.body, '{"__proto__":{"polluted":"i-1"},"n":1}', 'the body keeps its __proto__ key');
  assert.deepEqual(Object.entries(sent[1]!.headers), [['content-type', 'application/json'], ['__proto__', 'wool']], 'and a header called __proto__ is sent');
  const checks = checksOf(recorder, 'extracted/catalog');
  assert.deepEqual(Object.entries(checks), [['__proto__', { pass: 1, fail: 0 }], ['constructor', { pass: 1, fail: 0 }], ['extracted values', { pass: 1, fail: 0 }]]);
  assert.equal(({} as Record<string, unknown>).pass, undefined, 'a check named __proto__ counted on its own entry');
});

test('a pick named __proto__ is a variable; the iteration keeps the shared ones', async () => {
  const { outcome, sent } = await run('picked');
  assert.equal(outcome, 'completed');
  assert.deepEqual(sent.map((r) => r.path), ['/products/p-1?term=wool']);
});

test('an inherited name is not a variable: the request is not sent and the iteration fails', async () => {
  const { outcome, sent, recorder } = await run('inherited-variable');
  assert.equal(outcome, 'failed');
  assert.deepEqual(sent, []);
  assert.deepEqual(Object.entries(checksOf(recorder, 'inherited-variable/first')), [
    ['variables for the request ({{toString}}: no variable "toString" (not extracted by an earlier step?))', { pass: 0, fail: 1 }],
  ]);
});

test('an inherited field is not in the response: the extract is missing and the iteration fails', async () => {
  const { outcome, sent, recorder } = await run('inherited-field');
  assert.equal(outcome, 'failed');
  assert.deepEqual(sent.map((r) => r.path), ['/catalog']);
  assert.deepEqual(checksOf(recorder, 'inherited-field/first')['extracted values'], { pass: 0, fail: 1 });
});
