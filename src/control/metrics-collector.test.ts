// One scrape address answered by several processes in turn (storefront replicas sharing a port under
// `holdfast start --autoscale`): each process's counters are followed on their own, so the control role
// neither reads a switch between replicas as a counter reset nor adds a replica's whole history to a tick.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsCollector } from './metrics-collector.ts';
import { controlSettings } from './control-config.ts';
import { METRICS } from '../telemetry/index.ts';
import { PROCESS_INSTANCE_HEADER, PROCESS_STARTED_AT_HEADER } from '../platform/observability/metrics.ts';

/** A storefront process's /metrics: its requests so far, all fast, `errors` of them 5xx. */
function metricsText(ok: number, errors: number): string {
  const name = METRICS.httpRequestDuration.name;
  const series = (status: string, n: number) => [
    `${name}_bucket{route="/api/products",method="GET",status_class="${status}",le="0.1"} ${n}`,
    `${name}_bucket{route="/api/products",method="GET",status_class="${status}",le="+Inf"} ${n}`,
    `${name}_sum{route="/api/products",method="GET",status_class="${status}"} ${n * 0.01}`,
    `${name}_count{route="/api/products",method="GET",status_class="${status}"} ${n}`,
  ];
  return [`# TYPE ${name} histogram`, ...series('2xx', ok), ...series('5xx', errors), ''].join('\n');
}

test('replicas answering one address in turn: rates and error ratios are those of the time scraped, not the replicas\' histories', async () => {
  const startedAt = Date.now() - 3_600_000;
  // Replica a has served 100,000 requests, 20,000 of them failed in an outage an hour ago; replica b
  // 50,000, none failed. Now each serves 10 requests a second, all fine.
  const replicas = [
    { id: 'a', ok: 80_000, errors: 20_000 },
    { id: 'b', ok: 50_000, errors: 0 },
  ];
  let turn = 0;
  const server = http.createServer((_req, res) => {
    const r = replicas[turn++ % 2]!;
    res.writeHead(200, { 'content-type': 'text/plain', [PROCESS_INSTANCE_HEADER]: r.id, [PROCESS_STARTED_AT_HEADER]: String(startedAt) });
    res.end(metricsText(r.ok, r.errors));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => server.close());
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  const collector = new MetricsCollector(controlSettings({ controlScrapeTargets: [url] }, { scrapeSelf: false, slos: [] }));

  let now = Date.now();
  let readings = new Map<string, number>();
  for (let second = 0; second < 12; second++) {
    for (const r of replicas) r.ok += 10;
    readings = await collector.tick(now);
    now += 1000;
  }
  const rate = readings.get('storefront|rate');
  const errorRatio = readings.get('storefront|err');
  assert.ok(rate !== undefined && rate > 5 && rate < 40, `storefront rate ${rate}/s: the replicas serve 20/s together`);
  assert.equal(errorRatio, 0, 'no request failed while the control role watched');
});
