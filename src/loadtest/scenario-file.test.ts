// Scenario files (YAML/JSON), templates and the load reshaping flags: what a user writes, and what runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { compileScenario } from './compiled-scenario.ts';
import { applyOverrides, parseStages } from './load-plan.ts';
import { scenarioFromData } from './scenario-file.ts';
import { builtinNames, builtinScenario } from './builtin-scenarios.ts';
import { compileJson, compileString, evalJsonPath, TemplateError } from './template-engine.ts';
import type { ResponseView } from './scenario-types.ts';

const YAML = `
name: my-shop
load:
  executor: ramping-arrival-rate
  startRate: 2
  stages:
    - { duration: 30s, target: 10 }
    - { duration: 1m, target: 10 }
thresholds: [error_rate<0.01, "buy/pay: p(99)<800ms"]
data:
  terms: [wool, candle]
setup:
  - name: catalog
    get: /api/products?limit=10
    extract: { products: $.items }
journeys:
  - name: buy
    weight: 3
    steps:
      - name: cart
        post: /api/carts
        json: {}
        extract: { cartId: $.id }
        checks: { created: { status: 201 } }
        think: 0.5s-2s
      - name: pay
        post: /api/checkout
        headers: { idempotency-key: "{{$uuid}}" }
        json: { cartId: "{{cartId}}", quantity: "{{qty}}" }
        expect: [202, 409]
        stopOn: [409]
`;

test('a YAML scenario with shorthands becomes a runnable scenario', () => {
  const spec = scenarioFromData(parseYaml(YAML), 'my-shop.yaml');
  assert.deepEqual(spec.load, { executor: 'ramping-arrival-rate', startRate: 2, stages: [{ duration: 30, target: 10 }, { duration: 60, target: 10 }] });
  const cart = spec.journeys[0]!.steps[0]!;
  assert.equal(cart.method, 'POST');
  assert.deepEqual(cart.think, { min: 0.5, max: 2 });
  assert.deepEqual(cart.checks, [{ name: 'created', status: 201 }]);
  const compiled = compileScenario(spec);
  assert.deepEqual(compiled.thresholds.map((t) => [t.scope, t.expr]), [[undefined, 'error_rate<0.01'], ['buy/pay', 'p(99)<800ms']]);
  const pay = compiled.steps.find((s) => s.key === 'buy/pay')!;
  const body = JSON.parse(pay.body({ cartId: 'c-1', qty: 3 })!);
  assert.deepEqual(body, { cartId: 'c-1', quantity: 3 }, 'a lone placeholder keeps the value\'s type');
  assert.match(pay.headers({})['idempotency-key']!, /^[0-9a-f-]{36}$/);
  assert.equal(pay.headers({})['content-type'], 'application/json');
});

test('every problem in a scenario file is reported, with where it is', () => {
  const bad = { name: 'x', load: { executor: 'constant-arrival-rate', duration: 'soon' }, journeys: [{ name: 'j', steps: [{ name: 's', fetch: '/' }] }] };
  assert.throws(() => scenarioFromData(bad, 'bad.yaml'), (err: Error) => {
    assert.match(err.message, /bad\.yaml has \d+ problem/);
    assert.match(err.message, /"rate" is required/);
    assert.match(err.message, /load\.duration: "soon" is not a duration/);
    assert.match(err.message, /unknown field "fetch"/);
    return true;
  });
});

test('templates: variables, fields, generators; a missing variable names itself', () => {
  const url = compileString('/api/carts/{{cartId}}/items/{{product.id}}');
  assert.equal(url({ cartId: 'c', product: { id: 'p' } }), '/api/carts/c/items/p');
  assert.equal(compileString('/static').constant, true);
  assert.throws(() => url({ product: { id: 'p' } }), (e: Error) => e instanceof TemplateError && /no variable "cartId"/.test(e.message));
  const n = Number(compileString('{{$randomInt(3,3)}}')({}));
  assert.equal(n, 3);
  assert.deepEqual(compileJson({ a: ['{{x}}', 'x={{x}}'] })({ x: 7 }), { a: [7, 'x=7'] });
  assert.equal(evalJsonPath({ items: [{ slug: 'a' }, { slug: 'b' }] }, '$.items[1].slug'), 'b');
  assert.deepEqual(evalJsonPath({ items: [{ id: 1 }, { id: 2 }] }, '$.items[*].id'), [1, 2]);
});

test('checks and extractors read the response as written', () => {
  const spec = scenarioFromData(parseYaml(YAML), 'my-shop.yaml');
  const compiled = compileScenario({
    ...spec, thresholds: [],
    journeys: [{
      name: 'j', steps: [{
        name: 's', url: '/', extract: { id: '$.id', loc: 'header:location' },
        checks: [{ name: 'ok', status: 201, jsonPath: '$.status', equals: 'open' }],
      }],
    }],
  });
  const step = compiled.steps[0]!;
  const res: ResponseView = { status: 201, headers: { location: '/x' }, body: '{"id":"c1","status":"open"}', json: () => JSON.parse('{"id":"c1","status":"open"}'), durationMs: 1 };
  assert.equal(step.checks[0]!.test(res, {}), true);
  assert.equal(step.checks[0]!.test({ ...res, status: 200 }, {}), false);
  const vars: Record<string, unknown> = {};
  assert.deepEqual(step.extract!(res, vars), []);
  assert.deepEqual(vars, { id: 'c1', loc: '/x' });
  assert.deepEqual(step.extract!({ ...res, body: '{}', json: () => ({}) }, {}), ['id']);
});

test('--rate and --duration reshape a profile but keep its shape; --model closed paces VUs', () => {
  const surge = builtinScenario('holiday-surge').load;
  const scaled = applyOverrides(surge, { rate: 20, duration: 120 });
  assert.equal(scaled.executor, 'ramping-arrival-rate');
  if (scaled.executor !== 'ramping-arrival-rate') return;
  assert.equal(scaled.startRate, 20);
  assert.deepEqual(scaled.stages.map((s) => s.target), [20, 100, 100, 20, 20]);
  assert.equal(scaled.stages.reduce((n, s) => n + s.duration, 0), 120);
  const closed = applyOverrides({ executor: 'constant-arrival-rate', rate: 50, duration: 10 }, { model: 'closed', vus: 2, rate: 50 });
  assert.deepEqual(closed, { executor: 'constant-vus', vus: 2, duration: 10, pace: 0.04 });
  const flatOut = applyOverrides({ executor: 'constant-arrival-rate', rate: 50, duration: 10 }, { model: 'closed', vus: 2 });
  assert.deepEqual(flatOut, { executor: 'constant-vus', vus: 2, duration: 10 }, 'no --rate: each VU goes as fast as it can');
  assert.deepEqual(parseStages('30s:10,1m:50'), [{ duration: 30, target: 10 }, { duration: 60, target: 50 }]);
  assert.throws(() => applyOverrides({ executor: 'constant-arrival-rate', rate: 5, duration: 10 }, { stages: [{ duration: 10, target: 0 }] }), /never rises above 0/);
});

test('every built-in scenario compiles', () => {
  for (const name of builtinNames()) {
    const spec = builtinScenario(name, { url: 'http://127.0.0.1:9/' });
    const c = compileScenario(spec);
    assert.ok(c.steps.length > 0, name);
  }
});
