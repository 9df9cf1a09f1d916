// Property-based fuzzing of every operation in /api/openapi.json over a real socket. For each operation,
// fast-check generates requests that are garbage (odd path segments, wrong-typed and unknown query
// params, malformed JSON, wrong content types, huge and deeply nested bodies, absurd numbers, bogus
// Authorization and Idempotency-Key headers) or "almost valid" (a valid example from the schema with one
// field mutated), and checks the public contract: never a 5xx, every 4xx is {"error":{"code","message"}},
// no request hangs, admin routes never answer 2xx without the admin token, an order never without its own.
//
// Reproduce a failure: the message carries a curl command; rerun with FUZZ_SEED=<seed> (printed by
// fast-check) to replay the exact run. FUZZ_REQUESTS=<n> changes the total budget (default 3000, shared
// by the operations in proportion to how many inputs each has, at least 30 runs each).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { startTestApp, api, SHIPPING, type TestApp } from '../helpers/test-app.ts';
import { rawRequest, errorContractViolation, toCurl, closeRawAgent, type RawRequest, type RawResponse } from '../helpers/raw-http.ts';

// The request budget is shared by all operations, so the file's run time stays put as the API grows.
const TOTAL_REQUESTS = Number(process.env.FUZZ_REQUESTS) || 3000;
const MIN_RUNS_PER_OPERATION = 30;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const REQUEST_TIMEOUT_MS = 10_000;

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  minProperties?: number;
  items?: JsonSchema;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

interface Parameter { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: JsonSchema }

interface Operation {
  method: string;
  /** OpenAPI path template, e.g. /api/carts/{id}. */
  path: string;
  parameters: Parameter[];
  bodySchema?: JsonSchema | undefined;
  guard: 'admin' | 'order' | 'none';
}

/** A literal JSON text spliced into a generated body: numbers JavaScript cannot hold, __proto__ keys. */
class RawJson {
  readonly text: string;
  constructor(text: string) { this.text = text; }
}

function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Percent-encodes every byte outside unreserved characters (lone surrogates become U+FFFD). */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Header values node will put on the wire: tab, printable ASCII and latin-1 bytes. */
function headerSafe(s: string): string {
  return s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
}

const SOME_UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// ---------------------------------------------------------------------------------------------- fixtures

let app: TestApp;
let port = '';
let operations: Operation[] = [];
const fixture = {
  productIds: [] as string[],
  slugs: [] as string[],
  cartIds: [] as string[],
  orderId: '',
  orderToken: '',
  cursors: [] as string[],
};
const stats = { requests: 0, byStatus: new Map<number, number>(), byCode: new Map<string, number>(), slowestMs: 0, started: 0, resets: 0, byOp: new Map<string, Map<number, number>>(), opMs: new Map<string, number>() };

before(async () => {
  app = await startTestApp({ targets: ['storefront', 'control'] });
  port = new URL(app.url).port;
  const adminAuth = { authorization: `Bearer ${app.adminToken}` };

  const page = await api(app.url, 'GET', '/api/products?limit=4');
  assert.equal(page.status, 200);
  for (const p of page.json.items as { id: string; slug: string }[]) {
    fixture.productIds.push(p.id);
    fixture.slugs.push(p.slug);
    // Plenty of stock, so that valid checkouts generated below succeed rather than run out.
    const stock = await api(app.url, 'PUT', `/api/admin/products/${p.id}/stock`, { onHand: 1_000_000 }, adminAuth);
    assert.equal(stock.status, 200, stock.text);
  }
  if (page.json.nextCursor) fixture.cursors.push(page.json.nextCursor);
  const search = await api(app.url, 'GET', '/api/products?q=scarf&limit=1');
  if (search.json.nextCursor) fixture.cursors.push(search.json.nextCursor);

  // Many carts with items, so that valid and almost-valid checkouts get past "cart already checked out".
  for (let i = 0; i < 30; i++) {
    const cart = await api(app.url, 'POST', '/api/carts', {});
    await api(app.url, 'POST', `/api/carts/${cart.json.id}/items`, { productId: fixture.productIds[i % fixture.productIds.length], quantity: 2 });
    fixture.cartIds.push(cart.json.id);
  }
  const orderCart = await api(app.url, 'POST', '/api/carts', {});
  await api(app.url, 'POST', `/api/carts/${orderCart.json.id}/items`, { productId: fixture.productIds[0], quantity: 1 });
  const order = await api(app.url, 'POST', '/api/checkout',
    { cartId: orderCart.json.id, email: 'fuzz@example.com', shippingAddress: SHIPPING, paymentMethod: 'pm_card_visa' },
    { 'idempotency-key': randomUUID() });
  assert.equal(order.status, 202, order.text);
  fixture.orderId = order.json.orderId;
  fixture.orderToken = order.json.accessToken;
  const orders = await api(app.url, 'GET', '/api/admin/orders?limit=1', undefined, adminAuth);
  if (orders.json.nextCursor) fixture.cursors.push(orders.json.nextCursor);

  const doc = await api(app.url, 'GET', '/api/openapi.json');
  assert.equal(doc.status, 200);
  operations = operationsOf(doc.json);
  stats.started = performance.now();
});

