// The telemetry contract (src/telemetry) holds in a running Holdfast: every metric it names is exported,
// every Holdfast metric exported is in it (or one of prom-client's own process metrics), and the control
// role's signal groups find the storefront, database, payments, provider and simulator in a real scrape.
// A metric renamed on one side only fails here instead of silently dropping out of root-cause analysis
// (test/unit/telemetry-names.test.ts checks the consumers' side without a shop).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import client from 'prom-client';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/test-db.ts';
import { REPO_ROOT } from '../helpers/child-processes.ts';
import { freePortPair, startRole, stopRole, type RoleProcess } from '../helpers/role-processes.ts';
import { productInStock, placeOrder, waitForSettlement } from '../helpers/shop.ts';
import { METRICS, METRIC_PREFIX } from '../../src/telemetry/index.ts';
import { parsePrometheusText } from '../../src/platform/observability/prometheus-text.ts';
import { groupSamples } from '../../src/control/signal-groups.ts';
import { DEFAULT_SLOS } from '../../src/control/index.ts';

const CONTRACT = new Set<string>(Object.values(METRICS).map((m) => m.name));

/** prom-client's own process metrics, under Holdfast's prefix (the contract names the two it reads). */
async function processMetricNames(): Promise<Set<string>> {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const names = new Set(registry.getMetricsAsArray().map((m) => m.name));
  registry.clear();
  return names;
}

/** The metric families a /metrics page declares (its # TYPE lines): registered, whether observed yet or not. */
const families = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));

let db: TestDatabase;
let shop: RoleProcess | undefined;
let metricsText = '';
before(async () => {
  // One `holdfast start` process as it runs in production (its process metrics and error policy included).
  db = await createTestDatabase();
  shop = await startRole('storefront, psp, payments', {
    DATABASE_URL: db.url, HOST: '127.0.0.1', PORT: '0', HOLDFAST_ADMIN_TOKEN: `test-admin-${randomBytes(12).toString('hex')}`,
    HOLDFAST_SEED_ON_START: 'false', HOLDFAST_PSP_PORT: String(await freePortPair()),
    HOLDFAST_DATA_DIR: path.join(REPO_ROOT, '.holdfast-test', `telemetry-${db.name}`),
  });
  // Traffic for every producer: the API (HTTP, DB), a checkout, a payment through the simulator.
  const product = await productInStock(shop.url, 2);
  const order = await placeOrder(shop.url, { productId: product.id });
  assert.equal(await waitForSettlement(shop.url, order, 15_000), 'paid');
  metricsText = await (await fetch(`${shop.url}/metrics`)).text();
});
after(async () => {
  if (shop) await stopRole(shop);
  await db?.drop();
});

test('every metric of the contract is exported, and every Holdfast metric exported is in the contract', async () => {
  const exported = families(metricsText);
  const missing = [...CONTRACT].filter((name) => !exported.has(name));
  assert.deepEqual(missing, [], 'contract metrics not exported (renamed by a producer?)');
  const processMetrics = await processMetricNames();
  const unknown = [...exported].filter((name) => name.startsWith(METRIC_PREFIX) && !CONTRACT.has(name) && !processMetrics.has(name));
  assert.deepEqual(unknown, [], 'metrics exported outside the contract (add them to src/telemetry/metric-names.ts)');
});

test("the control role's signal groups find every component in a real scrape", () => {
  const groups = groupSamples(parsePrometheusText(metricsText), DEFAULT_SLOS);
  for (const key of ['storefront', 'database', 'payments', 'provider', 'psp', 'provider-answered', 'psp-answered', 'gauge:pool-waiting', 'gauge:queue-age']) {
    assert.ok(groups.has(key), `signal group ${key} is empty: its metric is not where the control role reads it`);
  }
  assert.ok(groups.get('database')!.count > 0, 'database queries counted');
  assert.ok([...groups.keys()].some((k) => k.startsWith('cpu:')), 'process CPU read');
});
