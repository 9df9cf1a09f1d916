// What the control role scrapes under `holdfast start --autoscale`: the simulator is among the targets, or
// the root-cause finding's network verdict has no provider-side time to set against payments' (it said
// "network: not measured" in every finding of a game day before the simulator was scraped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { supervisedScrapeTargets } from './run-supervisor.ts';

const origin = (port: number) => `http://127.0.0.1:${port}`;

test('the control role scrapes the storefront port, payments replica 0 and the simulator', () => {
  assert.deepEqual(supervisedScrapeTargets(origin, 4000, 4100), [
    'http://127.0.0.1:4000/metrics', 'http://127.0.0.1:4002/metrics', 'http://127.0.0.1:4100/metrics',
  ]);
});

test('no simulator port (0): storefront and payments only', () => {
  assert.deepEqual(supervisedScrapeTargets(origin, 4000, 0), ['http://127.0.0.1:4000/metrics', 'http://127.0.0.1:4002/metrics']);
});