after(async () => {
  const seconds = (performance.now() - stats.started) / 1000;
  const hist = [...stats.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
  const codes = [...stats.byCode].sort(([, a], [, b]) => b - a).map(([c, n]) => `${c} ${n}`).join(', ');
  console.log(`[fuzz] ${stats.requests} requests to ${operations.length} operations in ${seconds.toFixed(1)} s `
    + `(${(stats.requests / seconds).toFixed(0)} req/s, slowest ${stats.slowestMs.toFixed(0)} ms)`);
  console.log(`[fuzz] status histogram: ${hist}${stats.resets ? `, connection reset on an oversized request: ${stats.resets}` : ''}`);
  console.log(`[fuzz] error codes: ${codes}`);
  for (const [op, byStatus] of stats.byOp) {
    console.log(`[fuzz]   ${op.padEnd(50)} ${(((stats.opMs.get(op) ?? 0) / 1000).toFixed(1) + 's').padStart(6)}  ${[...byStatus].sort(([a], [b]) => a - b).map(([st, n]) => `${st}×${n}`).join(' ')}`);
  }
  closeRawAgent();
  await app?.stop();
});

function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Parameter[]; security?: Record<string, unknown>[]; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const security = (op.security ?? []).flatMap((s) => Object.keys(s));
      ops.push({
        method: method.toUpperCase(), path, parameters: op.parameters ?? [],
        bodySchema: op.requestBody?.content?.['application/json']?.schema,
        guard: security.includes('adminToken') ? 'admin' : security.includes('orderToken') ? 'order' : 'none',
      });
    }
  }
  return ops;
}

// -------------------------------------------------------------------------------------------- garbage

const nastyStrings = [
  '', ' ', 'NaN', 'Infinity', '-1', '0', '1e308', '-1e308', '9007199254740993', '0x10', 'null', 'undefined',
  'true', '[]', '{}', '\u0000', 'a\u0000b', '\ud800', '\udfff', '💥🛒', '\u202eevil', 'ǅ', 'ß', 'İ', '\ufeff', '\r\n',
  '../../../etc/passwd', '..\\..\\windows', '%00', '%', '%zz', "' OR 1=1 --", "'; DROP TABLE products; --",
  '<script>alert(1)</script>', '${jndi:ldap://x}', '{{7*7}}', '\\', '"', '/', '?', '#', '&', '=',
  // Dates JavaScript parses and PostgreSQL does not (or the reverse), and UUID look-alikes.
  '1', '+275760-09-13T00:00:00.000Z', 'Tue, 31 Feb 2023 10:00:00', '2024-02-30T00:00:00.000Z', 'infinity', 'epoch',
  '------------------------------------', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '0000000g-0000-0000-0000-000000000000',
  'urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301', '{3f2504e0-4f89-41d3-9a0c-0305e82c3301}', '3f2504e04f8941d39a0c0305e82c3301',
];

const garbageValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, -0, 0.5, 1.5, 1e308, -1e308, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, [], {}, [null], { a: 1 }, [[[]]]) },
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      new RawJson('9007199254740993'), new RawJson('-9007199254740993'), new RawJson('1e400'), new RawJson('-1e400'),
      new RawJson('1E+2'), new RawJson('1.0'), new RawJson('1e-400'), new RawJson('123456789012345678901234567890'),
      new RawJson('-0.0'), new RawJson('{"__proto__":{"polluted":true}}'), new RawJson('{"constructor":{"prototype":{"polluted":true}}}'),
      new RawJson('"\\u0000"'), new RawJson('"\\ud800"'), new RawJson('"\\uffff"'),
    ),
  },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 6000 }).map((n) => 'x'.repeat(n)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.uuid() },
);

