import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkoutFieldErrors, submittedValues } from './checkout-form.ts';

// @fastify/formbody hands over a null-prototype object with the client's keys, prototype names included.
const formBody = (fields: Record<string, string>) => Object.assign(Object.create(null) as Record<string, string>, fields);

test('only the form\'s own fields are taken from a posted body: prototype names are not fields', () => {
  const body = formBody({ email: 'a@example.com', toString: 'x', constructor: 'y', hasOwnProperty: 'z', valueOf: 'v' });
  Object.defineProperty(body, '__proto__', { value: 'p', enumerable: true });
  const values = submittedValues(body);
  assert.deepEqual(Object.keys(values), ['email']);
  assert.equal(String(values), '[object Object]', 'toString is still the object\'s own method');
  assert.deepEqual(Object.keys(checkoutFieldErrors(body)).filter((k) => ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'].includes(k)), []);
});
