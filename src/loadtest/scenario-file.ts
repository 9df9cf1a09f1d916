// Scenario files. A TypeScript (or JavaScript) module exports a ScenarioSpec as its default export (use
// defineScenario for the types); a YAML or JSON file describes the same structure with a few
// conveniences: durations as text ("30s", "1m"), `get: /path` / `post: /path` shorthands, think times
// as "0.5s-2s", checks as a list or a map from name to conditions. Every problem is reported with its
// place in the file.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readDataFile } from '../platform/config/data-file.ts';
import { parseDuration } from './load-units.ts';
import { parseJsonPath } from './template-engine.ts';
import type { CheckSpec, HttpMethod, JourneySpec, LoadModel, ScenarioSpec, ShopperSpec, Stage, StepSpec, ThinkTime, UntilSpec } from './scenario-types.ts';

export class ScenarioFileError extends Error {}

const METHODS: HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Reads fields of parsed YAML/JSON, collecting every problem with its place (scenario and experiment files). */
export class FieldReader {
  readonly problems: string[] = [];

  fail(where: string, message: string): void {
    this.problems.push(`${where}: ${message}`);
  }

  only(obj: Obj, where: string, allowed: string[]): void {
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) this.fail(where, `unknown field "${k}" (allowed: ${allowed.join(', ')})`);
  }

  str(obj: Obj, key: string, where: string, required = false): string | undefined {
    const v = obj[key];
    if (v === undefined) { if (required) this.fail(where, `"${key}" is required`); return undefined; }
    if (typeof v !== 'string' || !v) { this.fail(`${where}.${key}`, 'must be a non-empty string'); return undefined; }
    return v;
  }

  num(obj: Obj, key: string, where: string, opts: { required?: boolean; min?: number } = {}): number | undefined {
    const v = obj[key];
    if (v === undefined) { if (opts.required) this.fail(where, `"${key}" is required`); return undefined; }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < (opts.min ?? 0)) { this.fail(`${where}.${key}`, `must be a number ≥ ${opts.min ?? 0}`); return undefined; }
    return v;
  }

  dur(obj: Obj, key: string, where: string, required = false): number | undefined {
    const v = obj[key];
    if (v === undefined) { if (required) this.fail(where, `"${key}" is required`); return undefined; }
    try { return parseDuration(v as string | number, `${where}.${key}`); } catch (err) { this.problems.push((err as Error).message); return undefined; }
  }

  stringMap(obj: Obj, key: string, where: string): Record<string, string> | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    if (!isObj(v) || !Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number')) {
      this.fail(`${where}.${key}`, 'must map names to strings'); return undefined;
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
  }

  statuses(obj: Obj, key: string, where: string): number[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) { this.fail(`${where}.${key}`, 'must be HTTP statuses (100-599)'); return undefined; }
    return list as number[];
  }

  strings(obj: Obj, key: string, where: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined) return undefined;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((s) => typeof s === 'string')) { this.fail(`${where}.${key}`, 'must be a list of strings'); return undefined; }
    return list as string[];
  }
}

function readThink(r: FieldReader, v: unknown, where: string): ThinkTime | undefined {
  if (v === undefined) return undefined;
  try {
    if (typeof v === 'string' && /^\s*[\d.]+\w*\s*-\s*[\d.]+\w*\s*$/.test(v)) {
      const [a, b] = v.split('-');
      return { min: parseDuration(a!.trim(), where), max: parseDuration(b!.trim(), where) };
    }
    if (isObj(v)) return { min: parseDuration(v.min as string, `${where}.min`), max: parseDuration(v.max as string, `${where}.max`) };
    return parseDuration(v as string, where);
  } catch (err) {
    r.problems.push((err as Error).message);
    return undefined;
  }
}

function readCheck(r: FieldReader, raw: unknown, where: string, name?: string): CheckSpec | undefined {
  if (!isObj(raw)) { r.fail(where, 'a check is an object such as {name: "created", status: 201}'); return undefined; }
  r.only(raw, where, ['name', 'status', 'jsonPath', 'equals', 'bodyIncludes']);
  const checkName = name ?? r.str(raw, 'name', where, true);
  if (!checkName) return undefined;
  const c: CheckSpec = { name: checkName };
  const status = r.statuses(raw, 'status', where);
  if (status) c.status = status.length === 1 ? status[0]! : status;
  const jsonPath = r.str(raw, 'jsonPath', where);
  if (jsonPath) c.jsonPath = jsonPath;
  if (raw.equals !== undefined) c.equals = raw.equals;
  const includes = r.str(raw, 'bodyIncludes', where);
  if (includes) c.bodyIncludes = includes;
  if (c.status === undefined && c.jsonPath === undefined && c.bodyIncludes === undefined) r.fail(where, 'a check needs status, jsonPath or bodyIncludes');
  return c;
}

