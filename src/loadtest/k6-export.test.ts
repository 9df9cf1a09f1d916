// The k6 export, checked without k6 (it cannot be installed here): the script parses as an ES module,
// imports only k6's own modules, carries the scenario's stages and thresholds, and, run against stub k6
// modules, makes the journey's requests in order with the values extracted on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { prepareRun } from './load-engine.ts';
import { exportK6Script, k6Threshold } from './k6-export.ts';
import { k6Duration } from './load-units.ts';
import { builtinNames } from './builtin-scenarios.ts';
import { compileScenario } from './compiled-scenario.ts';
import { scenarioFromData } from './scenario-file.ts';
import { parse as parseYaml } from 'yaml';

async function exported(name: string, overrides: { duration?: number; rate?: number } = {}) {
  const prepared = await prepareRun({ source: { kind: 'builtin', name, params: { url: 'http://127.0.0.1:8080/health' } }, overrides });
  return { prepared, script: exportK6Script({ scenario: prepared.scenario, load: prepared.load, targetUrl: prepared.targetUrl, gracefulStopSec: 10, timeoutSec: 10 }) };
}

function optionsOf(script: string): { scenarios: Record<string, Record<string, unknown>>; thresholds: Record<string, string[]> } {
  const m = /export const options = (\{[\s\S]*?\n\});/.exec(script);
  assert.ok(m, 'an options export');
  return JSON.parse(m[1]!);
}

