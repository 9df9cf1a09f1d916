// Fault parameters are checked with the shared schemaProblems: every problem is listed (TypeBox alone
// stops at 8), each named by its place with the value found, and a list of allowed numbers is said as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULTS } from './fault-catalog.ts';
import { validateFaultParams } from './fault-registry.ts';

test('every problem of fault parameters is listed, named by its place, with the value found', () => {
  const nineUnknown = Object.fromEntries('abcdefghi'.split('').map((k) => [k, 1]));
  assert.deepEqual(validateFaultParams(FAULTS['db.slow'], { context: 'BAD', delayMs: 0, rate: -1, ...nineUnknown }), {
    ok: false,
    problems: [
      '(params): unknown keys "a", "b", "c", "d", "e", "f", "g", "h", "i"',
      'context: must match pattern "^[a-z][a-z0-9_-]*$", got "BAD"',
      'delayMs: must be >= 1, got 0',
      'rate: must be >= 0, got -1',
    ],
  });
  assert.deepEqual(validateFaultParams(FAULTS['psp.errors'], { rate: 2, statuses: [503, 200, 201], phase: 'during', account: 'tertiary' }), {
    ok: false,
    problems: [
      'rate: must be <= 1, got 2',
      'statuses[1]: must be one of 429, 500, 502, 503, 504, got 200',
      'statuses[2]: must be one of 429, 500, 502, 503, 504, got 201',
      'phase: must be one of "before", "after", got "during"',
      'account: must be one of "primary", "secondary", got "tertiary"',
    ],
  });
  assert.deepEqual(validateFaultParams(FAULTS['payments.cpu'], {}), { ok: false, problems: ['(params): must have required properties msPerJob'] });
  assert.deepEqual(validateFaultParams(FAULTS['psp.latency'], []), { ok: false, problems: ['params must be a JSON object'] });
  assert.deepEqual(validateFaultParams(FAULTS['psp.errors'], { rate: 0.5, statuses: [503] }), { ok: true, params: { rate: 0.5, statuses: [503] } });
});
