// Templates ("{{cartId}}", "{{product.slug}}", "{{$uuid}}") and JSON paths ("$.items[0].id"),
// compiled once per scenario so each request only concatenates strings. The k6 export ships the same
// semantics as a small JavaScript helper, so a scenario means the same thing in both tools.
//
// Names come from the scenario (variables, extracts, picks, body keys) and from the target's responses
// (the fields a path walks through), so a name is only ever a name: a path finds what a value holds
// itself, never a member of its prototype (`{{toString}}` is "no variable", `$.constructor` is missing),
// variables live in null-prototype objects (an extract called `__proto__` is a variable), and a body's
// `__proto__` key is sent as data.
import { randomUUID } from 'node:crypto';
import type { Vars } from './scenario-types.ts';

export class TemplateError extends Error {}

type PathSegment = string | number | '*';

/** "$.items[0].slug" -> ['items', 0, 'slug']; "$" -> []; "$.items[*].id" -> ['items', '*', 'id']. */
export function parseJsonPath(path: string): PathSegment[] {
  const p = path.trim();
  if (!p.startsWith('$')) throw new TemplateError(`JSON path "${path}" must start with "$" (e.g. $.id, $.items[0].slug)`);
  const out: PathSegment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\d+|\*)\]|\["([^"]+)"\]/gy;
  re.lastIndex = 1;
  let m: RegExpExecArray | null;
  let end = 1;
  while ((m = re.exec(p)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(m[2] === '*' ? '*' : Number(m[2]));
    else out.push(m[3]!);
    end = re.lastIndex;
  }
  if (end !== p.length) throw new TemplateError(`JSON path "${path}" is not understood after "${p.slice(0, end)}"`);
  return out;
}

/**
 * What a value holds under a name or index: its own property (an object's field, an array's element, a
 * string's character or length), else undefined. Inherited members (toString, constructor, __proto__) are
 * not found. The value must not be null or undefined.
 */
export function ownProperty(value: unknown, key: string | number): unknown {
  return Object.hasOwn(value as object, key) ? (value as Record<string | number, unknown>)[key] : undefined;
}

/** Follows a parsed path through own properties; undefined when any part is missing. "*" maps over an array. */
export function walkPath(value: unknown, segments: readonly PathSegment[], from = 0): unknown {
  let cur = value;
  for (let i = from; i < segments.length; i++) {
    const seg = segments[i]!;
    if (cur === null || cur === undefined) return undefined;
    if (seg === '*') {
      if (!Array.isArray(cur)) return undefined;
      return cur.map((item) => walkPath(item, segments, i + 1));
    }
    cur = ownProperty(cur, seg);
  }
  return cur;
}

/** target[key] = value as an own data property, also for "__proto__" (whose assignment would set target's prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * A fresh set of variables holding the own entries of each source in turn (later ones win): a
 * null-prototype object, so every name is a variable name. Reading `toString` finds nothing unless a
 * step extracted it, and writing `__proto__` stores a variable instead of re-parenting the object.
 * An iteration's variables are layered on the shared ones with Object.create(shared): the chain holds
 * variables only.
 */
export function variables(...sources: (Vars | undefined)[]): Vars {
  return Object.assign(Object.create(null) as Vars, ...sources);
}

/**
 * The layer of variables that holds `name` itself: the iteration's own, or the shared ones beneath
 * them. The walk stops at Object.prototype, so an ordinary object given as variables (a TypeScript
 * scenario calling a compiled template) never yields its inherited members either.
 */
function layerHolding(vars: Vars, name: string): Vars | undefined {
  for (let layer: object | null = vars; layer !== null && layer !== Object.prototype; layer = Object.getPrototypeOf(layer) as object | null) {
    if (Object.hasOwn(layer, name)) return layer as Vars;
  }
  return undefined;
}

/** A variable's value (see layerHolding), or undefined. */
export function variable(vars: Vars, name: string): unknown {
  return layerHolding(vars, name)?.[name];
}

export function evalJsonPath(value: unknown, path: string): unknown {
  return walkPath(value, parseJsonPath(path));
}

/** Variable paths inside templates: "product.slug", "items[0].id". */
function parseVarPath(expr: string): PathSegment[] {
  const m = /^([A-Za-z_$][\w$]*)(.*)$/.exec(expr);
  if (!m) throw new TemplateError(`"{{${expr}}}" is not a variable reference`);
  return [m[1]!, ...parseJsonPath(`$${m[2]}`)];
}

type Part = (vars: Vars) => unknown;

function compileExpression(expr: string): Part {
  const e = expr.trim();
  if (e === '$uuid') return () => randomUUID();
  if (e === '$timestamp') return () => Date.now();
  const rand = /^\$randomInt\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$/.exec(e);
  if (rand) {
    const lo = Number(rand[1]);
    const hi = Number(rand[2]);
    if (hi < lo) throw new TemplateError(`{{${e}}}: the upper bound is below the lower bound`);
    return () => lo + Math.floor(Math.random() * (hi - lo + 1));
  }
  if (e.startsWith('$') && e !== '$vu' && e !== '$iteration') throw new TemplateError(`{{${e}}}: unknown generator (known: $uuid, $randomInt(a,b), $timestamp, $vu, $iteration)`);
  const segments = parseVarPath(e);
  const root = segments[0] as string;
  return (vars) => {
    const layer = layerHolding(vars, root);
    const value = layer === undefined ? undefined : walkPath(layer[root], segments, 1);
    if (value === undefined) {
      throw new TemplateError(layer !== undefined ? `{{${e}}}: "${root}" has no such field` : `{{${e}}}: no variable "${root}" (not extracted by an earlier step?)`);
    }
    return value;
  };
}

const TEMPLATE_RE = /\{\{([^{}]+)\}\}/g;

export interface CompiledString {
  (vars: Vars): string;
  /** True when the template has no placeholders (the string is a constant). */
  constant: boolean;
}

/** Compiles a string template; a constant string costs nothing per request. */
export function compileString(template: string): CompiledString {
  const parts: (string | Part)[] = [];
  let last = 0;
  for (const m of template.matchAll(TEMPLATE_RE)) {
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push(compileExpression(m[1]!));
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const fn = (() => template) as unknown as CompiledString;
    fn.constant = true;
    return fn;
  }
  const fn = ((vars: Vars) => {
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') out += p;
      else {
        const v = p(vars);
        out += typeof v === 'object' ? JSON.stringify(v) : String(v);
      }
    }
    return out;
  }) as unknown as CompiledString;
  fn.constant = false;
  return fn;
}

/** Compiles a JSON value whose strings may be templates; "{{x}}" alone keeps x's type. */
export function compileJson(value: unknown): (vars: Vars) => unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{([^{}]+)\}\}$/.exec(value);
    if (whole) return compileExpression(whole[1]!);
    const s = compileString(value);
    return s.constant ? () => value : s;
  }
  if (Array.isArray(value)) {
    const items = value.map(compileJson);
    return (vars) => items.map((f) => f(vars));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, compileJson(v)] as const);
    return (vars) => {
      const out: Record<string, unknown> = {};
      for (const [k, f] of entries) setOwn(out, k, f(vars));
      return out;
    };
  }
  return () => value;
}

/** True when a template string contains no placeholders. */
export function isConstantTemplate(template: string): boolean {
  return !/\{\{[^{}]+\}\}/.test(template);
}
