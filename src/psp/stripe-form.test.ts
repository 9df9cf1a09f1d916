import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStripeForm, encodeStripeForm } from './stripe-form.ts';
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

test('encodes what it parses', () => {
  const params = { amount: 5, metadata: { order_id: 'a&b=c' }, payment_method_types: ['card'], automatic_payment_methods: { enabled: true } };
  assert.deepEqual(parseStripeForm(encodeStripeForm(params)), {
    amount: '5', metadata: { order_id: 'a&b=c' }, payment_method_types: ['card'], automatic_payment_methods: { enabled: 'true' },
  });
});
