import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseStripeForm, encodeStripeForm, type FormValue } from './stripe-form.ts';
import { StripeError } from './stripe-errors.ts';

test('parses bracket notation into nested objects and arrays', () => {
  assert.deepEqual(parseStripeForm('amount=1099&metadata[order_id]=o%201&metadata[x]=&created[gte]=5'), {
    amount: '1099', metadata: { order_id: 'o 1', x: '' }, created: { gte: '5' },
  });
  assert.deepEqual(parseStripeForm('payment_method_types[]=card&payment_method_types[]=link'), { payment_method_types: ['card', 'link'] });
  assert.deepEqual(parseStripeForm('expand[0]=a&expand[1]=b'), { expand: ['a', 'b'] });
  assert.deepEqual(parseStripeForm('a[b][c]=1&a[b][d]=2'), { a: { b: { c: '1', d: '2' } } });
  assert.deepEqual(parseStripeForm('items[0][price]=p&items[0][quantity]=2'), { items: [{ price: 'p', quantity: '2' }] });
  assert.deepEqual(parseStripeForm(''), {});
});

test('rejects conflicting shapes with a Stripe 400', () => {
  for (const bad of ['metadata=x&metadata[a]=b', 'metadata[a]=b&metadata=x', 'a[0]=x&a[2]=y', 'a[]=x&a[b]=y']) {
    assert.throws(() => parseStripeForm(bad), (err: unknown) => err instanceof StripeError && err.status === 400, bad);
  }
});

test('an index is written one way: a[00] is no second name for a[0] (it is a hash key, so beside a[0] it conflicts)', () => {
  // Found by the property below (seed -923903118): "0[0]=yes&0[00]=" overwrote 0[0] through 0[00].
  for (const bad of ['a[0]=x&a[00]=y', 'a[1]=x&a[0]=w&a[01]=y', 'a[]=x&a[00]=y']) {
    assert.throws(() => parseStripeForm(bad), (err: unknown) => err instanceof StripeError && err.status === 400, bad);
  }
  assert.deepEqual(parseStripeForm('a[00]=y'), { a: { '00': 'y' } });
  assert.deepEqual(parseStripeForm('a[0]=x&a[1]=y'), { a: ['x', 'y'] });
});

test('encodes what it parses', () => {
  const params = { amount: 5, metadata: { order_id: 'a&b=c' }, payment_method_types: ['card'], automatic_payment_methods: { enabled: true } };
  assert.deepEqual(parseStripeForm(encodeStripeForm(params)), {
    amount: '5', metadata: { order_id: 'a&b=c' }, payment_method_types: ['card'], automatic_payment_methods: { enabled: 'true' },
  });
});

// ---- No key path reaches a prototype ------------------------------------------------------------------

/** Names that mean something to JavaScript objects, and ordinary ones, as key segments. */
const SEGMENTS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineSetter__',
  'length', 'polluted', 'metadata', 'expand', 'a', '', '0', '1', '00', '9999'];

const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SEGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** A key: a head and up to 7 bracketed segments (past the parser's depth limit), sometimes with junk after. */
const formKey = fc.tuple(segment, fc.array(segment, { maxLength: 7 }), fc.constantFrom('', '', '', ']', '[', 'x'))
  .map(([head, rest, tail]) => head + rest.map((s) => `[${s}]`).join('') + tail);

const pair = fc.tuple(formKey, fc.oneof(fc.constantFrom('yes', '', 'x'), fc.string({ maxLength: 4 })));

/** A form text: pairs URL-encoded (as clients send them) or written raw (brackets and all). */
const formText = fc.oneof(
  fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
  fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  fc.string({ maxLength: 60 }),
);

const BUILT_INS = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Object, Array, Function];

/** Every own property of the built-ins a parser could reach: key and descriptor fields (compared by identity). */
function snapshotBuiltIns(): unknown[][] {
  return BUILT_INS.flatMap((o) => Reflect.ownKeys(o).map((k) => {
    const d = Object.getOwnPropertyDescriptor(o, k)!;
    return [o, k, d.value, d.get, d.set, d.writable, d.enumerable, d.configurable];
  }));
}