const garbageSegment: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '', '.', '..', '..%2F..%2Fadmin', '%2e%2e', '%2E%2E%2F', '%', '%zz', '%0', '%00', '%ff', '%C0%AE', '%E2%80%AE',
      'null', 'undefined', '0', '-1', '1e308', 'NaN', '%20', '+', '00000000-0000-0000-0000-000000000000',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '------------------------------------',
      '{id}', ':id', '*', '%3F', '%23', '%2F', ';', '~', 'admin', 'openapi.json',
    ),
  },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid().map((u) => `${u}x`) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map(pct) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(pct) },
  { weight: 1, arbitrary: fc.integer({ min: 190, max: 8000 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(...nastyStrings).map(pct) },
);

const garbageQueryValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...nastyStrings),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.integer({ min: 190, max: 3000 }).map((n) => 'q'.repeat(n)),
  // Cursors that decode but lie: the shapes the services parse, with wrong contents.
  fc.constantFrom<unknown>(
    { s: 'x' }, { s: '\u0000' }, { s: 12 }, { s: 'z'.repeat(300) }, { r: 1e308, id: '-'.repeat(36) },
    { r: 0.5, id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' }, { r: 'NaN', id: SOME_UUID }, { r: -1, id: '00000000-0000-0000-0000-00000000000g' },
    { t: '1', id: SOME_UUID }, { t: '275760-09-13T00:00:00Z', id: SOME_UUID }, { t: '+275760-09-13T00:00:00.000Z', id: SOME_UUID },
    { t: 'Tue, 31 Feb 2023 10:00:00', id: SOME_UUID }, { t: '2024-13-45', id: SOME_UUID }, { t: '0', id: SOME_UUID },
    { t: '2020-01-01T00:00:00Z', id: 'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ' }, { t: '\u0000', id: SOME_UUID },
    [], null, 'not json',
  ).map(b64url),
  fc.record({ s: garbageValue, r: garbageValue, id: garbageValue, t: garbageValue }, { requiredKeys: [] }).map((o) => b64url(toJson(o))),
);

// ----------------------------------------------------------------------------------- valid from schema

function schemaType(s: JsonSchema): string | undefined {
  return Array.isArray(s.type) ? s.type[0] : s.type;
}

function validString(s: JsonSchema, name: string): fc.Arbitrary<string> {
  if (name === 'productId') return fc.constantFrom(...fixture.productIds);
  if (name === 'cartId') return fc.constantFrom(...fixture.cartIds);
  if (name === 'email' || s.format === 'email') {
    return fc.oneof(fc.constantFrom('shopper@example.com', 'a.b+c@example.co.uk'), fc.emailAddress().filter((e) => e.length <= (s.maxLength ?? 254)));
  }
  if (s.format === 'uuid') return fc.uuid();
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 40);
  if (s.pattern) {
    const re = new RegExp(s.pattern);
    return fc.stringMatching(re, { maxLength: Math.max(max, 3) }).filter((v) => v.length >= min && v.length <= (s.maxLength ?? Infinity) && re.test(v));
  }
  return fc.oneof(
    fc.string({ minLength: Math.max(min, 1), maxLength: Math.max(max, 1) }),
    fc.string({ unit: 'grapheme', minLength: Math.max(min, 1), maxLength: Math.max(Math.min(max, 10), 1) })
      .filter((v) => v.length <= (s.maxLength ?? Infinity)),
  );
}

function validValue(s: JsonSchema, name = ''): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => validValue(a, name)));
  switch (schemaType(s)) {
    case 'object': {
      const props = s.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValue(v, k)]));
      const requiredKeys = (s.required ?? []).filter((k) => k in props);
      const rec = fc.record(model, { requiredKeys });
      return s.minProperties ? rec.filter((o) => Object.keys(o).length >= s.minProperties!) : rec;
    }
    case 'array': return fc.array(s.items ? validValue(s.items, name) : fc.jsonValue(), { maxLength: Math.min(s.maxItems ?? 3, 3) });
    case 'integer': return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 1000, (s.minimum ?? 0) + 1_000_000) });
    case 'number': return fc.double({ min: s.minimum ?? 0, max: s.maximum ?? 1000, noNaN: true });
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'string': return validString(s, name);
    default: return fc.jsonValue({ maxDepth: 2 });
  }
}

type Mutation = 'replace' | 'delete' | 'add-unknown' | 'null' | 'near-miss';

const UUID_LIKE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP_LIKE = /^\d{4}-\d{2}-\d{2}T/;

