// Issue 5, acceptance 4 (small scale): the capacity finder steps the shopper mix up against a real
// Holdfast (in-process, real PostgreSQL), reads the shop's own /metrics during each step, and reports
// the highest rate within the SLO and the part of the system that saturated first. The figures depend
// on the machine, so the test checks the shape of the answer, not its values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';
import { initProcessMetrics } from '../../src/platform/observability/metrics.ts';
import { findCapacity, formatCapacityReport } from '../../src/loadtest/index.ts';

let app: TestApp;

before(async () => {
  // Process metrics (CPU, event-loop lag) as `holdfast start` has them; a small pool, as a shop might size it.
  initProcessMetrics('storefront');
  app = await startTestApp({ config: { dbPoolMax: 3 } });
});

after(async () => {
  await app?.stop();
});

test('the capacity finder reports a sustainable rate and names the first bottleneck', { timeout: 120_000 }, async () => {
  const lines: string[] = [];
  const report = await findCapacity({
    source: { kind: 'builtin', name: 'mixed' }, targetUrl: app.url,
    slo: 'p(99)<150ms,error_rate<0.01', startRate: 10, factor: 2, maxSteps: 6, stepDurationSec: 2.5, cooldownSec: 0.3, warmupSec: 2,
    log: (l) => lines.push(l),
  });
  const text = formatCapacityReport(report);
  process.stdout.write(`${text}\n`);

  assert.equal(report.metricsAvailable, true, 'the shop\'s /metrics was read');
  assert.ok(report.steps.length >= 2, 'it stepped the rate up');
  for (let i = 1; i < report.steps.length; i++) {
    const prev = report.steps[i - 1]!;
    const cur = report.steps[i]!;
    // Geometric while passing; between the last pass and the first failure once broken.
    if (prev.passed && report.steps.slice(0, i).every((s) => s.passed)) assert.ok(cur.rate > prev.rate, `step ${cur.index} went up`);
  }
  for (const s of report.steps) {
    assert.ok(s.requestsPerSec > 0 && Number.isFinite(s.p99Ms), `step ${s.index} measured the shop`);
    assert.equal(s.passed, s.failures.length === 0);
  }
  assert.ok(report.sustainableRate !== null && report.sustainableRate > 0, 'a sustainable rate was found');
  const passed = report.steps.filter((s) => s.passed).map((s) => s.rate);
  assert.equal(report.sustainableRate, Math.max(...passed), 'the highest rate that met the SLO');
  if (report.breakingRate !== null) assert.ok(report.breakingRate > report.sustainableRate!, 'it broke above the sustainable rate');

  assert.ok(report.bottleneck, 'a bottleneck is named');
  assert.match(report.bottleneck!.component, /^(postgres pool \w+|payments|storefront|target)$/, `a component: ${report.bottleneck!.component}`);
  assert.ok(report.bottleneck!.message.startsWith(`${report.bottleneck!.component}: `), report.bottleneck!.message);
  assert.match(text, /highest sustainable rate: [\d.,]+ iterations\/s/);
  assert.match(text, report.breakingRate !== null ? /first bottleneck: / : /no limit reached; closest to one: /);
  assert.ok(lines.some((l) => l.startsWith('step 1:')), 'progress per step');
});
