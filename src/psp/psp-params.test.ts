import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Params } from './psp-params.ts';
import { parseStripeForm } from './stripe-form.ts';
import { StripeError } from './stripe-errors.ts';

const paramsOf = (text: string) => new Params(parseStripeForm(text));

function assertUnknown(fn: () => void, param: string) {
  assert.throws(fn, (err: unknown) => err instanceof StripeError && err.status === 400
    && err.body.code === 'parameter_unknown' && err.body.param === param && err.body.message === `Received unknown parameter: ${param}`, param);
}

test('a prototype name is an unknown parameter like any other (Stripe: parameter_unknown with param)', () => {
  assertUnknown(() => paramsOf('__proto__[polluted]=yes').done(), '__proto__');
  assertUnknown(() => paramsOf('__proto__=yes').done(), '__proto__');
  assertUnknown(() => paramsOf('constructor[prototype][polluted]=yes').done(), 'constructor');
  assertUnknown(() => paramsOf('prototype=x').done(), 'prototype');
  const nested = paramsOf('automatic_payment_methods[enabled]=true&automatic_payment_methods[__proto__][x]=y').hash('automatic_payment_methods')!;
  nested.boolean('enabled');
  assertUnknown(() => nested.done(), 'automatic_payment_methods[__proto__]');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('only values the client sent are read: nothing inherited counts as present', () => {
  const p = paramsOf('amount=5');
  for (const inherited of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
    assert.equal(p.has(inherited), false, inherited);
    assert.equal(p.raw(inherited), undefined, inherited);
  }
  assert.equal(p.string('toString'), undefined);
});

test('metadata keys may be any name without brackets, __proto__ included, and stay own keys', () => {
  const metadata = paramsOf('metadata[__proto__]=a&metadata[constructor]=b&metadata[order_id]=c').metadata()!;
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  assert.deepEqual(Object.keys(metadata), ['__proto__', 'constructor', 'order_id']);
  assert.equal(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value, 'a');
  assert.equal(JSON.stringify(metadata), '{"__proto__":"a","constructor":"b","order_id":"c"}');
  assert.throws(() => paramsOf('metadata[__proto__][polluted]=yes').metadata(),
    (err: unknown) => err instanceof StripeError && err.status === 400 && err.body.param === 'metadata[__proto__]');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