/** Values of the same kind as v, slightly wrong: what slips past a loose check and trips the database. */
function nearMiss(v: unknown): fc.Arbitrary<unknown> {
  if (typeof v === 'number') {
    return fc.oneof(
      fc.constantFrom<unknown>(-v, v + 1, v - 1, v + 0.5, v * 1e300, -1, 0, 2 ** 31, 2 ** 53 + 2, String(v), `${v}abc`,
        new RawJson('9007199254740993'), new RawJson('1e400'), new RawJson(`${v}.0`), new RawJson(`${v}e0`)),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
    );
  }
  if (typeof v === 'boolean') return fc.constantFrom<unknown>(String(v), v ? 1 : 0, null, [v]);
  if (Array.isArray(v)) return fc.constantFrom<unknown>([], [...v, ...v], [...v, null], Array(200).fill(v[0] ?? 'x'), [v]);
  if (typeof v !== 'string') return garbageValue;
  const generic = fc.constantFrom(
    `${v}x`, v.slice(0, -1), v.toUpperCase(), v.toLowerCase(), ` ${v}`, `${v} `, `${v}\u0000`, v.repeat(50), `${v}'`,
    `${v}\ud800`, v.replace(/./, 'é'), v.replace(/./, 'Ａ'), '', `${v}%00`, `${v}/..`, `${v}\n`,
  );
  if (UUID_LIKE.test(v)) {
    return fc.oneof(
      generic,
      fc.constantFrom(v.replace(/[0-9a-f]/i, '-'), v.replace(/[0-9a-f]$/i, 'g'), v.replaceAll('-', ''), `{${v}}`, `urn:uuid:${v}`, '-'.repeat(36), `${v.slice(0, 35)}-`),
      fc.stringMatching(/^[0-9a-f-]{36}$/),
      fc.uuid(),
    );
  }
  if (TIMESTAMP_LIKE.test(v)) {
    const anyDate = fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true });
    return fc.oneof(
      generic,
      anyDate.map((d) => d.toISOString()),
      anyDate.map((d) => d.toString()),
      anyDate.map((d) => d.toUTCString()),
      anyDate.map((d) => String(d.getTime())),
      fc.constantFrom('1', '0', '2024-02-30T00:00:00.000Z', 'Tue, 31 Feb 2023 10:00:00', '2020-01-01T25:00:00.000Z', 'now', 'infinity', '-infinity', 'epoch', 'allballs'),
    );
  }
  if (/^[A-Z]{2,3}$/.test(v)) return fc.oneof(generic, fc.stringMatching(/^[A-Za-z]{1,4}$/), fc.constantFrom('ÄÖÜ', 'usd', 'US1', 'XXX'));
  return fc.oneof(generic, fc.string({ unit: 'grapheme', minLength: v.length, maxLength: v.length + 2 }));
}

/** Every path to a value inside v (not v itself). */
function pathsIn(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => [[...prefix, i], ...pathsIn(x, [...prefix, i])]);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...pathsIn(x, [...prefix, k])]);
  return [];
}

/** A valid value with one field changed: the "almost valid" request a buggy or hostile client sends. */
function almostValid(validArb: fc.Arbitrary<unknown>): fc.Arbitrary<{ value: unknown; note: string }> {
  return validArb.chain((valid) => {
    const paths = pathsIn(valid);
    if (paths.length === 0 || !valid || typeof valid !== 'object') {
      return garbageValue.map((g) => ({ value: { unexpected: g }, note: 'added an unknown field to an empty body' }));
    }
    const how = fc.constantFrom<Mutation>('near-miss', 'near-miss', 'near-miss', 'replace', 'replace', 'delete', 'add-unknown', 'null');
    return fc.tuple(fc.constantFrom(...paths), how).chain(([path, mutation]) => {
      const current = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], valid);
      const replacement = mutation === 'near-miss' ? nearMiss(current) : garbageValue;
      return replacement.map((r) => applyMutation(valid, path, mutation, r));
    });
  });
}

function applyMutation(valid: unknown, path: (string | number)[], how: Mutation, replacement: unknown): { value: unknown; note: string } {
  const value = structuredClone(valid);
  let parent = value as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  const where = path.join('.');
  switch (how) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last];
      return { value, note: `deleted ${where}` };
    case 'add-unknown':
      if (Array.isArray(parent)) parent.push(replacement); else parent[`x_${String(last)}`] = replacement;
      return { value, note: `added an unknown sibling of ${where}` };
    case 'null':
      parent[last] = null;
      return { value, note: `set ${where} to null` };
    case 'near-miss':
      parent[last] = replacement;
      return { value, note: `near miss for ${where}` };
    default:
      parent[last] = replacement;
      return { value, note: `set ${where} to garbage` };
  }
}

// ------------------------------------------------------------------------------------- request model

interface FuzzCase {
  op: Operation;
  req: RawRequest;
  notes: string[];
  /** Which credential the request carries, for the access invariants. */
  credential: 'admin' | 'order' | 'other';
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...JSON_TYPES) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=xyz',
      'application/xml', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'APPLICATION/JSON',
      'application/vnd.api+json', 'application/json, text/plain', 'a/b/c', '*/*', 'application/octet-stream', 'json',
      'application/json;;;', 'application/json; boundary=', 'text/html; charset=utf-8',
    ),
  },
);