test('every built-in scenario exports to a script that parses as an ES module and imports only k6 modules', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'k6-export-'));
  try {
    for (const name of builtinNames()) {
      const { script } = await exported(name);
      const imports = [...script.matchAll(/^\s*import\s[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      assert.ok(imports.length >= 2, `${name}: imports k6/http and k6`);
      for (const mod of imports) assert.match(mod!, /^k6(\/[a-z-]+)*$/, `${name}: imports ${mod}`);
      assert.doesNotMatch(script, /\brequire\(|https:\/\/jslib/, `${name}: no require or remote modules`);
      const file = path.join(dir, `${name}.mjs`);
      await writeFile(file, script);
      const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
      assert.equal(check.status, 0, `${name}: node --check failed:\n${check.stderr}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('holiday-surge keeps its stages and thresholds in k6 terms', async () => {
  const { prepared, script } = await exported('holiday-surge', { duration: 60 });
  const options = optionsOf(script);
  const scenario = options.scenarios.holiday_surge!;
  assert.equal(scenario.executor, 'ramping-arrival-rate');
  assert.equal(prepared.load.executor, 'ramping-arrival-rate');
  if (prepared.load.executor !== 'ramping-arrival-rate') return;
  assert.equal(scenario.startRate, prepared.load.startRate);
  assert.equal(scenario.timeUnit, '1s');
  assert.deepEqual(scenario.stages, prepared.load.stages.map((s) => ({ duration: k6Duration(s.duration), target: s.target })));
  assert.equal(scenario.maxVUs, prepared.load.maxVUs);
  assert.deepEqual(options.thresholds, {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    'http_req_duration{step:checkout/place-order}': ['p(99)<1500'],
  });
  for (const t of prepared.scenario.thresholds) assert.ok(!('unsupported' in k6Threshold(t)));
});

test('a fractional rate becomes whole iterations per longer time unit', async () => {
  const { script } = await exported('mixed', { rate: 2.5, duration: 30 });
  const s = optionsOf(script).scenarios.mixed!;
  assert.deepEqual([s.rate, s.timeUnit, s.duration], [5, '2s', '30s']);
});

/**
 * Runs the exported script's journey under stub k6 modules and returns the requests it made (each body as
 * parsed and as sent), the checks' results, the script's options, and the error that ended the iteration.
 */
function runJourney(script: string, journey: string, answer: (method: string, url: string) => { status: number; body: unknown }) {
  const requests: { method: string; url: string; body: unknown; bodyText: string | null; headers: Record<string, string>; step: string }[] = [];
  const checks: Record<string, boolean[]> = Object.create(null);
  const http = {
    request(method: string, url: string, body: string | null, params: { headers: Record<string, string>; tags: { step: string } }) {
      requests.push({ method, url, body: body ? JSON.parse(body) : null, bodyText: body, headers: params.headers, step: params.tags.step });
      const a = answer(method, url);
      const text = JSON.stringify(a.body);
      return { status: a.status, body: text, headers: {}, timings: { duration: 1 }, json: () => JSON.parse(text) };
    },
    expectedStatuses: () => ({}),
    setResponseCallback: () => {},
  };
  const k6 = {
    check(res: unknown, sets: Record<string, (r: unknown) => boolean>) {
      let all = true;
      for (const [name, fn] of Object.entries(sets)) { const ok = fn(res); (checks[name] ??= []).push(ok); all &&= ok; }
      return all;
    },
    sleep: () => {},
  };
  const code = script
    .replace("import http from 'k6/http';", 'const http = __k6http;')
    .replace("import { check, sleep } from 'k6';", 'const { check, sleep } = __k6;')
    .replace('export const options', 'const options')
    .replace('export function setup', 'function setup')
    .replace('export default function', 'function __default');
  const context = vm.createContext({ __k6http: http, __k6: k6, __ENV: { TARGET_URL: 'http://shop.test' }, __VU: 1, __ITER: 0, JSON, Math, Date, Object, Array, Number, String, Error });
  vm.runInContext(`${code}\nglobalThis.__options = options;\nglobalThis.__run = function () { var data = setup(); ${journey}(variables(data, { $vu: 1, $iteration: 0 })); };`, context);
  const ran = context as { __run: () => void; __options: { scenarios: Record<string, unknown> } };
  let error: Error | undefined;
  try { ran.__run(); } catch (err) { error = err as Error; }
  return { requests, checks, options: ran.__options, error };
}

const SHOP = (method: string, url: string) => {
  const u = new URL(url);
  if (method === 'GET' && u.pathname === '/api/products') return { status: 200, body: { items: [{ id: 'p-1', slug: 'alpine-scarf-00001' }, { id: 'p-2', slug: 'b' }, { id: 'p-3', slug: 'c' }] } };
  if (method === 'GET' && u.pathname.startsWith('/api/products/')) return { status: 200, body: { id: 'p-1', price: { amount: 100 } } };
  if (method === 'POST' && u.pathname === '/api/carts') return { status: 201, body: { id: 'cart-9' } };
  if (method === 'POST' && u.pathname.endsWith('/items')) return { status: 200, body: { lines: [{ productId: 'p-1' }] } };
  if (method === 'POST' && u.pathname === '/api/checkout') return { status: 202, body: { orderId: 'order-7', accessToken: 'tok-7', status: 'pending_payment' } };
  if (method === 'GET' && u.pathname.startsWith('/api/orders/')) return { status: 200, body: { status: 'paid' } };
  return { status: 404, body: {} };
};

test('the exported checkout journey makes the same requests, carrying the cart and order ids along', async () => {
  const { script } = await exported('checkout');
  const { requests, checks } = runJourney(script, 'journey_checkout', SHOP);
  assert.deepEqual(requests.map((r) => `${r.method} ${new URL(r.url).pathname.replace(/^\/api\/products\/(alpine-scarf-00001|b|c)$/, '/api/products/<picked>')}`), [
    'GET /api/products', 'GET /api/products/<picked>', 'POST /api/carts', 'POST /api/carts/cart-9/items', 'POST /api/checkout', 'GET /api/orders/order-7',
  ]);
  assert.ok(requests.every((r) => r.url.startsWith('http://shop.test/')), 'TARGET_URL from the environment');
  const add = requests[3]!;
  assert.equal((add.body as { quantity: number }).quantity, 1);
  assert.match((add.body as { productId: string }).productId, /^p-[123]$/);
  const pay = requests[4]!;
  assert.match(pay.headers['idempotency-key']!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const body = pay.body as { cartId: string; paymentMethod: string; shippingAddress: { country: string } };
  assert.equal(body.cartId, 'cart-9');
  assert.match(body.paymentMethod, /^pm_card_/);
  assert.equal(body.shippingAddress.country, 'GB');
  assert.equal(requests[5]!.headers.authorization, 'Bearer tok-7');
  assert.equal(requests[4]!.step, 'checkout/place-order');
  for (const [name, results] of Object.entries(checks)) assert.ok(results.every(Boolean), `check "${name}" passed`);
});

test('a sold-out answer ends the exported flash-sale journey, as it does in holdfast loadtest', async () => {
  const { script } = await exported('flash-sale');
  const { requests } = runJourney(script, 'journey_checkout', (m, u) => (m === 'POST' && u.endsWith('/items') ? { status: 409, body: { error: { code: 'OUT_OF_STOCK' } } } : SHOP(m, u)));
  const last = requests[requests.length - 1]!;
  assert.equal(`${last.method} ${new URL(last.url).pathname}`, 'POST /api/carts/cart-9/items');
  assert.ok(!requests.some((r) => r.url.includes('/api/checkout')), 'no checkout after a sold-out answer');
});

test('names in the exported script are only names: __proto__ keys are data and variables, inherited names are not found', () => {
  const spec = scenarioFromData(parseYaml(`
name: __proto__
load: { executor: constant-arrival-rate, rate: 1, duration: 10s }
data: { __proto__: { id: d-1 }, term: wool }
journeys:
  - name: buy
    steps:
      - name: catalog
        get: /api/products
        extract: { constructor: "$.items[0].id", ctor: $.constructor }
        continueOnError: true
        checks: { __proto__: { status: 200 } }
      - name: order
        post: /orders/{{__proto__.id}}/{{constructor}}?term={{term}}
        pick: { __proto__: products }
        headers: { __proto__: "{{term}}" }
        json: { __proto__: { polluted: "{{constructor}}" }, n: 1 }
      - name: inherited
        get: /x/{{toString}}
`), 'names.yaml');
  spec.data = { ...spec.data, products: [{ id: 'p-9' }] };
  const scenario = compileScenario(spec);
  const script = exportK6Script({ scenario, load: spec.load, targetUrl: 'http://127.0.0.1:8080', gracefulStopSec: 10, timeoutSec: 10 });
  const { requests, checks, options, error } = runJourney(script, 'journey_buy', (m, u) => (u.includes('/orders/') ? { status: 201, body: {} } : SHOP(m, u)));
  assert.ok(Object.hasOwn(options.scenarios, '__proto__'), 'a scenario called __proto__ keeps its k6 scenario');
  assert.deepEqual(checks.__proto__, [true], 'a check called __proto__ runs');
  assert.deepEqual(checks['extracted values'], [false], '$.constructor is not in the response');
  // pick __proto__ replaced the data's __proto__ variable with a product: {{__proto__.id}} is the product's id.
  assert.deepEqual(requests.map((r) => `${r.method} ${r.url}`), ['GET http://shop.test/api/products', 'POST http://shop.test/orders/p-9/p-1?term=wool']);
  assert.equal(requests[1]!.bodyText, '{"__proto__":{"polluted":"p-1"},"n":1}');
  assert.ok(Object.hasOwn(requests[1]!.headers, '__proto__'), 'a header called __proto__ is sent');
  assert.equal(requests[1]!.headers.__proto__, 'wool');
  assert.match(String(error?.message), /\{\{toString\}\}: no such variable/, 'an inherited name is no variable: the iteration ends there');
  assert.equal(requests.length, 2);
});

test('data named __proto__ reaches the exported script\'s variables', () => {
  const spec = scenarioFromData(parseYaml(`
name: data
load: { executor: constant-arrival-rate, rate: 1, duration: 10s }
data: { __proto__: { id: d-1 } }
journeys:
  - name: buy
    steps:
      - name: order
        post: /orders/{{__proto__.id}}
        json: {}
`), 'data.yaml');
  const script = exportK6Script({ scenario: compileScenario(spec), load: spec.load, targetUrl: 'http://127.0.0.1:8080', gracefulStopSec: 10, timeoutSec: 10 });
  const { requests, error } = runJourney(script, 'journey_buy', SHOP);
  assert.equal(error, undefined);
  assert.deepEqual(requests.map((r) => r.url), ['http://shop.test/orders/d-1']);
});

test('the exported checkout journey polls the order until it is paid, as the until step does', async () => {
  const { script } = await exported('checkout');
  let polls = 0;
  const { requests } = runJourney(script, 'journey_checkout', (m, u) => (m === 'GET' && new URL(u).pathname.startsWith('/api/orders/')
    ? { status: 200, body: { status: ++polls < 3 ? 'pending_payment' : 'paid' } } : SHOP(m, u)));
  assert.equal(requests.filter((r) => r.url.includes('/api/orders/')).length, 3, 'pending, pending, paid');
});
