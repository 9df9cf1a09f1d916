import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, evaluate } from './evaluation.ts';
import type { Ranker } from './ranking.ts';
import type { Telemetry } from './time-series.ts';

test('AC@k and Avg@5', () => {
  const a = accuracy('m', [1, 2, 3, undefined, 6]);
  assert.deepEqual(a.ac, [0.2, 0.4, 0.6, 0.6, 0.6]);
  assert.ok(Math.abs(a.avg5 - 0.48) < 1e-12);
  assert.deepEqual(accuracy('m', []).ac, [0, 0, 0, 0, 0]);
});

test('evaluate runs every ranker on every case and groups by split and fault', () => {
  const empty: Telemetry = { series: [] };
  const fixed = (order: string[]): Ranker => () => ({
    method: 'x', injectTime: 0, injectTimeSource: 'given', ranked: order.map((service) => ({ service, score: 1, evidence: [] })),
  });
  const cases = [
    { id: 'c1', telemetry: empty, injectTime: 5, truth: { rootCauseService: 'a', split: 'train', fault: 'delay' } },
    { id: 'c2', telemetry: empty, truth: { rootCauseService: 'b', split: 'test', fault: 'delay' } },
  ];
  const rep = evaluate(cases, { good: fixed(['a', 'b']), bad: fixed(['c', 'a']) });
  assert.deepEqual(rep.methods, ['good', 'bad']);
  assert.deepEqual(rep.overall.map((x) => x.ac[0]), [0.5, 0]);
  assert.deepEqual(rep.overall.map((x) => x.ac[1]), [1, 0.5]);
  assert.deepEqual(rep.groups.map((g) => `${g.by}=${g.value}`), ['split=test', 'split=train', 'fault=delay']);
  assert.equal(rep.cases[1]!.results.bad!.rank, undefined);
});