function bodyArb(op: Operation, limit: number): fc.Arbitrary<{ body?: string; note: string }> {
  const malformed = fc.constantFrom(
    '{', '}', '{"a":', '[1,2', '{"a" 1}', "{'a':1}", 'undefined', 'NaN', '{"a":1}}', '{"quantity": 1,}', '\u0000',
    '{"a":"\\x00"}', '\ufeff{}', '{"a":1}{"b":2}', 'nul', '01', '-', '"', '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"x":1}}}', '{"a":"\\ud800"}', '{"a":\n', '[]', '""', 'null', 'true', '0', '1e400',
  );
  const deep = fc.oneof(
    fc.integer({ min: 100, max: Math.floor(limit / 2) - 10 }).map((n) => ({ body: '['.repeat(n) + ']'.repeat(n), note: `${n}-deep array` })),
    fc.integer({ min: 100, max: Math.floor(limit / 6) - 10 }).map((n) => ({ body: '{"a":'.repeat(n) + '1' + '}'.repeat(n), note: `${n}-deep object` })),
  );
  const huge = fc.oneof(
    fc.integer({ min: limit + 1, max: limit * 4 }).map((n) => ({ body: `{"a":"${'x'.repeat(n)}"}`, note: `${n + 8}-byte body (over the limit)` })),
    fc.integer({ min: limit - 2000, max: limit - 100 }).map((n) => ({ body: `{"description":"${'y'.repeat(n)}"}`, note: 'body just under the limit' })),
    fc.integer({ min: 1000, max: Math.floor(limit / 8) }).map((n) => ({ body: `[${Array(n).fill('1e308').join(',')}]`, note: `${n}-element array` })),
    fc.integer({ min: 100, max: Math.floor(limit / 12) }).map((n) => ({ body: `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`, note: `${n} keys` })),
  );
  const formish = fc.dictionary(fc.constantFrom('quantity', 'productId', 'cartId', 'onHand', 'x', '__proto__', 'a[b]'), garbageQueryValue, { maxKeys: 3 })
    .map((o) => ({ body: Object.entries(o).map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'), note: 'form-encoded body' }));
  const anyJson = fc.oneof(garbageValue, fc.jsonValue({ maxDepth: 4 })).map((v) => ({ body: toJson(v), note: 'arbitrary JSON' }));
  const binary = fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ body: s, note: 'binary garbage' }));

  const garbageBodies = [
    { weight: 2, arbitrary: anyJson },
    { weight: 2, arbitrary: malformed.map((body) => ({ body, note: 'malformed JSON' })) },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: huge },
    { weight: 1, arbitrary: formish },
  ];
  if (!op.bodySchema) {
    // Operations without a body: mostly none, sometimes one anyway.
    return fc.oneof({ weight: 6, arbitrary: fc.constant({ note: 'no body' }) }, ...garbageBodies);
  }
  const valid = validValue(op.bodySchema);
  return fc.oneof(
    { weight: 3, arbitrary: valid.map((v) => ({ body: toJson(v), note: 'valid body' })) },
    {
      weight: 8,
      arbitrary: almostValid(valid).map((m) => ({ body: toJson(m.value), note: `almost valid: ${m.note}` })),
    },
    { weight: 1, arbitrary: fc.constant({ note: 'no body' }) },
    ...garbageBodies,
  );
}

function pathValueArb(op: Operation, name: string): fc.Arbitrary<string> {
  const before = op.path.slice(0, op.path.indexOf(`{${name}}`));
  const existing = name === 'slug' ? fixture.slugs
    : name === 'productId' || before.endsWith('/products/') ? fixture.productIds
      : before.endsWith('/carts/') ? fixture.cartIds
        : before.endsWith('/orders/') ? [fixture.orderId] : [];
  return fc.oneof(
    ...(existing.length ? [
      { weight: 5, arbitrary: fc.constantFrom(...existing) },
      { weight: 2, arbitrary: fc.constantFrom(...existing).chain(nearMiss).map((v) => pct(typeof v === 'string' ? v : toJson(v))) },
    ] : []),
    { weight: 4, arbitrary: garbageSegment },
  );
}

/** A real pagination cursor, decoded, with one field changed and encoded again: the cursor is opaque to
 * clients, but nothing stops one from editing it. */
function mutatedCursorArb(): fc.Arbitrary<string> {
  const decoded = fixture.cursors.map((c): unknown => JSON.parse(Buffer.from(c, 'base64url').toString('utf8')));
  return almostValid(fc.constantFrom(...decoded)).map((m) => b64url(toJson(m.value)));
}

