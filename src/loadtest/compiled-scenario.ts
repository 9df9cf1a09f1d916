// A scenario prepared for running: templates compiled, checks and extractors turned into functions,
// thresholds parsed and tied to step keys ("journey/step"). Built the same way in the main thread (for
// thresholds, reports and exports) and in every worker (to run it).
import type { CheckSpec, JourneySpec, ResponseView, ScenarioSpec, StepSpec, ThinkTime, UntilSpec, Vars } from './scenario-types.ts';
import { compileJson, compileString, evalJsonPath, ownProperty, parseJsonPath, setOwn, TemplateError, walkPath } from './template-engine.ts';
import { parseThreshold, type Threshold } from './threshold-rules.ts';

export interface CompiledCheck {
  name: string;
  test(res: ResponseView, vars: Vars): boolean;
}

export interface CompiledStep {
  /** "journey/step" (setup steps: "setup/step"). */
  key: string;
  journey: string;
  name: string;
  method: string;
  /** The URL as written, for reports ("/api/carts/{{cartId}}/items"; "(function)" for a builder). */
  urlText: string;
  url(vars: Vars): string;
  headers(vars: Vars): Record<string, string>;
  body(vars: Vars): string | undefined;
  /** URL, headers and body are the same for every request (no templates, no builders, no picks): built once. */
  constantRequest: boolean;
  /** The response body is read (and kept as text) only when a check or an extractor needs it. */
  needsBody: boolean;
  pick: [string, string][];
  extract?: (res: ResponseView, vars: Vars) => string[];
  checks: CompiledCheck[];
  expect?: ReadonlySet<number>;
  stopOn?: ReadonlySet<number>;
  think?: { min: number; max: number };
  timeoutMs?: number;
  continueOnError: boolean;
  /** The step's `until`: the request is sent again every intervalMs until met() or timeoutMs from the step's start. */
  until?: CompiledUntil;
  spec: StepSpec;
}

export interface CompiledUntil {
  met(res: ResponseView): boolean;
  intervalMs: number;
  timeoutMs: number;
  /** "$.status in [paid, payment_failed]", for the failure's message. */
  text: string;
}

export const DEFAULT_UNTIL_INTERVAL_SEC = 1;
export const DEFAULT_UNTIL_TIMEOUT_SEC = 60;

function compileUntil(u: UntilSpec, key: string): CompiledUntil {
  if ((u.equals === undefined) === (u.in === undefined)) throw new ScenarioError(`${key}: until needs either "equals" or "in"`);
  const wanted = (u.in ?? [u.equals]).map((v) => JSON.stringify(v));
  const segments = parseJsonPath(u.jsonPath);
  const intervalMs = (u.interval ?? DEFAULT_UNTIL_INTERVAL_SEC) * 1000;
  const timeoutMs = (u.timeout ?? DEFAULT_UNTIL_TIMEOUT_SEC) * 1000;
  if (!(intervalMs > 0) || !(timeoutMs >= intervalMs)) throw new ScenarioError(`${key}: until needs an interval > 0 and a timeout no shorter than it`);
  return {
    met: (res) => {
      let value: unknown;
      try { value = walkPath(res.json(), segments); } catch { return false; }
      return value !== undefined && wanted.includes(JSON.stringify(value));
    },
    intervalMs, timeoutMs,
    text: `${u.jsonPath} ${u.in ? `in [${u.in.map(String).join(', ')}]` : `= ${String(u.equals)}`}`,
  };
}

export interface CompiledJourney {
  name: string;
  weight: number;
  steps: CompiledStep[];
}

export interface CompiledScenario {
  spec: ScenarioSpec;
  journeys: CompiledJourney[];
  setup: CompiledStep[];
  /** Run-wide and per-step thresholds, scopes resolved to step keys. */
  thresholds: Threshold[];
  steps: CompiledStep[];
  /** Picks a journey by weight. */
  pickJourney(random: number): CompiledJourney;
}

export class ScenarioError extends Error {}

function thinkRange(t: ThinkTime | undefined): { min: number; max: number } | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return t > 0 ? { min: t, max: t } : undefined;
  if (!(t.min >= 0 && t.max >= t.min)) throw new ScenarioError(`think time {min: ${t.min}, max: ${t.max}} is not a range`);
  return t.max > 0 ? t : undefined;
}