/** Fails if a built-in changed, after putting it back (so fast-check shrinks to the input that did it). */
function assertBuiltInsUnchanged(before: unknown[][], text: string): void {
  const now = snapshotBuiltIns();
  if (now.length === before.length && now.every((row, i) => row.every((x, j) => Object.is(x, before[i]![j])))) return;
  const changed: string[] = [];
  for (const o of BUILT_INS) {
    const was = new Map(before.filter((r) => r[0] === o).map((r) => [r[1] as PropertyKey, r]));
    for (const key of Reflect.ownKeys(o)) {
      const row = was.get(key);
      const d = Object.getOwnPropertyDescriptor(o, key)!;
      if (!row) { changed.push(`added ${String(key)}`); delete (o as Record<PropertyKey, unknown>)[key]; continue; }
      if (!Object.is(d.value, row[2]) || d.get !== row[3] || d.set !== row[4]) {
        changed.push(`changed ${String(key)}`);
        Object.defineProperty(o, key, row[2] !== undefined || row[5] !== undefined
          ? { value: row[2], writable: row[5] as boolean, enumerable: row[6] as boolean, configurable: row[7] as boolean }
          : { get: row[3] as () => unknown, set: row[4] as (v: unknown) => void, enumerable: row[6] as boolean, configurable: row[7] as boolean });
      }
    }
  }
  assert.fail(`${JSON.stringify(text)} changed a built-in prototype (${changed.join(', ')})`);
}

function parseOrReject(text: string): ReturnType<typeof parseStripeForm> | undefined {
  try {
    return parseStripeForm(text);
  } catch (err) {
    // Only a Stripe 400 is an acceptable refusal; a TypeError would be a 500 (or worse, a half-done write).
    assert.ok(err instanceof StripeError && err.status === 400, `${JSON.stringify(text)} threw ${String(err)}`);
    return undefined;
  }
}

/** Every node is a plain object or an array, and every property an own, enumerable data property. */
function assertOwnTree(value: FormValue, where: string): void {
  if (typeof value === 'string') return;
  const proto = Object.getPrototypeOf(value);
  assert.ok(proto === Object.prototype || proto === Array.prototype, `${where} is a plain object or array`);
  for (const key of Reflect.ownKeys(value)) {
    if (Array.isArray(value) && key === 'length') continue;
    assert.equal(typeof key, 'string', `${where} has only string keys`);
    const d: PropertyDescriptor = Object.getOwnPropertyDescriptor(value, key)!;
    assert.ok('value' in d && d.enumerable, `${where}[${String(key)}] is an own enumerable data property`);
    const child = d.value as FormValue;
    assert.ok(typeof child === 'string' || typeof child === 'object', `${where}[${String(key)}] is a string, object or array`);
    assertOwnTree(child, `${where}[${String(key)}]`);
  }
}

/** Follows a key's segments through own properties only; undefined when the path leaves the result. */
function ownPath(root: FormValue, path: string[]): FormValue | undefined {
  let node: FormValue | undefined = root;
  for (const seg of path) {
    const key: string = Array.isArray(node) ? String(Number(seg)) : seg; // an array index: 00 is 0
    if (node === undefined || typeof node === 'string' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, FormValue>)[key];
  }
  return node;
}

/** The segments of a bracketed key the way Stripe clients write them (a[b][c]), or undefined for others. */
function plainPath(key: string): string[] | undefined {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) return undefined;
  const rest = [...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!);
  return [m[1]!, ...rest];
}

test('property: no input changes a built-in prototype, and every value found is the input\'s own', () => {
  const before = snapshotBuiltIns();
  fc.assert(fc.property(formText, (text) => {
    const result = parseOrReject(text);
    assertBuiltInsUnchanged(before, text);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    if (!result) return;
    assertOwnTree(result, 'result');
    // Each key that names a concrete path (no [] append) leads, through own properties alone, to the value
    // the last pair with that key gave: nothing in the result is found through a prototype.
    const last = new Map<string, string>();
    for (const [key, value] of new URLSearchParams(text)) last.set(key, value);
    for (const [key, value] of last) {
      const path = plainPath(key);
      if (!path || path.length > 6 || path.includes('')) continue;
      assert.equal(ownPath(result, path), value, `${JSON.stringify(text)}: ${key} is the own value ${JSON.stringify(value)}`);
    }
  }), { numRuns: 3000 });
});

test('prototype names are ordinary keys: __proto__, constructor and prototype are kept as own properties', () => {
  const polluting = parseStripeForm('__proto__[polluted]=yes&constructor[prototype][polluted]=yes&metadata[__proto__]=m&toString[x]=y');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(polluting), Object.prototype, 'an ordinary object: hasOwnProperty & co. still work');
  assert.deepEqual(Object.keys(polluting), ['__proto__', 'constructor', 'metadata', 'toString']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(polluting, '__proto__')?.value, { polluted: 'yes' });
  const metadata = polluting.metadata as Record<string, FormValue>;
  assert.ok(Object.hasOwn(metadata, '__proto__') && metadata['__proto__'] === 'm');
  assert.equal(JSON.stringify(polluting), '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"metadata":{"__proto__":"m"},"toString":{"x":"y"}}');
  // An inherited member is not a value the client sent: constructor[x] starts an empty hash.
  assert.deepEqual(parseStripeForm('constructor[x]=1').constructor, { x: '1' });
  assert.throws(() => parseStripeForm('toString=1&toString[a]=2'), (err: unknown) => err instanceof StripeError && err.status === 400);
});