function queryArb(op: Operation): fc.Arbitrary<{ qs: string; note: string }> {
  const declared = op.parameters.filter((p) => p.in === 'query');
  const valueFor = (p: Parameter): fc.Arbitrary<string> => {
    if (p.name === 'cursor') return fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...fixture.cursors) }, { weight: 3, arbitrary: mutatedCursorArb() }, { weight: 1, arbitrary: garbageQueryValue });
    const valid = validValue(p.schema, p.name);
    return fc.oneof(
      { weight: 4, arbitrary: valid.map(String) },
      { weight: 1, arbitrary: valid.chain(nearMiss).map((v) => (v instanceof RawJson ? v.text : typeof v === 'string' ? v : toJson(v))) },
      { weight: 1, arbitrary: garbageQueryValue },
    );
  };
  const pairs = fc.tuple(...declared.map((p) => fc.option(valueFor(p).map((v) => [p.name, v] as [string, string]), { freq: 4 })));
  const extraKey = fc.oneof(
    fc.constantFrom('foo', '__proto__', 'constructor', 'prototype', 'limit[]', 'q[a]', 'a.b', '', ' ', '%', ...declared.map((p) => p.name)),
    fc.string({ unit: 'binary', maxLength: 10 }),
  );
  const extras = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, garbageQueryValue), { minLength: 1, maxLength: 2 }) });
  const rawTail = fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&', '&&&', '=', '%', '%zz=1', 'limit', 'limit=', '&limit=1&limit=2') });
  return fc.tuple(pairs, extras, rawTail).map(([ps, ex, tail]) => {
    const all = [...ps.filter((p): p is [string, string] => p !== null), ...ex];
    const qs = [...all.map(([k, v]) => `${pct(k)}=${pct(v)}`), ...(tail ? [tail] : [])].join('&');
    return { qs, note: ex.length || tail ? 'extra query params' : '' };
  });
}

function credentialArb(op: Operation): fc.Arbitrary<{ header?: string; credential: FuzzCase['credential']; note: string }> {
  const bogus = fc.oneof(
    fc.constantFrom('Bearer', 'Bearer ', 'Bearer nope', 'bearer  x y', 'Basic YWRtaW46YWRtaW4=', 'Token abc', '\t', 'Bearer \u00ff\u00fe',
      `Bearer ${'A'.repeat(5000)}`, 'Bearer null', 'Bearer undefined', 'Bearer ../../etc/passwd'),
    fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
    fc.integer({ min: 17_000, max: 40_000 }).map((n) => `Bearer ${'h'.repeat(n)}`),
  ).map((header) => ({ header: headerSafe(header), credential: 'other' as const, note: 'bogus Authorization' }));
  const none = fc.constant({ credential: 'other' as const, note: 'no Authorization' });
  const admin = fc.constant({ header: `Bearer ${app.adminToken}`, credential: 'admin' as const, note: '' });
  const adminNearMiss = fc.constantFrom(`Bearer ${app.adminToken}x`, `Bearer ${app.adminToken.slice(0, -1)}`, `Bearer ${app.adminToken.toUpperCase()}`, `Basic ${app.adminToken}`, app.adminToken)
    .map((header) => ({ header, credential: 'other' as const, note: 'almost the admin token' }));
  const order = fc.constant({ header: `Bearer ${fixture.orderToken}`, credential: 'order' as const, note: '' });
  switch (op.guard) {
    case 'admin': return fc.oneof({ weight: 6, arbitrary: admin }, { weight: 1, arbitrary: none }, { weight: 1, arbitrary: bogus }, { weight: 1, arbitrary: adminNearMiss }, { weight: 1, arbitrary: order });
    case 'order': return fc.oneof({ weight: 3, arbitrary: order }, { weight: 1, arbitrary: none }, { weight: 2, arbitrary: bogus }, { weight: 1, arbitrary: admin });
    default: return fc.oneof({ weight: 6, arbitrary: none }, { weight: 1, arbitrary: bogus }, { weight: 1, arbitrary: admin });
  }
}

function idempotencyArb(op: Operation): fc.Arbitrary<string | undefined> {
  const garbage = fc.oneof(
    fc.constantFrom('', ' ', '\t', 'a b', 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(301), 'x'.repeat(9000), 'clé', '\u00ff', 'fuzz-reused-key', '%00'),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(headerSafe),
  );
  if (op.parameters.some((p) => p.in === 'header' && p.name === 'idempotency-key')) {
    return fc.oneof({ weight: 5, arbitrary: fc.uuid() }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: garbage });
  }
  return fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: garbage });
}

/** Headers the API does not ask for but every server receives: cookies, encodings, tracing, proxies. */
const extraHeadersArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom('accept', 'accept-encoding', 'content-encoding', 'cookie', 'expect', 'if-none-match', 'origin', 'range',
        'traceparent', 'tracestate', 'x-forwarded-for', 'x-forwarded-proto', 'x-request-id', 'x-http-method-override'),
      fc.oneof(
        fc.constantFrom('gzip', 'br', 'deflate, gzip;q=0', 'identity', 'text/html', '*/*', 'application/xml', '100-continue',
          'bytes=0-1', 'bytes=-1', '*', 'DELETE', 'https', '1.2.3.4, 127.0.0.1', 'a=%E0%A4%A', '=;;;', 'hf_cart=s%3Anope.sig',
          '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-00000000000000000000000000000000-0000000000000000-00', 'ff-x-y-z'),
        fc.constantFrom(...nastyStrings).map(headerSafe),
        fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(headerSafe),
        fc.integer({ min: 1000, max: 12_000 }).map((n) => 'h'.repeat(n)),
      ),
      { minKeys: 1, maxKeys: 3 },
    ),
  },
);

