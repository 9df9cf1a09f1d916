// Issue 4, acceptance 3: a real Prometheus (Debian's binary) scrapes a running Holdfast every second with
// the exported rules (windows scaled down 60x: 1 h becomes 1 min), a load loop places orders, the provider
// starts failing every request, and the exported payment SLO alert fires in Prometheus' /api/v1/alerts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { startTestApp, api } from '../helpers/test-app.ts';
import { placeOrder, setFault, clearFault } from '../helpers/shop.ts';
import { writePrometheusExport, prometheusConfig, alertName, RULES_FILE } from '../../src/exports/index.ts';
import { pspModule } from '../../src/psp/index.ts';

const PROMETHEUS = '/usr/bin/prometheus';
const skip = existsSync(PROMETHEUS) ? false : `${PROMETHEUS} is missing (Debian package prometheus; .ci/run installs it)`;
if (skip) console.log(`skipping the real-Prometheus test: ${skip}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface PromAlert { labels: Record<string, string>; state: 'pending' | 'firing'; activeAt: string }

async function alerts(promUrl: string): Promise<PromAlert[]> {
  const res = await fetch(`${promUrl}/api/v1/alerts`);
  const body = await res.json() as { data: { alerts: PromAlert[] } };
  return body.data.alerts;
}

test('a real Prometheus with the exported rules fires the payment SLO alert when the provider fails', { skip, timeout: 180_000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-prometheus-'));
  const app = await startTestApp({
    targets: ['storefront', 'psp', 'payments'],
    config: { pspPort: 0, providerTimeoutMs: 500, paymentJobRetryDelaySeconds: 1 },
  });
  let prom: ChildProcess | undefined;
  let loadRunning = true;
  const load: Promise<void>[] = [];
  try {
    const hostPort = (url: string) => new URL(url).host;
    const targets = [hostPort(app.url), ...Object.values(app.service(pspModule).urls()).slice(0, 1).map(hostPort)];
    await writePrometheusExport(dir, { windowScale: 1 / 60, evaluationInterval: '1s', minEvents: 3 });
    await writeFile(path.join(dir, 'prometheus.yml'), YAML.stringify(prometheusConfig({
      targets, scrapeInterval: '1s', evaluationInterval: '1s', ruleFiles: [path.join(dir, RULES_FILE)],
    })));
    const port = await freePort();
    const promUrl = `http://127.0.0.1:${port}`;
    let promLog = '';
    prom = spawn(PROMETHEUS, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.stdout!.on('data', (c: Buffer) => { promLog += c; });
    prom.stderr!.on('data', (c: Buffer) => { promLog += c; });
    for (let i = 0; ; i++) {
      const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      assert.ok(i < 100 && prom.exitCode === null, `Prometheus did not become ready:\n${promLog.slice(-2000)}`);
      await sleep(200);
    }

    // Steady load: a few shoppers checking out in a loop, spread over many products.
    const list = await api(app.url, 'GET', '/api/products?limit=100');
    const products = (list.json.items as { id: string }[]).map((p) => p.id);
    let placed = 0;
    for (let w = 0; w < 3; w++) {
      load.push((async () => {
        for (let i = w; loadRunning; i += 3) {
          await placeOrder(app.url, { productId: products[i % products.length]! }).then(() => { placed++; }, () => {});
          await sleep(150);
        }
      })());
    }

    // Healthy first: the scrape works and no SLO alert is firing.
    const promTargets = async () => ((await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { health: string }[] } }).data.activeTargets;
    for (let i = 0; ; i++) {
      const t = await promTargets();
      if (t.length === targets.length && t.every((x) => x.health === 'up')) break;
      assert.ok(i < 60, `targets not up: ${JSON.stringify(t)}`);
      await sleep(500);
    }
    await sleep(8000);
    const before = (await alerts(promUrl)).filter((a) => a.state === 'firing');
    assert.deepEqual(before.map((a) => a.labels.alertname), [], 'no alert while healthy');

    await setFault(app.url, app.adminToken, 'psp.errors', { rate: 1 });
    const injected = Date.now();
    const wanted = alertName('payment', 'availability');
    let firing: PromAlert | undefined;
    while (!firing) {
      firing = (await alerts(promUrl)).find((a) => a.labels.alertname === wanted && a.state === 'firing');
      if (firing) break;
      assert.ok(Date.now() - injected < 60_000, `${wanted} did not fire within 60 s (orders placed: ${placed}); alerts: ${JSON.stringify(await alerts(promUrl))}`);
      await sleep(500);
    }
    const seconds = (Date.now() - injected) / 1000;
    console.log(`${wanted} firing in Prometheus ${seconds.toFixed(1)} s after psp.errors was injected (labels ${JSON.stringify(firing.labels)}; ${placed} orders placed)`);
    assert.equal(firing.labels.severity, 'page');
    assert.equal(firing.labels.journey, 'payment');
    await clearFault(app.url, app.adminToken, 'psp.errors');
  } finally {
    loadRunning = false;
    await Promise.all(load);
    if (prom && prom.exitCode === null) {
      const exited = new Promise((r) => prom!.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (prom.exitCode === null) prom.kill('SIGKILL');
    }
    await app.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
