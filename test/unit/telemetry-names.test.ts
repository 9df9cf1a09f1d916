// The consumers' side of the telemetry contract (src/telemetry): the exported Prometheus rules and Grafana
// dashboards query contract metrics only, and no source file outside the contract spells a metric name
// (producers and consumers take names from METRICS). test/integration/telemetry-contract.test.ts checks the
// producers' side against a running shop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { sourceFiles } from '../../scripts/gen-errors-doc.ts';
import { METRICS } from '../../src/telemetry/index.ts';
import { prometheusRuleGroups } from '../../src/exports/prometheus-rules.ts';
import { redDashboard, sloDashboard, paymentQueueDashboard } from '../../src/exports/grafana-dashboards.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const CONTRACT = new Set<string>(Object.values(METRICS).map((m) => m.name));

test('the exported Prometheus rules and Grafana dashboards query contract metrics only', () => {
  const text = JSON.stringify([prometheusRuleGroups(), redDashboard(), sloDashboard(), paymentQueueDashboard()]);
  const queried = new Set([...text.matchAll(/\b(holdfast_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));
  const recorded = /^holdfast_slo_/; // the recording rules' own series (journey:holdfast_slo_*)
  const outside = [...queried].filter((name) => !CONTRACT.has(name) && !recorded.test(name));
  assert.deepEqual(outside, [], 'queried metrics that are not in the contract');
  assert.ok(queried.size >= 10, [...queried].join(', '));
});

test('no source file outside the contract spells a metric name', async () => {
  const spelled: string[] = [];
  for (const file of await sourceFiles(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, file);
    if (rel.startsWith('src/telemetry/')) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return; // prose may name a metric
      for (const name of CONTRACT) if (line.includes(name)) spelled.push(`${rel}:${i + 1}: ${name}`);
    });
  }
  assert.deepEqual(spelled, [], 'metric names spelled outside src/telemetry: use METRICS');
});