function compileCheck(c: CheckSpec, where: string): CompiledCheck {
  const tests: ((res: ResponseView, vars: Vars) => boolean)[] = [];
  if (c.status !== undefined) {
    const allowed = new Set(Array.isArray(c.status) ? c.status : [c.status]);
    tests.push((res) => allowed.has(res.status));
  }
  if (c.jsonPath !== undefined) {
    const segments = parseJsonPath(c.jsonPath);
    const json = (res: ResponseView) => { try { return walkPath(res.json(), segments); } catch { return undefined; } };
    if (c.equals !== undefined) {
      const expected = JSON.stringify(c.equals);
      tests.push((res) => JSON.stringify(json(res)) === expected);
    } else {
      tests.push((res) => { const v = json(res); return v !== undefined && v !== null; });
    }
  } else if (c.equals !== undefined) {
    throw new ScenarioError(`${where}: check "${c.name}" has "equals" without "jsonPath"`);
  }
  if (c.bodyIncludes !== undefined) {
    const text = c.bodyIncludes;
    tests.push((res) => res.body.includes(text));
  }
  if (c.fn) tests.push(c.fn);
  if (!tests.length) throw new ScenarioError(`${where}: check "${c.name}" has no condition (status, jsonPath, bodyIncludes or fn)`);
  return {
    name: c.name,
    test: (res, vars) => {
      for (const t of tests) if (!t(res, vars)) return false;
      return true;
    },
  };
}

/** "$.id" | "header:location" | "status" | "body" -> a function of the response. */
export function compileExtractor(source: string): (res: ResponseView) => unknown {
  const s = source.trim();
  if (s === 'status') return (res) => res.status;
  if (s === 'body') return (res) => res.body;
  if (s.startsWith('header:')) {
    const name = s.slice('header:'.length).trim().toLowerCase();
    return (res) => { const v = ownProperty(res.headers, name); return Array.isArray(v) ? v[0] : v; };
  }
  const segments = parseJsonPath(s);
  return (res) => { try { return walkPath(res.json(), segments); } catch { return undefined; } };
}

function compileStep(spec: StepSpec, journey: string, scenarioHeaders: Record<string, string>): CompiledStep {
  const key = `${journey}/${spec.name}`;
  if (!spec.name || /[:\s]/.test(spec.name)) throw new ScenarioError(`step "${spec.name}" in ${journey}: a step name needs at least one character and no spaces or colons`);
  const method = (spec.method ?? 'GET').toUpperCase();
  const templateUrl = typeof spec.url === 'function' ? undefined : compileString(spec.url);
  const url = templateUrl ?? (spec.url as (vars: Vars) => string);
  let headers: (vars: Vars) => Record<string, string>;
  let constantHeaders = false;
  const base = { ...scenarioHeaders };
  if (spec.json !== undefined) base['content-type'] = 'application/json';
  if (typeof spec.headers === 'function') {
    const fn = spec.headers;
    headers = (vars) => ({ ...base, ...fn(vars) });
  } else {
    const compiled = Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), compileString(v)] as const);
    const allConstant = compiled.every(([, f]) => f.constant);
    if (allConstant) {
      const fixed = { ...base, ...Object.fromEntries(compiled.map(([k, f]) => [k, f({})])) };
      headers = () => fixed;
      constantHeaders = true;
    } else {
      headers = (vars) => {
        const out: Record<string, string> = { ...base };
        for (const [k, f] of compiled) setOwn(out, k, f(vars));
        return out;
      };
    }
  }
  let body: (vars: Vars) => string | undefined = () => undefined;
  let constantBody = true;
  if (spec.json !== undefined && spec.body !== undefined) throw new ScenarioError(`${key}: give either json or body, not both`);
  if (spec.json !== undefined) {
    const json = typeof spec.json === 'function' ? (spec.json as (vars: Vars) => unknown) : compileJson(spec.json);
    body = (vars) => JSON.stringify(json(vars));
    constantBody = false;
  } else if (spec.body !== undefined) {
    const compiled = typeof spec.body === 'function' ? undefined : compileString(spec.body);
    body = compiled ?? (spec.body as (vars: Vars) => string);
    constantBody = compiled?.constant ?? false;
  }
  const checks = (spec.checks ?? []).map((c) => compileCheck(c, key));
  let extract: CompiledStep['extract'];
  if (typeof spec.extract === 'function') {
    const fn = spec.extract;
    extract = (res, vars) => {
      const got = fn(res, vars);
      const missing: string[] = [];
      for (const [k, v] of Object.entries(got ?? {})) {
        if (v === undefined || v === null) missing.push(k);
        else vars[k] = v;
      }
      return missing;
    };
  } else if (spec.extract) {
    const extractors = Object.entries(spec.extract).map(([name, src]) => [name, compileExtractor(src)] as const);
    extract = (res, vars) => {
      const missing: string[] = [];
      for (const [name, f] of extractors) {
        const v = f(res);
        if (v === undefined || v === null) missing.push(name);
        else vars[name] = v;
      }
      return missing;
    };
  }
  const pick = Object.entries(spec.pick ?? {});
  const needsBody = extract !== undefined || spec.until !== undefined
    || (spec.checks ?? []).some((c) => c.jsonPath !== undefined || c.bodyIncludes !== undefined || c.fn !== undefined);
  if (spec.expect && !spec.expect.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) throw new ScenarioError(`${key}: expect lists HTTP statuses (100-599)`);
  return {
    key, journey, name: spec.name, method,
    urlText: typeof spec.url === 'function' ? '(function)' : spec.url,
    url, headers, body, needsBody,
    constantRequest: (templateUrl?.constant ?? false) && constantHeaders && constantBody && pick.length === 0,
    pick,
    extract, checks,
    expect: spec.expect ? new Set(spec.expect) : undefined,
    stopOn: spec.stopOn?.length ? new Set(spec.stopOn) : undefined,
    think: thinkRange(spec.think),
    timeoutMs: spec.timeout !== undefined ? spec.timeout * 1000 : undefined,
    continueOnError: spec.continueOnError ?? false,
    ...(spec.until ? { until: compileUntil(spec.until, key) } : {}),
    spec,
  };
}

