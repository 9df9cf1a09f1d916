// Issue 4 (traces): one trace follows a checkout from the storefront request through the payment queue
// into the payment worker, the provider call and the simulator's server span, with a span per named DB
// query; with tracing off nothing is recorded. Spans go to the SDK's in-memory exporter, except in the
// test of the OTLP/HTTP export to the control role, which reads the exporter's JSON as it is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { SpanKind } from '@opentelemetry/api';
import { startTestApp, api } from '../helpers/test-app.ts';
import { startTracing, traceQuery, withSpan } from '../../src/platform/observability/tracing.ts';
import { SPAN_KIND } from '../../src/control/span-store.ts';
import { controlModule } from '../../src/control/index.ts';
import { withOptions } from '../../src/platform/modules/module-manager.ts';
import { telemetryModule } from '../../src/platform/observability/telemetry-module.ts';
import { productInStock, placeOrder, waitForSettlement, setFault } from '../helpers/shop.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function spansUntil(exporter: InMemorySpanExporter, done: (spans: ReadableSpan[]) => boolean, timeoutMs = 10_000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = exporter.getFinishedSpans();
    if (done(spans) || Date.now() > deadline) return spans;
    await sleep(200);
  }
}

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

test('one trace id spans the checkout request, the payment job, the provider call and the simulator', async () => {
  const exporter = new InMemorySpanExporter();
  const app = await startTestApp({
    targets: ['storefront', 'psp', 'payments'],
    config: { pspPort: 0, tracingEnabled: true, tracingSampleRatio: 1 },
    options: [withOptions(telemetryModule, { spanExporter: exporter })],
  });
  try {
    const product = await productInStock(app.url, 2);
    // The payment worker's queries are slowed, so its job span ends well after the simulator's server
    // span (as on a busy machine): the spans of one trace reach the exporter in different batches, and
    // the test must wait for every span it checks, not the first of them.
    await setFault(app.url, app.adminToken, 'db.slow', { context: 'payments', delayMs: 300 });
    const order = await placeOrder(app.url, { productId: product.id });
    assert.equal(await waitForSettlement(app.url, order, 15_000), 'paid');

    const isCheckout = (s: ReadableSpan) => s.kind === SpanKind.SERVER && s.name === 'POST /api/checkout';
    const isJob = (s: ReadableSpan) => s.kind === SpanKind.CONSUMER && s.name === 'payment-charge process';
    const isProviderCall = (s: ReadableSpan) => s.kind === SpanKind.CLIENT && s.name === 'POST /v1/payment_intents';
    const isSimulator = (s: ReadableSpan) => s.kind === SpanKind.SERVER && s.name === 'POST /v1/payment_intents';
    const spans = await spansUntil(exporter, (all) => {
      const traceId = all.find(isCheckout)?.spanContext().traceId;
      const inTrace = all.filter((s) => s.spanContext().traceId === traceId);
      return traceId !== undefined && [isJob, isProviderCall, isSimulator].every((is) => inTrace.some(is));
    });
    const checkout = spans.find(isCheckout);
    assert.ok(checkout, `a server span for the checkout request; got ${[...new Set(spans.map((s) => s.name))].join(', ')}`);
    const traceId = checkout.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);

    const job = inTrace.find(isJob);
    assert.ok(job, 'the payment job continues the checkout trace');
    assert.equal(job.attributes['holdfast.order_id'], order.orderId);
    const client = inTrace.find(isProviderCall);
    assert.ok(client, 'a client span for the provider call');
    const server = inTrace.find(isSimulator);
    assert.ok(server, 'the simulator continues the trace with a server span');
    assert.equal(parentOf(server), client.spanContext().spanId, 'simulator span is the child of the client span');
    assert.equal(server.resource.attributes['service.name'], client.resource.attributes['service.name']);

    // Span ancestry: the provider client span sits under the job span (through nothing else but
    // spans of this trace), the job span under the checkout request.
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    const ancestors = (s: ReadableSpan) => {
      const out: string[] = [];
      for (let p = parentOf(s); p; p = byId.get(p) ? parentOf(byId.get(p)!) : undefined) out.push(p);
      return out;
    };
    assert.ok(ancestors(client).includes(job.spanContext().spanId));
    assert.ok(ancestors(job).includes(checkout.spanContext().spanId), 'job span descends from the checkout span');

    const dbSpans = inTrace.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    const dbNames = new Set(dbSpans.map((s) => s.name));
    assert.ok(dbSpans.some((s) => ancestors(s).includes(checkout.spanContext().spanId)), `DB spans under the checkout request: ${[...dbNames].join(', ')}`);
    assert.ok(dbSpans.some((s) => ancestors(s).includes(job.spanContext().spanId)), `DB spans under the payment job: ${[...dbNames].join(', ')}`);
    for (const s of dbSpans) assert.match(s.name, /^[a-zA-Z][\w.-]*$/, 'a DB span is named after its named query, not its SQL');
    console.log(`trace ${traceId}: ${inTrace.length} spans; DB queries: ${[...dbNames].join(', ')}`);

    // The catalog request is its own trace, with its route as the span name.
    await api(app.url, 'GET', `/api/products/${product.slug}`);
    const more = await spansUntil(exporter, (all) => all.some((s) => s.name === 'GET /api/products/:slug'));
    assert.ok(more.some((s) => s.name === 'GET /api/products/:slug' && s.attributes['http.route'] === '/api/products/:slug'));
  } finally {
    await app.stop();
  }
});

