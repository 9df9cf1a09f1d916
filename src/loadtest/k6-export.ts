// `holdfast loadtest --export k6 <scenario>`: the same test as a k6 script, for distributed runs with
// k6-operator on Kubernetes. The load model maps onto k6's executor of the same name (stages, rates,
// in-flight limit), thresholds onto k6 metrics (http_req_duration, http_req_failed, checks,
// dropped_iterations, http_reqs; per step through a `step` tag), and each journey becomes a function
// that makes its requests with checks. Templates, JSON paths and picks behave as in holdfast loadtest:
// the script carries a small helper with the same semantics. Only k6's own modules are imported.
import type { CompiledScenario, CompiledStep } from './compiled-scenario.ts';
import { k6Duration } from './load-units.ts';
import type { CheckSpec, LoadModel } from './scenario-types.ts';
import type { Threshold } from './threshold-rules.ts';

export interface K6ExportOptions {
  scenario: CompiledScenario;
  load: LoadModel;
  targetUrl: string;
  gracefulStopSec: number;
  timeoutSec: number;
  generatedBy?: string;
}

/**
 * A value as JavaScript source: its JSON, except that a "__proto__" key is written as a computed key,
 * ["__proto__"]: ... In an object literal `"__proto__": v` sets the object's prototype instead of
 * defining a property, so a scenario's `__proto__` key (in a body, its data, its name) would vanish from
 * the script; the computed key defines it, as JSON.parse does. Every string of the JSON text is matched
 * whole from its opening quote (no other JSON token holds a quote), so a string followed by a colon is a key.
 */
function js(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/"(?:[^"\\]|\\.)*"(\s*:)?/g, (token, colon?: string) => (colon !== undefined && token === `"__proto__"${colon}` ? `["__proto__"]${colon}` : token));
}

/** A rate as k6 wants it (an integer per timeUnit): 2.5/s becomes 5 per 2s. */
export function k6RateUnit(rates: number[]): { unit: number; scale: (r: number) => number } {
  for (const unit of [1, 2, 4, 5, 10, 20, 60, 100, 1000]) {
    if (rates.every((r) => Math.abs(r * unit - Math.round(r * unit)) < 1e-6)) return { unit, scale: (r) => Math.round(r * unit) };
  }
  return { unit: 1000, scale: (r) => Math.round(r * 1000) };
}

function scenarioOptions(load: LoadModel, gracefulStopSec: number): Record<string, unknown> {
  const gracefulStop = k6Duration(gracefulStopSec);
  switch (load.executor) {
    case 'constant-arrival-rate': {
      const { unit, scale } = k6RateUnit([load.rate]);
      const maxVUs = load.maxVUs ?? 100;
      return { executor: load.executor, rate: scale(load.rate), timeUnit: `${unit}s`, duration: k6Duration(load.duration), preAllocatedVUs: Math.min(maxVUs, Math.max(1, Math.ceil(load.rate * 2))), maxVUs, gracefulStop };
    }
    case 'ramping-arrival-rate': {
      const { unit, scale } = k6RateUnit([load.startRate, ...load.stages.map((s) => s.target)]);
      const maxVUs = load.maxVUs ?? 100;
      const peak = Math.max(load.startRate, ...load.stages.map((s) => s.target));
      return {
        executor: load.executor, startRate: scale(load.startRate), timeUnit: `${unit}s`,
        preAllocatedVUs: Math.min(maxVUs, Math.max(1, Math.ceil(peak * 2))), maxVUs,
        stages: load.stages.map((s) => ({ duration: k6Duration(s.duration), target: scale(s.target) })), gracefulStop,
      };
    }
    case 'constant-vus':
      return { executor: load.executor, vus: load.vus, duration: k6Duration(load.duration), gracefulStop };
    case 'ramping-vus':
      return { executor: load.executor, startVUs: load.startVUs, stages: load.stages.map((s) => ({ duration: k6Duration(s.duration), target: s.target })), gracefulStop };
  }
}