function compileJourney(j: JourneySpec, headers: Record<string, string>): CompiledJourney {
  if (!j.name || /[/:\s]/.test(j.name)) throw new ScenarioError(`journey "${j.name}": a journey name needs at least one character and no spaces, slashes or colons`);
  const weight = j.weight ?? 1;
  if (!(weight >= 0)) throw new ScenarioError(`journey ${j.name}: weight must be ≥ 0`);
  if (!j.steps.length) throw new ScenarioError(`journey ${j.name} has no steps`);
  return { name: j.name, weight, steps: j.steps.map((s) => compileStep(s, j.name, headers)) };
}

export function compileScenario(spec: ScenarioSpec): CompiledScenario {
  if (!spec.journeys.length) throw new ScenarioError(`scenario ${spec.name} has no journeys`);
  const headers = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  let journeys: CompiledJourney[];
  let setup: CompiledStep[];
  try {
    journeys = spec.journeys.map((j) => compileJourney(j, headers));
    setup = (spec.setup ?? []).map((s) => compileStep(s, 'setup', headers));
  } catch (err) {
    if (err instanceof TemplateError) throw new ScenarioError(`scenario ${spec.name}: ${err.message}`);
    throw err;
  }
  const steps = journeys.flatMap((j) => j.steps);
  const keys = new Set<string>();
  for (const s of steps) {
    if (keys.has(s.key)) throw new ScenarioError(`scenario ${spec.name}: two steps are called ${s.key}`);
    keys.add(s.key);
  }
  const resolveScope = (scope: string | undefined, text: string): string | undefined => {
    if (scope === undefined) return undefined;
    if (keys.has(scope)) return scope;
    const byName = steps.filter((s) => s.name === scope);
    if (byName.length === 1) return byName[0]!.key;
    throw new ScenarioError(`threshold "${text}": no single step "${scope}" (steps: ${[...keys].join(', ')})`);
  };
  const thresholds: Threshold[] = [];
  for (const text of spec.thresholds ?? []) {
    const t = parseThreshold(text);
    thresholds.push({ ...t, scope: resolveScope(t.scope, text) });
  }
  for (const s of steps) for (const text of s.spec.thresholds ?? []) thresholds.push(parseThreshold(text, s.key));
  const total = journeys.reduce((n, j) => n + j.weight, 0);
  if (!(total > 0)) throw new ScenarioError(`scenario ${spec.name}: the journeys' weights add up to 0`);
  const cumulative = journeys.map((j, i) => journeys.slice(0, i + 1).reduce((n, x) => n + x.weight, 0) / total);
  return {
    spec, journeys, setup, thresholds, steps,
    pickJourney(random) {
      for (let i = 0; i < journeys.length; i++) if (random < cumulative[i]!) return journeys[i]!;
      return journeys[journeys.length - 1]!;
    },
  };
}

export { evalJsonPath };