test('spans leave over OTLP/HTTP and the control role reads them: service, kind, parent, database and error', async () => {
  const control = await startTestApp({ targets: ['control'] });
  const tracing = startTracing({ serviceName: 'payments', endpoint: `${control.url}/v1/traces`, sampleRatio: 1, maxQueueSize: 64, exportIntervalMs: 100 });
  assert.ok(tracing);
  try {
    const since = Date.now() / 1000 - 1;
    await withSpan('payment-charge process', SpanKind.CONSUMER, {}, async () => {
      await traceQuery('payments.acquire_lease', async () => undefined);
      await withSpan('POST /v1/payment_intents', SpanKind.CLIENT, {}, async () => { throw new Error('HTTP 503'); }).catch(() => undefined);
    });
    await tracing.forceFlush();
    const store = control.service(controlModule).spans;
    assert.equal(store.rejected, 0);
    const spans = store.between(since, Date.now() / 1000 + 1);
    const byName = new Map(spans.map((s) => [s.name, s]));
    const job = byName.get('payment-charge process');
    const query = byName.get('payments.acquire_lease');
    const call = byName.get('POST /v1/payment_intents');
    assert.ok(job && query && call, `three spans stored; got ${spans.map((s) => s.name).join(', ')}`);
    assert.deepEqual(spans.map((s) => s.service), ['payments', 'payments', 'payments']);
    assert.deepEqual([job.kind, query.kind, call.kind], [SPAN_KIND.CONSUMER, SPAN_KIND.CLIENT, SPAN_KIND.CLIENT]);
    assert.equal(job.parentSpanId, undefined);
    assert.deepEqual([query.parentSpanId, call.parentSpanId], [job.spanId, job.spanId]);
    assert.ok(query.traceId === job.traceId && call.traceId === job.traceId);
    assert.deepEqual([job.db, query.db, call.db], [false, true, false]);
    assert.deepEqual([job.error, query.error, call.error], [false, false, true]);
    // nested in time, to the millisecond: span times go through a float of milliseconds since the process's
    // time origin (OpenTelemetry's hrTime), so two that start within a microsecond can come out in either order
    const ms = 1e-3;
    assert.ok(job.start - ms <= query.start && query.end <= job.end + ms && job.end - job.start < 60, JSON.stringify({ job: [job.start, job.end], query: [query.start, query.end] }));
  } finally {
    await tracing.shutdown();
    await control.stop();
  }
});

test('with tracing off no span is recorded', async () => {
  const exporter = new InMemorySpanExporter();
  const app = await startTestApp({
    targets: ['storefront', 'psp', 'payments'],
    config: { pspPort: 0, tracingEnabled: false },
    options: [withOptions(telemetryModule, { spanExporter: exporter })],
  });
  try {
    const product = await productInStock(app.url, 2);
    const order = await placeOrder(app.url, { productId: product.id });
    assert.equal(await waitForSettlement(app.url, order, 15_000), 'paid');
    await sleep(1500);
    assert.equal(exporter.getFinishedSpans().length, 0);
  } finally {
    await app.stop();
  }
});

test('new traces follow the sample ratio, and at most tracingMaxTracesPerSecond of them start each second', async () => {
  const serverSpans = (exporter: InMemorySpanExporter) => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER).length;
  const requests = async (url: string, n: number) => {
    for (let i = 0; i < n; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, n - i) }, () => fetch(`${url}/api/products?limit=1`).then((r) => r.arrayBuffer())));
    }
  };

  // The ratio: half the requests, not a quarter (the decision is made once per request, not twice).
  const halfExporter = new InMemorySpanExporter();
  const half = await startTestApp({ targets: ['storefront'], config: { tracingEnabled: true, tracingSampleRatio: 0.5, tracingMaxTracesPerSecond: 0 }, options: [withOptions(telemetryModule, { spanExporter: halfExporter })] });
  try {
    await requests(half.url, 400);
    await sleep(1500);
    const kept = serverSpans(halfExporter);
    assert.ok(kept >= 150 && kept <= 250, `${kept} of 400 requests traced at ratio 0.5`);
  } finally {
    await half.stop();
  }

  // The budget: every request sampled, but no more than 20 new traces a second.
  const cappedExporter = new InMemorySpanExporter();
  const capped = await startTestApp({ targets: ['storefront'], config: { tracingEnabled: true, tracingSampleRatio: 1, tracingMaxTracesPerSecond: 20 }, options: [withOptions(telemetryModule, { spanExporter: cappedExporter })] });
  try {
    const started = performance.now();
    await requests(capped.url, 400);
    const seconds = (performance.now() - started) / 1000;
    await sleep(1500);
    const kept = serverSpans(cappedExporter);
    assert.ok(kept >= 20, `${kept} traced: the first second's budget is used`);
    assert.ok(kept <= 20 + Math.ceil(20 * seconds) + 1, `${kept} traces in ${seconds.toFixed(2)} s with a budget of 20 a second`);
  } finally {
    await capped.stop();
  }
});