function caseArb(op: Operation, bodyLimit: number): fc.Arbitrary<FuzzCase> {
  const pathNames = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  return fc.record({
    segments: fc.tuple(...pathNames.map((n) => pathValueArb(op, n))),
    trailing: fc.oneof({ weight: 15, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//', '/.', '/..', '%2F', ';x') }),
    query: queryArb(op),
    credential: credentialArb(op),
    idempotencyKey: idempotencyArb(op),
    body: bodyArb(op, bodyLimit),
    contentType: contentTypeArb,
    chunked: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
    extraHeaders: extraHeadersArb,
  }).map((g) => {
    let path = op.path;
    pathNames.forEach((n, i) => { path = path.replace(`{${n}}`, g.segments[i]!); });
    path += g.trailing;
    if (g.query.qs) path += `?${g.query.qs}`;
    const headers: Record<string, string> = { accept: 'application/json', ...g.extraHeaders };
    if (g.credential.header !== undefined) headers.authorization = g.credential.header;
    if (g.idempotencyKey !== undefined) headers['idempotency-key'] = g.idempotencyKey;
    if (g.body.body !== undefined && g.contentType !== undefined) headers['content-type'] = g.contentType;
    if (g.body.body !== undefined && g.chunked) headers['transfer-encoding'] = 'chunked';
    const fuzzCase: FuzzCase = {
      op, credential: g.credential.credential,
      req: { method: op.method, path, headers, body: g.body.body },
      notes: [g.body.note, g.query.note, g.credential.note, g.trailing ? `trailing "${g.trailing}"` : '',
        Object.keys(g.extraHeaders).length ? 'odd headers' : ''].filter(Boolean),
    };
    // fast-check prints counterexamples with this: a runnable command instead of an object dump.
    return Object.assign(fuzzCase, { [fc.toStringMethod]: () => describeCase(fuzzCase) });
  });
}

function describeCase(c: FuzzCase): string {
  const redact = { [app.adminToken]: '$HOLDFAST_ADMIN_TOKEN', [fixture.orderToken]: '$ORDER_ACCESS_TOKEN' };
  return `${c.op.method} ${c.op.path} [${c.notes.join('; ')}]\n    ${toCurl(`http://127.0.0.1:${port}`, c.req, redact)}`;
}

// ------------------------------------------------------------------------------------------- checking

async function sendAndCheck(c: FuzzCase): Promise<void> {
  const logMark = app.logs.length;
  let res: RawResponse;
  try {
    res = await rawRequest(app.url, c.req, REQUEST_TIMEOUT_MS);
  } catch (err) {
    // Oversized requests (headers over node's 16 KB, bodies over the limit) may be answered and the
    // connection closed while the client is still sending; TCP then resets it and the answer can be lost.
    // That is the transport, not the application; anything else that fails to get an answer is a bug.
    const oversized = Object.values(c.req.headers).some((v) => v.length > 16_000) || (c.req.body?.length ?? 0) > app.config.bodyLimitBytes;
    if (oversized && /ECONNRESET|EPIPE|socket hang up/.test(String((err as Error).message) + String((err as { code?: string }).code))) {
      stats.requests++;
      stats.resets++;
      return;
    }
    throw new Error(`request failed: ${(err as Error).message}\n  ${describeCase(c)}`);
  }
  stats.requests++;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  const opKey = `${c.op.method} ${c.op.path}`;
  const perOp = stats.byOp.get(opKey) ?? new Map<number, number>();
  perOp.set(res.status, (perOp.get(res.status) ?? 0) + 1);
  stats.byOp.set(opKey, perOp);
  stats.opMs.set(opKey, (stats.opMs.get(opKey) ?? 0) + res.ms);
  stats.slowestMs = Math.max(stats.slowestMs, res.ms);
  let code: string | undefined;
  try { code = (JSON.parse(res.text) as { error?: { code?: string } }).error?.code; } catch { /* not JSON */ }
  if (code) stats.byCode.set(code, (stats.byCode.get(code) ?? 0) + 1);

  const problems: string[] = [];
  // The JSON error contract is the API's. Outside /api, a browser (Accept: text/html) may be answered
  // with an HTML page, and paths that are not documented operations may be pages; never with a 5xx.
  const documented = c.op.method !== '*';
  const api = c.req.path.startsWith('/api');
  const browser = !api && (c.req.headers.accept ?? '').includes('text/html');
  const violation = (documented || api) && !browser ? errorContractViolation(res)
    : res.status >= 500 ? `server error ${res.status}` : undefined;
  if (violation) problems.push(violation);
  const ok = res.status >= 200 && res.status < 300;
  if (ok && c.op.guard === 'admin' && c.credential !== 'admin') problems.push(`admin route answered ${res.status} without the admin token`);
  if (ok && c.op.guard === 'order' && c.credential !== 'order') problems.push(`order answered ${res.status} without its access token`);
  if (ok && res.status !== 204 && (documented || api) && !browser) {
    try { JSON.parse(res.text); } catch { problems.push(`${res.status} body is not JSON`); }
  }
  if (problems.length) {
    const serverErrors = app.logs.slice(logMark).filter((l) => /"level":(50|60)/.test(l)).map((l) => l.slice(0, 3000));
    throw new Error([
      problems.join('; '),
      `  ${describeCase(c)}`,
      `  response: ${res.status} ${res.text.slice(0, 1000)}`,
      ...(serverErrors.length ? ['  server log:', ...serverErrors.map((l) => `    ${l}`)] : []),
    ].join('\n'));
  }
}

// -------------------------------------------------------------------------------------------- tests

/** How much there is to get wrong in a request: operations with more inputs get more of the budget. */
function inputSurface(op: Operation): number {
  const leaves = (s: JsonSchema | undefined): number => {
    if (!s) return 0;
    if (s.properties) return Object.values(s.properties).reduce((n, p) => n + leaves(p), 0) || 1;
    if (s.items) return leaves(s.items);
    return 1;
  };
  const cursor = op.parameters.some((p) => p.name === 'cursor') ? 2 : 0;
  return 2 + op.parameters.length + cursor + (op.bodySchema ? 2 + leaves(op.bodySchema) : 0) + (op.guard === 'none' ? 0 : 1);
}

test('the OpenAPI document lists the API', () => {
  assert.ok(operations.length >= 15, `only ${operations.length} operations documented`);
  assert.ok(operations.some((o) => o.guard === 'admin'), 'admin operations carry security: adminToken');
  assert.ok(operations.some((o) => o.guard === 'order'), 'GET /api/orders/{id} carries security: orderToken');
});

test('every documented operation survives generated garbage and almost-valid requests', async (t) => {
  const bodyLimit = app.config.bodyLimitBytes;
  const totalSurface = operations.reduce((n, op) => n + inputSurface(op), 0);
  for (const op of operations) {
    const runs = Math.max(MIN_RUNS_PER_OPERATION, Math.round((TOTAL_REQUESTS * 0.94 * inputSurface(op)) / totalSurface));
    await t.test(`${op.method} ${op.path} (${runs} runs)`, async () => {
      await fc.assert(fc.asyncProperty(caseArb(op, bodyLimit), sendAndCheck), {
        numRuns: runs, ...(SEED !== undefined ? { seed: SEED } : {}),
        // A shrunk counterexample is what a human wants, but every shrink step is a real request.
        endOnFailure: false, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: false,
      });
    });
  }
});

test('unknown routes and methods on known paths answer with the error shape', async () => {
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'M-SEARCH'];
  const pathArb = fc.oneof(
    fc.constantFrom(...operations.map((o) => o.path.replace(/\{[^}]+\}/g, fixture.productIds[0]!))),
    fc.array(garbageSegment, { minLength: 1, maxLength: 4 }).map((segs) => `/api/${segs.join('/')}`),
    fc.constantFrom('/', '//', '/api', '/api/', '/api/admin', '/api/admin/', '/%', '/%zz', '/api/%00', '/..', '/api/../api/products', '/api/products/../admin/products', `/${'x'.repeat(5000)}`),
  );
  await fc.assert(fc.asyncProperty(fc.constantFrom(...methods), pathArb, fc.constantFrom(undefined, '{}', 'garbage'), async (method, path, body) => {
    const req: RawRequest = { method, path, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, body: method === 'HEAD' ? undefined : body };
    const op: Operation = { method: '*', path: '(unknown routes, methods)', parameters: [], guard: path.startsWith('/api/admin') ? 'admin' : 'none' };
    const c: FuzzCase = { op, req, notes: ['method/route confusion'], credential: 'other' };
    if (method === 'HEAD') {
      // HEAD responses have no body to check; only the status matters.
      const res = await rawRequest(app.url, req, REQUEST_TIMEOUT_MS);
      stats.requests++;
      stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
      assert.ok(res.status < 500, `HEAD ${path} -> ${res.status}`);
      return;
    }
    await sendAndCheck(c);
  }), { numRuns: Math.max(100, Math.floor(TOTAL_REQUESTS * 0.05)), ...(SEED !== undefined ? { seed: SEED } : {}) });
});
