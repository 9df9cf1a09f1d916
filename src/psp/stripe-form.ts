// Stripe's form encoding: application/x-www-form-urlencoded bodies (and query strings) whose keys use
// bracket notation for nesting: metadata[order_id]=42, created[gte]=1700000000,
// payment_method_types[]=card or payment_method_types[0]=card, expand[]=latest_charge.
import { StripeErrors } from './stripe-errors.ts';

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject { [key: string]: FormValue }

const MAX_DEPTH = 5;

function splitKey(raw: string): string[] {
  const open = raw.indexOf('[');
  if (open <= 0) return [raw];
  const parts = [raw.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(raw)) !== null) {
    parts.push(m[1]!);
    end = re.lastIndex;
  }
  // Trailing garbage after the brackets (a[b]c) is not bracket notation: keep the key whole.
  return end === raw.length ? parts : [raw];
}

// An array index as a client writes one: 0, 1, 12 (no leading zero: a[00] would be a second name for a[0]).
const isIndex = (s: string) => s === '' || /^(0|[1-9]\d{0,3})$/.test(s);

// Every key of a request is the client's, so none may reach a prototype: `__proto__[x]=y` assigned with
// `node[seg] = ...` would write onto Object.prototype, and `constructor[prototype][x]=y` would walk into
// Object.prototype through an inherited `constructor`. Keys are therefore read only when they are the
// node's own and written with defineProperty (never through the `__proto__` setter): such a name is an
// ordinary parameter name like any other, reported by the API as unknown (or, under metadata, kept as
// a key, as Stripe allows). See docs/decisions/0013-request-keys-never-reach-a-prototype.md.

/** node[key] if node itself has it: never a value inherited from Object.prototype (constructor, toString...). */
const ownValue = (node: FormObject, key: string): FormValue | undefined => (Object.hasOwn(node, key) ? node[key] : undefined);

/** Sets node[key] as node's own data property, even for `__proto__`. */
function setOwn(node: FormObject, key: string, value: FormValue): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Parses a form body or query string into nested objects and arrays (plain objects and arrays, every key
 * an own property). Throws a Stripe 400 on conflicts.
 */
export function parseStripeForm(text: string): FormObject {
  const root: FormObject = {};
  if (!text) return root;
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = splitKey(rawKey);
    if (path.length > MAX_DEPTH + 1) throw StripeErrors.invalidRequest(`Parameter ${rawKey} is nested too deeply.`, rawKey);
    let node: FormObject | FormValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = !last && isIndex(path[i + 1]!);
      if (Array.isArray(node)) {
        if (!isIndex(seg)) throw StripeErrors.invalidRequest(`Invalid array: ${rawKey}`, path[0]!);
        const idx: number = seg === '' ? node.length : Number(seg);
        if (idx > node.length) throw StripeErrors.invalidRequest(`Invalid array index in ${rawKey}: indexes must start at 0 and be consecutive.`, path[0]!);
        if (last) { node[idx] = value; break; }
        const existing: FormValue | undefined = node[idx];
        const child: FormObject | FormValue[] = existing !== undefined && typeof existing !== 'string' ? existing : (nextIsIndex ? [] : {});
        if (typeof existing === 'string') throw StripeErrors.invalidRequest(`Invalid hash: ${rawKey}`, path[0]!);
        node[idx] = child;
        node = child;
      } else {
        if (seg === '') throw StripeErrors.invalidRequest(`Invalid parameter name: ${rawKey}`, rawKey);
        const existing = ownValue(node, seg);
        if (last) {
          if (existing !== undefined && typeof existing !== 'string') throw StripeErrors.invalidRequest(`Invalid hash: ${rawKey}`, path[0]!);
          setOwn(node, seg, value);
          break;
        }
        if (typeof existing === 'string') throw StripeErrors.invalidRequest(`Invalid hash: ${rawKey}`, path[0]!);
        const child: FormObject | FormValue[] = existing ?? (nextIsIndex ? [] : {});
        if (nextIsIndex !== Array.isArray(child)) throw StripeErrors.invalidRequest(`Invalid hash: ${rawKey}`, path[0]!);
        setOwn(node, seg, child);
        node = child;
      }
    }
  }
  return root;
}

/** The inverse, for clients and tests: {metadata: {a: '1'}} -> metadata[a]=1 (arrays as a[0]=x). */
export function encodeStripeForm(params: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const key = prefix ? `${prefix}[${k}]` : k;
    if (Array.isArray(v)) {
      v.forEach((item, i) => {
        if (item !== null && typeof item === 'object') parts.push(encodeStripeForm(item as Record<string, unknown>, `${key}[${i}]`));
        else parts.push(`${encodeURIComponent(`${key}[${i}]`)}=${encodeURIComponent(String(item))}`);
      });
    } else if (typeof v === 'object') {
      parts.push(encodeStripeForm(v as Record<string, unknown>, key));
    } else {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.filter(Boolean).join('&');
}