const STEP_FIELDS = ['name', 'method', 'url', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'headers', 'json', 'body',
  'pick', 'extract', 'checks', 'expect', 'stopOn', 'think', 'thresholds', 'timeout', 'continueOnError', 'until'];

/** `until: {jsonPath: $.status, in: [paid, payment_failed], interval: 1s, timeout: 2m}`. */
function readUntil(r: FieldReader, raw: unknown, where: string): UntilSpec | undefined {
  if (raw === undefined) return undefined;
  if (!isObj(raw)) { r.fail(where, 'must be {jsonPath, equals or in, interval, timeout}, e.g. {jsonPath: $.status, in: [paid, payment_failed], timeout: 2m}'); return undefined; }
  r.only(raw, where, ['jsonPath', 'equals', 'in', 'interval', 'timeout']);
  const jsonPath = r.str(raw, 'jsonPath', where, true);
  if (jsonPath !== undefined) {
    try { parseJsonPath(jsonPath); } catch (err) { r.fail(`${where}.jsonPath`, (err as Error).message); }
  }
  if (raw.equals === undefined && raw.in === undefined) r.fail(where, 'needs "equals" (one value) or "in" (a list of values) to wait for');
  if (raw.equals !== undefined && raw.in !== undefined) r.fail(where, 'give either "equals" or "in", not both');
  if (raw.in !== undefined && (!Array.isArray(raw.in) || !raw.in.length)) r.fail(`${where}.in`, 'must be a non-empty list of values');
  const interval = r.dur(raw, 'interval', where);
  if (interval !== undefined && !(interval > 0)) r.fail(`${where}.interval`, 'must be longer than 0');
  const timeout = r.dur(raw, 'timeout', where);
  if (timeout !== undefined && !(timeout > 0)) r.fail(`${where}.timeout`, 'must be longer than 0');
  if (interval !== undefined && timeout !== undefined && timeout > 0 && interval > timeout) r.fail(`${where}.interval`, `must not be longer than the timeout (${timeout} s)`);
  if (jsonPath === undefined) return undefined;
  return {
    jsonPath,
    ...(raw.equals !== undefined ? { equals: raw.equals } : {}),
    ...(Array.isArray(raw.in) ? { in: raw.in } : {}),
    ...(interval !== undefined ? { interval } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}

function readStep(r: FieldReader, raw: unknown, where: string): StepSpec | undefined {
  if (!isObj(raw)) { r.fail(where, 'a step is an object with a name and a url'); return undefined; }
  r.only(raw, where, STEP_FIELDS);
  const name = r.str(raw, 'name', where, true) ?? 'step';
  let method: HttpMethod | undefined;
  let url: string | undefined;
  for (const m of METHODS) {
    const v = raw[m.toLowerCase()];
    if (v === undefined) continue;
    if (url !== undefined) r.fail(where, 'give one of get/post/put/patch/delete/head/options (or method + url)');
    if (typeof v !== 'string') r.fail(`${where}.${m.toLowerCase()}`, 'must be a URL or path');
    method = m;
    url = String(v);
  }
  if (raw.url !== undefined) {
    if (url !== undefined) r.fail(where, 'give either url (with method) or a get/post/... shorthand, not both');
    url = r.str(raw, 'url', where);
    const m = r.str(raw, 'method', where)?.toUpperCase();
    if (m && !METHODS.includes(m as HttpMethod)) r.fail(`${where}.method`, `must be one of ${METHODS.join(', ')}`);
    method = (m as HttpMethod | undefined) ?? 'GET';
  }
  if (url === undefined) { r.fail(where, 'needs a url (or get: /path, post: /path, ...)'); return undefined; }
  const step: StepSpec = { name, method, url };
  const headers = r.stringMap(raw, 'headers', where);
  if (headers) step.headers = headers;
  if (raw.json !== undefined) step.json = raw.json;
  const body = r.str(raw, 'body', where);
  if (body !== undefined) step.body = body;
  const pick = r.stringMap(raw, 'pick', where);
  if (pick) step.pick = pick;
  const extract = r.stringMap(raw, 'extract', where);
  if (extract) step.extract = extract;
  if (raw.checks !== undefined) {
    const checks: CheckSpec[] = [];
    if (Array.isArray(raw.checks)) raw.checks.forEach((c, i) => { const x = readCheck(r, c, `${where}.checks[${i}]`); if (x) checks.push(x); });
    else if (isObj(raw.checks)) for (const [n, c] of Object.entries(raw.checks)) { const x = readCheck(r, c, `${where}.checks.${n}`, n); if (x) checks.push(x); }
    else r.fail(`${where}.checks`, 'must be a list of checks or a map from name to conditions');
    step.checks = checks;
  }
  const expect = r.statuses(raw, 'expect', where);
  if (expect) step.expect = expect;
  const stopOn = r.statuses(raw, 'stopOn', where);
  if (stopOn) step.stopOn = stopOn;
  const thinkTime = readThink(r, raw.think, `${where}.think`);
  if (thinkTime !== undefined) step.think = thinkTime;
  const thresholds = r.strings(raw, 'thresholds', where);
  if (thresholds) step.thresholds = thresholds;
  const timeout = r.dur(raw, 'timeout', where);
  if (timeout !== undefined) step.timeout = timeout;
  if (raw.continueOnError !== undefined) step.continueOnError = raw.continueOnError === true;
  const until = readUntil(r, raw.until, `${where}.until`);
  if (until) step.until = until;
  return step;
}

function readStages(r: FieldReader, raw: unknown, where: string): Stage[] {
  if (!Array.isArray(raw) || !raw.length) { r.fail(where, 'must be a non-empty list of {duration, target}'); return []; }
  return raw.map((s, i) => {
    const w = `${where}[${i}]`;
    if (!isObj(s)) { r.fail(w, 'must be {duration, target}'); return { duration: 0, target: 0 }; }
    r.only(s, w, ['duration', 'target']);
    return { duration: r.dur(s, 'duration', w, true) ?? 0, target: r.num(s, 'target', w, { required: true }) ?? 0 };
  });
}

function readLoad(r: FieldReader, raw: unknown): LoadModel {
  const where = 'load';
  const fallback: LoadModel = { executor: 'constant-arrival-rate', rate: 1, duration: 10 };
  if (!isObj(raw)) { r.fail(where, 'is required: {executor: constant-arrival-rate, rate: 10, duration: 30s} (or ramping-arrival-rate, constant-vus, ramping-vus)'); return fallback; }
  const executor = r.str(raw, 'executor', where, true);
  switch (executor) {
    case 'constant-arrival-rate':
      r.only(raw, where, ['executor', 'rate', 'duration', 'maxVUs']);
      return { executor, rate: r.num(raw, 'rate', where, { required: true }) ?? 1, duration: r.dur(raw, 'duration', where, true) ?? 10, ...(raw.maxVUs !== undefined ? { maxVUs: r.num(raw, 'maxVUs', where, { min: 1 }) } : {}) };
    case 'ramping-arrival-rate':
      r.only(raw, where, ['executor', 'startRate', 'stages', 'maxVUs']);
      return { executor, startRate: r.num(raw, 'startRate', where) ?? 0, stages: readStages(r, raw.stages, `${where}.stages`), ...(raw.maxVUs !== undefined ? { maxVUs: r.num(raw, 'maxVUs', where, { min: 1 }) } : {}) };
    case 'constant-vus':
      r.only(raw, where, ['executor', 'vus', 'duration', 'pace']);
      return { executor, vus: r.num(raw, 'vus', where, { required: true, min: 1 }) ?? 1, duration: r.dur(raw, 'duration', where, true) ?? 10, ...(raw.pace !== undefined ? { pace: r.dur(raw, 'pace', where) } : {}) };
    case 'ramping-vus':
      r.only(raw, where, ['executor', 'startVUs', 'stages', 'pace']);
      return { executor, startVUs: r.num(raw, 'startVUs', where) ?? 0, stages: readStages(r, raw.stages, `${where}.stages`), ...(raw.pace !== undefined ? { pace: r.dur(raw, 'pace', where) } : {}) };
    default:
      if (executor) r.fail(`${where}.executor`, 'must be constant-arrival-rate, ramping-arrival-rate, constant-vus or ramping-vus');
      return fallback;
  }
}

/** Validates and normalises the parsed content of a YAML or JSON scenario file. */
export function scenarioFromData(data: unknown, origin: string): ScenarioSpec {
  const r = new FieldReader();
  if (!isObj(data)) throw new ScenarioFileError(`${origin}: a scenario file holds an object with name, load and journeys`);
  r.only(data, 'scenario', ['name', 'description', 'load', 'journeys', 'setup', 'data', 'thresholds', 'headers', 'shopper']);
  const spec: ScenarioSpec = {
    name: r.str(data, 'name', 'scenario', true) ?? path.basename(origin).replace(/\.\w+$/, ''),
    load: readLoad(r, data.load),
    journeys: [],
  };
  const description = r.str(data, 'description', 'scenario');
  if (description) spec.description = description;
  if (!Array.isArray(data.journeys) || !data.journeys.length) r.fail('journeys', 'must be a non-empty list of {name, weight, steps}');
  else {
    spec.journeys = data.journeys.map((j, i): JourneySpec => {
      const where = `journeys[${i}]`;
      if (!isObj(j)) { r.fail(where, 'must be {name, weight, steps}'); return { name: `j${i}`, steps: [] }; }
      r.only(j, where, ['name', 'weight', 'steps']);
      const steps = Array.isArray(j.steps) ? j.steps.map((s, k) => readStep(r, s, `${where}.steps[${k}]`)).filter((s): s is StepSpec => !!s) : [];
      if (!Array.isArray(j.steps) || !j.steps.length) r.fail(`${where}.steps`, 'must be a non-empty list of steps');
      const weight = r.num(j, 'weight', where);
      return { name: r.str(j, 'name', where, true) ?? `journey-${i + 1}`, ...(weight !== undefined ? { weight } : {}), steps };
    });
  }
  if (data.setup !== undefined) {
    if (!Array.isArray(data.setup)) r.fail('setup', 'must be a list of steps');
    else spec.setup = data.setup.map((s, k) => readStep(r, s, `setup[${k}]`)).filter((s): s is StepSpec => !!s);
  }
  if (data.data !== undefined) {
    if (!isObj(data.data)) r.fail('data', 'must be a map of variables');
    else spec.data = data.data;
  }
  const thresholds = r.strings(data, 'thresholds', 'scenario');
  if (thresholds) spec.thresholds = thresholds;
  const headers = r.stringMap(data, 'headers', 'scenario');
  if (headers) spec.headers = headers;
  if (data.shopper !== undefined) {
    if (!isObj(data.shopper)) r.fail('shopper', 'must be {cookies: true|false, waitingRoom: true|false}');
    else {
      r.only(data.shopper, 'shopper', ['cookies', 'waitingRoom']);
      const shopper: ShopperSpec = {};
      for (const key of ['cookies', 'waitingRoom'] as const) {
        const value = data.shopper[key];
        if (value === undefined) continue;
        if (typeof value !== 'boolean') r.fail(`shopper.${key}`, 'must be true or false');
        else shopper[key] = value;
      }
      spec.shopper = shopper;
    }
  }
  if (r.problems.length) throw new ScenarioFileError(`${origin} has ${r.problems.length} problem(s):\n  - ${r.problems.join('\n  - ')}`);
  return spec;
}

function looksLikeSpec(v: unknown): v is ScenarioSpec {
  return isObj(v) && typeof v.name === 'string' && isObj(v.load) && Array.isArray(v.journeys);
}

/** Loads a scenario from a .ts/.mts/.js/.mjs module (default export) or a .yaml/.yml/.json file. */
export async function loadScenarioFile(file: string): Promise<ScenarioSpec> {
  const abs = path.resolve(file);
  const ext = path.extname(abs).toLowerCase();
  if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
    const mod = (await import(pathToFileURL(abs).href)) as { default?: unknown; scenario?: unknown };
    const spec = mod.default ?? mod.scenario;
    if (!looksLikeSpec(spec)) throw new ScenarioFileError(`${file}: the module's default export is not a scenario (export default defineScenario({ name, load, journeys }))`);
    return spec;
  }
  return scenarioFromData(await readDataFile(file, (message) => new ScenarioFileError(message)), file);
}
