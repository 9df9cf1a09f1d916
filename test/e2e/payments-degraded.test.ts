// Issue 3, acceptance 3 and 4: a degraded primary provider (5 s latency, 50% errors) does not slow the
// storefront and orders are paid through the secondary; traffic returns when the primary recovers; with
// every provider down for a minute no checkout is lost; exhausted jobs reach the dead-letter queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, api, type TestApp } from '../helpers/test-app.ts';
import { productInStock, placeOrder, waitForSettlement, setFault, clearFault, admin, type PlacedOrder } from '../helpers/shop.ts';
import { succeededChargesByOrder } from '../../src/psp/index.ts';
import { PAYMENT_QUEUE } from '../../src/payments/index.ts';
import { changesBetween } from '../../src/changes/index.ts';
import { parsePrometheusText } from '../../src/platform/observability/prometheus-text.ts';
import { queueModule } from '../../src/platform/queue/queue-module.ts';
import type { PgBossJobQueue } from '../../src/platform/queue/pg-boss-queue.ts';

let app: TestApp;
before(async () => {
  app = await startTestApp({
    targets: ['storefront', 'psp', 'payments'],
    config: { pspPort: 0, providerTimeoutMs: 1000, providerSlowCallMs: 500, providerBreakerHalfOpenAfterMs: 3000, paymentJobRetryDelaySeconds: 1 },
  });
});
after(async () => { await app.stop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function productPageMedianMs(slug: string, n = 40): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(`${app.url}/products/${slug}`);
    await res.text();
    assert.equal(res.status, 200);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

/** How many times the primary's circuit has opened in this process (its transitions counter). */
async function primaryBreakerOpenings(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  return parsePrometheusText(text)
    .filter((s) => s.name === 'holdfast_payment_breaker_transitions_total' && s.labels.provider === 'primary' && s.labels.state === 'open')
    .reduce((n, s) => n + s.value, 0);
}

async function winningProviders(orders: PlacedOrder[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const o of orders) {
    const items = (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${o.orderId}/payments`)).json.items as { status: string; provider: string }[];
    const won = items.find((a) => a.status === 'succeeded');
    if (won) counts.set(won.provider, (counts.get(won.provider) ?? 0) + 1);
  }
  return counts;
}

async function assertChargedOnce(orders: PlacedOrder[]) {
  const byOrder = await succeededChargesByOrder(app.db.pool);
  for (const o of orders) {
    const c = byOrder.get(o.orderId);
    assert.equal(c?.charges, 1, `order ${o.orderId}: ${c?.charges ?? 0} charges across ${c?.accountIds.join(',') ?? 'no accounts'}`);
    assert.equal(c?.amount, o.total);
  }
}

test('degraded primary: checkouts keep flowing, paid through the secondary; storefront unaffected; traffic returns after recovery', async () => {
  const product = await productInStock(app.url, 60);
  const testStarted = new Date();
  const baseline = await productPageMedianMs(product.slug);
  const openingsBefore = await primaryBreakerOpenings();

  await setFault(app.url, app.adminToken, 'psp.latency', { latencyMs: 5000, account: 'primary' });
  await setFault(app.url, app.adminToken, 'psp.errors', { rate: 0.5, account: 'primary' });
  await sleep(1000);
  const orders: PlacedOrder[] = [];
  for (let batch = 0; batch < 6; batch++) {
    orders.push(...await Promise.all(Array.from({ length: 5 }, () => placeOrder(app.url, { productId: product.id }))));
    await sleep(300);
  }
  const during = await productPageMedianMs(product.slug);
  const providers = (await admin(app.url, app.adminToken, 'GET', '/api/admin/payments/providers')).json.items;
  // An order whose first call timed out at the primary is in doubt there: only the primary's answer can
  // settle it (sending it to the secondary could charge twice). Each try at the degraded primary takes 5 s
  // and half of them fail, so one such order needs 2 tries on average and more than 10 about once in a
  // thousand; the wait allows for that tail, and names what held an order up if it still runs out.
  const statuses = await Promise.all(orders.map((o) => waitForSettlement(app.url, o, 120_000)));
  if (statuses.some((s) => s !== 'paid')) {
    for (const [i, o] of orders.entries()) {
      if (statuses[i] === 'paid') continue;
      const attempts = (await admin(app.url, app.adminToken, 'GET', `/api/admin/orders/${o.orderId}/payments`)).json.items;
      console.log(`order ${o.orderId} is ${statuses[i]}; its attempts: ${JSON.stringify(attempts)}`);
    }
  }
  assert.deepEqual([...new Set(statuses)], ['paid'], `all 30 orders paid (got ${statuses.join(',')})`);
  const winners = await winningProviders(orders);
  console.log(`product page median: ${baseline.toFixed(1)} ms before, ${during.toFixed(1)} ms with the primary degraded (ratio ${(during / baseline).toFixed(2)}); ` +
    `paid via ${JSON.stringify(Object.fromEntries(winners))}; primary breaker during fault: ${providers.find((p: { name: string }) => p.name === 'primary').breaker}`);
  assert.ok((winners.get('secondary') ?? 0) > orders.length / 2, 'most orders were paid through the secondary');
  // opened during the fault (by now it may be half-open or closed again: a probe answered)
  assert.ok(await primaryBreakerOpenings() > openingsBefore, 'the primary circuit opened');
  // not dragged down behind the payments (the original incident): within 3x of before, or under 50 ms
  // (a 1-2 ms page triples from a neighbouring test file's CPU alone)
  assert.ok(during < Math.max(3 * baseline, 50), `product pages answer about as fast as before (median ${during.toFixed(1)} ms, ratio ${(during / baseline).toFixed(2)})`);
  await assertChargedOnce(orders);

  await clearFault(app.url, app.adminToken, 'psp.latency');
  await clearFault(app.url, app.adminToken, 'psp.errors');
  const after: PlacedOrder[] = [];
  const deadline = Date.now() + 60_000;
  let lastWinner = '';
  while (Date.now() < deadline) {
    await sleep(1000);
    const o = await placeOrder(app.url, { productId: product.id });
    after.push(o);
    assert.equal(await waitForSettlement(app.url, o, 30_000), 'paid');
    lastWinner = [...(await winningProviders([o])).keys()][0]!;
    if (lastWinner === 'primary') break;
  }
  assert.equal(lastWinner, 'primary', 'new payments return to the primary once it recovers');
  const recovered = (await admin(app.url, app.adminToken, 'GET', '/api/admin/payments/providers')).json.items;
  assert.equal(recovered.find((p: { name: string }) => p.name === 'primary').breaker, 'closed');
  await assertChargedOnce(after);

  // The payments process recorded each move of its choice once (not once per payment): failovers and
  // failbacks alternate, starting with a failover to the secondary and ending back on the primary.
  const switches = await changesBetween(app.db.pool, { from: testStarted, to: new Date(), kinds: ['payments.failover', 'payments.failback'] });
  console.log(`provider switches recorded: ${switches.map((c) => c.summary).join(' | ')}`);
  assert.ok(switches.length >= 2, `a failover and a failback recorded (got ${switches.length})`);
  assert.ok(switches.length < (winners.get('secondary') ?? 0), 'fewer switches than payments through the secondary');
  switches.forEach((c, i) => assert.equal(c.kind, i % 2 === 0 ? 'payments.failover' : 'payments.failback', `switch ${i}: ${c.summary}`));
  assert.deepEqual([switches[0]!.details.from, switches[0]!.details.to], ['primary', 'secondary']);
  assert.deepEqual([switches.at(-1)!.details.from, switches.at(-1)!.details.to], ['secondary', 'primary']);
  assert.equal(switches[0]!.subject, 'payment-provider');
});

test('every provider down for a minute: checkouts are accepted, none lost, all paid once a provider returns', async () => {
  const product = await productInStock(app.url, 40, 1);
  await setFault(app.url, app.adminToken, 'psp.down', {});
  const orders: PlacedOrder[] = [];
  const outageStarted = Date.now();
  try {
    while (Date.now() - outageStarted < 60_000) {
      orders.push(await placeOrder(app.url, { productId: product.id }));
      await sleep(2500);
    }
    const pending = await Promise.all(orders.map((o) => waitForSettlement(app.url, o, 0)));
    assert.deepEqual([...new Set(pending)], ['pending_payment'], 'nothing can be paid while every provider is down');
  } finally {
    await clearFault(app.url, app.adminToken, 'psp.down');
  }
  const recoveredAt = Date.now();
  const statuses = await Promise.all(orders.map((o) => waitForSettlement(app.url, o, 60_000)));
  console.log(`${orders.length} orders accepted during a ${((recoveredAt - outageStarted) / 1000).toFixed(0)} s outage; all settled ${((Date.now() - recoveredAt) / 1000).toFixed(1)} s after recovery: ${JSON.stringify(statuses.reduce<Record<string, number>>((m, s) => ({ ...m, [s]: (m[s] ?? 0) + 1 }), {}))}`);
  assert.deepEqual([...new Set(statuses)], ['paid']);
  await assertChargedOnce(orders);
});

test('a job that exhausts its retries lands in the dead-letter queue, visible to admins, and can be retried', async () => {
  const strict = await startTestApp({
    targets: ['storefront', 'psp', 'payments'],
    config: { pspPort: 0, paymentJobRetryLimit: 1, paymentJobRetryDelaySeconds: 1, providerTimeoutMs: 500 },
  });
  try {
    const product = await productInStock(strict.url, 5);
    await setFault(strict.url, strict.adminToken, 'psp.down', {});
    const order = await placeOrder(strict.url, { productId: product.id });
    let dead: { id: string; orderId: string }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      dead = (await admin(strict.url, strict.adminToken, 'GET', '/api/admin/payments/dead-letters')).json.items;
      if (dead.some((d) => d.orderId === order.orderId)) break;
      await sleep(500);
    }
    const letter = dead.find((d) => d.orderId === order.orderId) as { id: string; orderId: string; lastError: unknown } | undefined;
    assert.ok(letter, 'the exhausted job is dead-lettered, not dropped');
    assert.ok(letter.lastError, 'the dead letter shows why its last run failed');
    assert.equal(await waitForSettlement(strict.url, order, 0), 'pending_payment', 'the shopper sees the honest state');
    await clearFault(strict.url, strict.adminToken, 'psp.down');
    const retried = await admin(strict.url, strict.adminToken, 'POST', `/api/admin/payments/dead-letters/${letter.id}/retry`, {});
    assert.equal(retried.status, 202, retried.text);
    assert.equal(await waitForSettlement(strict.url, order, 15_000), 'paid');
    // Put back the one way checkout enqueues: keyed by the order id like the first job.
    const jobs = await (strict.service(queueModule) as PgBossJobQueue).boss.findJobs(PAYMENT_QUEUE, { data: { orderId: order.orderId } });
    assert.deepEqual(jobs.map((j) => j.singletonKey), [order.orderId, order.orderId]);
    const remaining = (await admin(strict.url, strict.adminToken, 'GET', '/api/admin/payments/dead-letters')).json.items;
    assert.ok(!remaining.some((d: { orderId: string }) => d.orderId === order.orderId));
    const missing = await api(strict.url, 'POST', '/api/admin/payments/dead-letters/00000000-0000-4000-8000-000000000000/retry', {}, { authorization: `Bearer ${strict.adminToken}` });
    assert.equal(missing.status, 404);
  } finally {
    await strict.stop();
  }
});
