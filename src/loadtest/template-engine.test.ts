// Names in templates, JSON paths and JSON bodies are only ever names: a path finds what the value itself
// holds (never toString, constructor or __proto__ from its prototype), and a `__proto__` key in a body is
// sent as the data it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJson, compileString, evalJsonPath, TemplateError, variables } from './template-engine.ts';

const INHERITED = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

test('a template path finds only what the variables and their values hold themselves', () => {
  const vars = variables({ cart: { id: 'c-1', lines: [{ sku: 'a' }] }, word: 'wool' });
  for (const name of INHERITED) {
    assert.throws(() => compileString(`/x/{{${name}}}`)(vars), (e: Error) => e instanceof TemplateError && e.message === `{{${name}}}: no variable "${name}" (not extracted by an earlier step?)`, name);
    assert.throws(() => compileString(`/x/{{cart.${name}}}`)(vars), (e: Error) => e instanceof TemplateError && e.message === `{{cart.${name}}}: "cart" has no such field`, `cart.${name}`);
    assert.throws(() => compileString(`{{cart.lines.${name}}}`)(vars), TemplateError, `cart.lines.${name}`);
    assert.throws(() => compileJson(`{{cart.lines[0].${name}}}`)(vars), TemplateError, `a whole-value placeholder: cart.lines[0].${name}`);
  }
  // What the values do hold is still found: fields, elements, and a string's characters and length.
  assert.equal(compileString('{{cart.id}}/{{cart.lines[0].sku}}/{{word.length}}/{{word[0]}}')(vars), 'c-1/a/4/w');
});

test('the same holds for a plain object given as variables (a TypeScript scenario\'s own call)', () => {
  assert.throws(() => compileString('{{toString}}')({}), /no variable "toString"/);
  assert.throws(() => compileString('{{a.constructor}}')({ a: {} }), /"a" has no such field/);
});

test('variables named like Object.prototype members are ordinary variables', () => {
  const vars = variables({ word: 'x' });
  for (const [name, value] of [['__proto__', { id: 'p-1' }], ['constructor', 'c']] as const) vars[name] = value;
  assert.equal(Object.getPrototypeOf(vars), null, 'writing __proto__ stored a variable, not a prototype');
  assert.equal(compileString('{{__proto__.id}}-{{constructor}}-{{word}}')(vars), 'p-1-c-x');
  // An iteration's own variables over the shared ones, as the runner layers them.
  const iteration = Object.create(variables({ term: 'wool' })) as Record<string, unknown>;
  iteration.__proto__ = { id: 'i-1' };
  assert.equal(compileString('{{__proto__.id}}-{{term}}')(iteration), 'i-1-wool');
  assert.throws(() => compileString('{{toString}}')(iteration), /no variable "toString"/);
  const copy = variables(vars, { $vu: 1 });
  assert.deepEqual(Object.keys(copy), ['word', '__proto__', 'constructor', '$vu']);
  assert.equal(Object.getPrototypeOf(copy), null);
});

test('a JSON path reads own properties only; inherited names are not found', () => {
  const doc = JSON.parse('{"items":[{"id":1}],"constructor":"own","__proto__":{"x":2}}');
  for (const name of ['toString', 'hasOwnProperty', 'valueOf']) {
    assert.equal(evalJsonPath(doc, `$.${name}`), undefined, name);
    assert.equal(evalJsonPath(doc, `$.items.${name}`), undefined, `items.${name}`);
    assert.equal(evalJsonPath(doc, `$.items[0].${name}`), undefined, `items[0].${name}`);
    assert.equal(evalJsonPath(doc, `$["${name}"]`), undefined, `["${name}"]`);
  }
  assert.equal(evalJsonPath({}, '$.constructor'), undefined);
  assert.equal(evalJsonPath({}, '$.__proto__'), undefined);
  assert.deepEqual(evalJsonPath([{}, { constructor: 'c' }], '$[*].constructor'), [undefined, 'c']);
  // Keys the document has are found, whatever they are called.
  assert.equal(evalJsonPath(doc, '$.constructor'), 'own');
  assert.deepEqual(evalJsonPath(doc, '$.__proto__'), { x: 2 });
  assert.equal(evalJsonPath(doc, '$.__proto__.x'), 2);
  assert.equal(evalJsonPath(doc, '$.items.length'), 1, 'an array\'s length is its own');
});

test('a JSON body keeps a __proto__ key as data, at any depth, with templates inside', () => {
  const spec = JSON.parse('{"__proto__":{"polluted":"{{id}}"},"n":1,"deep":[{"__proto__":"{{id}}"}]}');
  const body = compileJson(spec)(variables({ id: 'c-1' }));
  assert.equal(JSON.stringify(body), '{"__proto__":{"polluted":"c-1"},"n":1,"deep":[{"__proto__":"c-1"}]}');
  assert.equal(Object.getPrototypeOf(body), Object.prototype, 'an ordinary object whose __proto__ is an own key');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