/** One holdfast threshold as a k6 [metric, expression], or a reason it has no k6 equivalent. */
export function k6Threshold(t: Threshold): { metric: string; expr: string } | { unsupported: string } {
  const op = t.op === '==' ? '===' : t.op;
  const tag = t.scope ? `{step:${t.scope}}` : '';
  const num = (v: number) => String(Number(v.toFixed(6)));
  switch (t.metric.kind) {
    case 'percentile': return { metric: `http_req_duration${tag}`, expr: `p(${t.metric.percentile})${op}${num(t.value)}` };
    case 'latency': return { metric: `http_req_duration${tag}`, expr: `${t.metric.stat}${op}${num(t.value)}` };
    case 'error_rate': return { metric: `http_req_failed${tag}`, expr: `rate${op}${num(t.value)}` };
    case 'checks': return { metric: `checks${tag}`, expr: `rate${op}${num(t.value)}` };
    case 'dropped_iterations': return { metric: 'dropped_iterations', expr: `count${op}${num(t.value)}` };
    case 'rps': return { metric: `http_reqs${tag}`, expr: `rate${op}${num(t.value)}` };
    case 'dropped_rate': return { unsupported: `${t.expr}: k6 has no dropped-iteration rate; use dropped_iterations<N` };
  }
}

function fnSource(fn: (...args: never[]) => unknown): string {
  const src = fn.toString().trim();
  return /^(async\s+)?(function\b|\(|[\w$]+\s*=>)/.test(src) ? src : `function ${src}`;
}

const RUNTIME = String.raw`
// Helpers with the semantics of holdfast loadtest's templates ("{{cartId}}", "{{product.slug}}",
// "{{$uuid}}", "{{$randomInt(1,5)}}", "{{$vu}}", "{{$iteration}}", "{{$timestamp}}") and JSON paths.
// A name is only ever a name: paths read own properties (toString and constructor are not found),
// variables are null-prototype objects (an extract called __proto__ is a variable), and bodies and
// headers are built with own properties (a __proto__ key is sent).
var own = Object.prototype.hasOwnProperty;
function field(value, key) {
  return own.call(value, key) ? value[key] : undefined;
}
function define(target, key, value) {
  Object.defineProperty(target, key, { value: value, enumerable: true, writable: true, configurable: true });
}
function merge(target) {
  for (var i = 1; i < arguments.length; i++) for (var k in arguments[i]) if (own.call(arguments[i], k)) define(target, k, arguments[i][k]);
  return target;
}
function variables() {
  return merge.apply(null, [Object.create(null)].concat(Array.prototype.slice.call(arguments)));
}
function uuid() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, function (c) {
    var r = Math.random() * 16 | 0;
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}
function walk(value, path) {
  var re = /\.([A-Za-z_$][\w$-]*)|\[(\d+|\*)\]|\["([^"]+)"\]/g;
  var segments = [];
  var m;
  while ((m = re.exec(path)) !== null) segments.push(m[1] !== undefined ? m[1] : m[2] !== undefined ? (m[2] === '*' ? '*' : Number(m[2])) : m[3]);
  var cur = value;
  for (var i = 0; i < segments.length; i++) {
    if (cur === null || cur === undefined) return undefined;
    if (segments[i] === '*') {
      if (!Array.isArray(cur)) return undefined;
      var rest = segments.slice(i + 1);
      return cur.map(function (item) { return walkSegments(item, rest); });
    }
    cur = field(cur, segments[i]);
  }
  return cur;
}
function walkSegments(value, segments) {
  return walk(value, segments.map(function (s) { return typeof s === 'number' || s === '*' ? '[' + s + ']' : '.' + s; }).join(''));
}
function lookup(vars, expr) {
  expr = expr.trim();
  if (expr === '$uuid') return uuid();
  if (expr === '$timestamp') return Date.now();
  var rand = /^\$randomInt\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$/.exec(expr);
  if (rand) { var lo = Number(rand[1]); return lo + Math.floor(Math.random() * (Number(rand[2]) - lo + 1)); }
  var m = /^([A-Za-z_$][\w$]*)(.*)$/.exec(expr);
  var value = m ? walk(field(vars, m[1]), m[2]) : undefined;
  if (value === undefined) throw new Error('{{' + expr + '}}: no such variable');
  return value;
}
function tpl(value, vars) {
  if (typeof value === 'string') {
    var whole = /^\{\{([^{}]+)\}\}$/.exec(value);
    if (whole) return lookup(vars, whole[1]);
    return value.replace(/\{\{([^{}]+)\}\}/g, function (_, expr) {
      var v = lookup(vars, expr);
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    });
  }
  if (Array.isArray(value)) return value.map(function (v) { return tpl(v, vars); });
  if (value !== null && typeof value === 'object') {
    var out = {};
    for (var k in value) if (own.call(value, k)) define(out, k, tpl(value[k], vars));
    return out;
  }
  return value;
}
function url(vars, template) {
  var u = tpl(template, vars);
  return /^https?:\/\//.test(u) ? u : TARGET_URL + (u.charAt(0) === '/' ? u : '/' + u);
}
function json(res, path) {
  try { return walk(res.json(), path.slice(1)); } catch (e) { return undefined; }
}
function extract(res, source) {
  if (source === 'status') return res.status;
  if (source === 'body') return res.body;
  if (source.indexOf('header:') === 0) {
    var name = source.slice(7).trim().toLowerCase();
    for (var h in res.headers) if (h.toLowerCase() === name) return res.headers[h];
    return undefined;
  }
  return json(res, source);
}
function pick(vars, list) {
  var xs = field(vars, list);
  if (!Array.isArray(xs) || xs.length === 0) throw new Error('pick from "' + list + '": not a non-empty list');
  return xs[Math.floor(Math.random() * xs.length)];
}
function think(min, max) {
  sleep(min + Math.random() * (max - min));
}
function expected(res, statuses) {
  return statuses ? statuses.indexOf(res.status) >= 0 : res.status >= 200 && res.status < 400;
}
function view(res, vars) {
  return { status: res.status, headers: res.headers, body: res.body, json: function () { return res.json(); }, durationMs: res.timings.duration };
}
`;

function checkCode(c: CheckSpec): string {
  const conds: string[] = [];
  if (c.status !== undefined) conds.push(`${js(Array.isArray(c.status) ? c.status : [c.status])}.indexOf(r.status) >= 0`);
  if (c.jsonPath !== undefined) {
    conds.push(c.equals !== undefined
      ? `JSON.stringify(json(r, ${js(c.jsonPath)})) === ${js(JSON.stringify(c.equals))}`
      : `json(r, ${js(c.jsonPath)}) !== undefined && json(r, ${js(c.jsonPath)}) !== null`);
  }
  if (c.bodyIncludes !== undefined) conds.push(`typeof r.body === 'string' && r.body.indexOf(${js(c.bodyIncludes)}) >= 0`);
  if (c.fn) conds.push(`(${fnSource(c.fn)})(view(r, vars), vars) === true /* from a TypeScript function */`);
  return `[${js(c.name)}]: function (r) { return ${conds.join(' && ') || 'true'}; }`;
}

function stepCode(step: CompiledStep, indent: string, exitStatement: string, defaultTimeoutSec: number): string[] {
  const s = step.spec;
  const out: string[] = [`${indent}// ${step.key}: ${step.method} ${step.urlText}`];
  for (const [name, list] of step.pick) out.push(`${indent}vars[${js(name)}] = pick(vars, ${js(list)});`);
  const urlExpr = typeof s.url === 'function' ? `url(vars, (${fnSource(s.url)})(vars)) /* from a TypeScript function */` : `url(vars, ${js(s.url)})`;
  let body = 'null';
  if (s.json !== undefined) body = typeof s.json === 'function' ? `JSON.stringify((${fnSource(s.json as () => unknown)})(vars))` : `JSON.stringify(tpl(${js(s.json)}, vars))`;
  else if (s.body !== undefined) body = typeof s.body === 'function' ? `(${fnSource(s.body)})(vars)` : `tpl(${js(s.body)}, vars)`;
  const baseHeaders: Record<string, string> = {};
  if (s.json !== undefined) baseHeaders['content-type'] = 'application/json';
  const headers = typeof s.headers === 'function'
    ? `merge(${js(baseHeaders)}, SCENARIO_HEADERS, (${fnSource(s.headers)})(vars))`
    : `merge(${js(baseHeaders)}, SCENARIO_HEADERS, tpl(${js(s.headers ?? {})}, vars))`;
  const expect = step.expect ? [...step.expect] : undefined;
  const callback = expect ? `http.expectedStatuses(${expect.join(', ')})` : 'http.expectedStatuses({ min: 200, max: 399 })';
  const timeout = `, timeout: ${js(`${Math.round(step.timeoutMs ?? defaultTimeoutSec * 1000)}ms`)}`;
  const request = `http.request(${js(step.method)}, ${urlExpr}, ${body}, { headers: ${headers}, tags: { step: ${js(step.key)} }, responseCallback: ${callback}${timeout} })`;
  if (s.until && step.until) {
    // Polled until the value is one of those wanted, or the timeout from the first poll passes.
    const wanted = js((s.until.in ?? [s.until.equals]).map((v) => JSON.stringify(v)));
    out.push(`${indent}var untilStart = Date.now();`);
    out.push(`${indent}for (;;) {`);
    out.push(`${indent}  res = ${request};`);
    out.push(`${indent}  if (!expected(res, ${js(expect ?? null)}) || ${wanted}.indexOf(JSON.stringify(json(res, ${js(s.until.jsonPath)}))) >= 0) break;`);
    out.push(`${indent}  if (Date.now() - untilStart + ${step.until.intervalMs} >= ${step.until.timeoutMs}) break;`);
    out.push(`${indent}  sleep(${step.until.intervalMs / 1000});`);
    out.push(`${indent}}`);
  } else {
    out.push(`${indent}res = ${request};`);
  }
  if (s.checks?.length) out.push(`${indent}check(res, { ${s.checks.map(checkCode).join(', ')} }, { step: ${js(step.key)} });`);
  const failExit = step.continueOnError ? [] : [`${indent}if (!expected(res, ${js(expect ?? null)})) ${exitStatement}`];
  out.push(...failExit);
  if (s.stopOn?.length) out.push(`${indent}if (${js(s.stopOn)}.indexOf(res.status) >= 0) ${exitStatement}`);
  if (typeof s.extract === 'function') {
    out.push(`${indent}merge(vars, (${fnSource(s.extract)})(view(res, vars), vars)); /* from a TypeScript function */`);
  } else if (s.extract) {
    const names = Object.keys(s.extract);
    for (const [name, source] of Object.entries(s.extract)) out.push(`${indent}vars[${js(name)}] = extract(res, ${js(source)});`);
    const ok = names.map((n) => `vars[${js(n)}] !== undefined && vars[${js(n)}] !== null`).join(' && ');
    out.push(`${indent}if (!check(res, { 'extracted values': function () { return ${ok}; } }, { step: ${js(step.key)} })${step.continueOnError ? ' && false' : ''}) ${exitStatement}`);
  }
  if (step.think) out.push(`${indent}think(${step.think.min}, ${step.think.max});`);
  return out;
}

const ident = (name: string) => `journey_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;

export function exportK6Script(o: K6ExportOptions): string {
  const { scenario, load } = o;
  const spec = scenario.spec;
  const thresholds: Record<string, string[]> = {};
  const unsupported: string[] = [];
  for (const t of scenario.thresholds) {
    const m = k6Threshold(t);
    if ('unsupported' in m) { unsupported.push(m.unsupported); continue; }
    (thresholds[m.metric] ??= []).push(m.expr);
  }
  const key = spec.name.replace(/[^A-Za-z0-9_]/g, '_');
  const options = { scenarios: { [key]: scenarioOptions(load, o.gracefulStopSec) }, thresholds, setupTimeout: '60s' };
  const lines: string[] = [
    `// ${spec.name}: ${spec.description ?? 'a Holdfast load test'}`,
    `// Generated by ${o.generatedBy ?? 'holdfast loadtest --export k6'}. Edit the scenario, not this file, and export again.`,
    '//',
    `//   k6 run -e TARGET_URL=${o.targetUrl} ${key}.js`,
    '//',
    '// Distributed on Kubernetes: put this file in a ConfigMap and run it with a k6-operator TestRun whose',
    '// `parallelism` splits the arrival rate between k6 runners (see docs/loadtest.md).',
    '//',
    '// k6 measures each request from the moment it sent it; holdfast loadtest measures from the moment it',
    '// was scheduled. With an arrival-rate executor both start iterations on schedule (an iteration that',
    '// finds no free VU is counted in dropped_iterations), so the latencies agree unless k6 itself lags.',
    ...unsupported.map((u) => `// Not exported: ${u}`),
    "import http from 'k6/http';",
    "import { check, sleep } from 'k6';",
    '',
    "const TARGET_URL = String(__ENV.TARGET_URL || " + js(o.targetUrl.replace(/\/+$/, '')) + ").replace(/\\/+$/, '');",
    `const SCENARIO_HEADERS = ${js(Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])))};`,
    `const DATA = ${js(spec.data ?? {}, 2)};`,
    '',
    `export const options = ${js({ ...options, summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'p(99.9)', 'max'] }, 2)};`,
    '',
    `http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }));`,
    RUNTIME,
    'export function setup() {',
    '  var vars = variables(DATA);',
    '  var res;',
  ];
  for (const step of scenario.setup) lines.push(...stepCode(step, '  ', `throw new Error(${js(`setup failed at ${step.key}`)});`, o.timeoutSec));
  lines.push('  return vars;', '}', '');
  for (const j of scenario.journeys) {
    lines.push(`function ${ident(j.name)}(vars) {`, '  var res;');
    for (const step of j.steps) lines.push(...stepCode(step, '  ', 'return;', o.timeoutSec));
    lines.push('}', '');
  }
  lines.push(
    `const JOURNEYS = [${scenario.journeys.map((j) => `{ name: ${js(j.name)}, weight: ${j.weight}, run: ${ident(j.name)} }`).join(', ')}];`,
    `const TOTAL_WEIGHT = ${scenario.journeys.reduce((n, j) => n + j.weight, 0)};`,
    '',
    'export default function (data) {',
    '  var r = Math.random() * TOTAL_WEIGHT;',
    '  var journey = JOURNEYS[JOURNEYS.length - 1];',
    '  for (var i = 0; i < JOURNEYS.length; i++) {',
    '    if (r < JOURNEYS[i].weight) { journey = JOURNEYS[i]; break; }',
    '    r -= JOURNEYS[i].weight;',
    '  }',
    '  var vars = variables(data, { $vu: __VU, $iteration: __ITER });',
    ...(load.executor === 'constant-vus' || load.executor === 'ramping-vus'
      ? load.pace
        ? ['  var started = Date.now();', '  journey.run(vars);', `  var rest = ${load.pace} - (Date.now() - started) / 1000;`, '  if (rest > 0) sleep(rest);']
        : ['  journey.run(vars);']
      : ['  journey.run(vars);']),
    '}',
    '',
  );
  return lines.join('\n');
}
