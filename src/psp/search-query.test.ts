import { test } from 'node:test';
import assert from 'node:assert/strict';
import { paymentIntentSearchPredicate } from './search-query.ts';
import { StripeError } from './stripe-errors.ts';

test('metadata and status clauses joined by AND become a bound predicate', () => {
  const p = paymentIntentSearchPredicate(`metadata['order_id']:'o-1' AND status:"succeeded"`, 4);
  assert.equal(p.sql, `(lower(metadata->>$4) = lower($5)) AND (lower(status) = lower($6))`);
  assert.deepEqual(p.values, ['order_id', 'o-1', 'succeeded']);
});

test('escaped quotes, OR, negation and numeric comparisons', () => {
  const p = paymentIntentSearchPredicate(`metadata['note']:'it\\'s' OR -amount>=1000 OR created<1700000000`, 1);
  assert.equal(p.sql, `(lower(metadata->>$1) = lower($2)) OR NOT (amount >= $3::bigint) OR (created < $4::bigint)`);
  assert.deepEqual(p.values, ['note', "it's", 1000, 1700000000]);
  assert.equal(paymentIntentSearchPredicate(`metadata['x']:null`, 1).sql, `((metadata->>$1) IS NULL)`);
});

test('invalid queries are 400s on the query param', () => {
  for (const bad of ['', 'status:succeeded', `metadata['a']:'b' AND status:'x' OR currency:'usd'`, 'foo:"x"', `status>'a'`,
    `metadata['a':'b'`, `status:'unterminated`, `amount:'abc'`, `status:'a' XOR status:'b'`]) {
    assert.throws(() => paymentIntentSearchPredicate(bad, 1), (err: unknown) => err instanceof StripeError && err.status === 400 && err.body.param === 'query', bad);
  }
});
