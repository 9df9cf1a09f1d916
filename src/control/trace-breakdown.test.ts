// Spans in, self time per component out: an OTLP/HTTP JSON export is read into the span store, each
// span's own time (less its children's) is charged to the right component, and a slow provider is told
// apart from a slow wire by comparing traces before and since a fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStore, SPAN_KIND, type OtlpTraceRequest } from './span-store.ts';
import { breakdown, compareBreakdowns } from './trace-breakdown.ts';

const T0 = 1_700_000_000;
const nanos = (seconds: number) => `${BigInt(Math.round(seconds * 1e6)) * 1000n}`;

/** One checkout trace: the request (2 queries), then the payment job calling the provider over the wire. */
function checkoutTrace(id: number, at: number, opts: { providerSeconds: number; wireSeconds: number }): OtlpTraceRequest {
  const traceId = id.toString(16).padStart(32, '0');
  const sid = (n: number) => `${id.toString(16).padStart(8, '0')}${n.toString(16).padStart(8, '0')}`;
  const span = (n: number, parent: number | undefined, name: string, kind: number, start: number, end: number, db = false) => ({
    traceId, spanId: sid(n), ...(parent ? { parentSpanId: sid(parent) } : {}), name, kind,
    startTimeUnixNano: nanos(at + start), endTimeUnixNano: nanos(at + end),
    attributes: db ? [{ key: 'db.system.name', value: { stringValue: 'postgresql' } }] : [],
  });
  const p = opts.providerSeconds;
  const w = opts.wireSeconds;
  const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: `holdfast-${service}` } }] });
  return {
    resourceSpans: [
      { resource: resource('storefront'), scopeSpans: [{ spans: [
        span(1, undefined, 'POST /api/checkout', SPAN_KIND.SERVER, 0, 0.010),
        span(2, 1, 'cart.lock_with_lines', SPAN_KIND.CLIENT, 0.001, 0.003, true),
        span(3, 1, 'checkout.place_order', SPAN_KIND.CLIENT, 0.004, 0.008, true),
      ] }] },
      { resource: resource('payments'), scopeSpans: [{ spans: [
        span(4, 1, 'payment-charge process', SPAN_KIND.CONSUMER, 0.5, 0.5 + 0.004 + p + 2 * w),
        span(5, 4, 'POST /v1/payment_intents', SPAN_KIND.CLIENT, 0.502, 0.502 + p + 2 * w),
      ] }] },
      { resource: resource('psp'), scopeSpans: [{ spans: [
        span(6, 5, 'POST /v1/payment_intents', SPAN_KIND.SERVER, 0.502 + w, 0.502 + w + p),
      ] }] },
    ],
  };
}

function store(traces: OtlpTraceRequest[]): SpanStore {
  const s = new SpanStore(10_000);
  for (const t of traces) s.ingest(t);
  return s;
}

test('self time per trace goes to the storefront, the database, the wire and the provider', () => {
  const s = store([checkoutTrace(1, T0, { providerSeconds: 0.020, wireSeconds: 0.001 })]);
  const b = breakdown(s.between(T0, T0 + 10));
  const of = (c: string) => b.components.find((x) => x.component === c)?.meanSelfSeconds ?? Number.NaN;
  assert.equal(b.traces, 1);
  assert.ok(Math.abs(of('database') - 0.006) < 1e-6, `database ${of('database')}`);
  assert.ok(Math.abs(of('storefront') - 0.004) < 1e-6, `storefront ${of('storefront')}`);
  assert.ok(Math.abs(of('payment-provider') - 0.020) < 1e-6, `provider ${of('payment-provider')}`);
  assert.ok(Math.abs(of('network') - 0.002) < 1e-6, `network ${of('network')}`);
  assert.ok(Math.abs(of('payments') - 0.004) < 1e-6, `payments ${of('payments')}`);
});

test('a slow provider and a slow wire are told apart by whose self time grew', () => {
  const before = Array.from({ length: 20 }, (_, i) => checkoutTrace(i + 1, T0 + i, { providerSeconds: 0.015, wireSeconds: 0.001 }));
  const slowProvider = Array.from({ length: 5 }, (_, i) => checkoutTrace(100 + i, T0 + 30 + i, { providerSeconds: 2, wireSeconds: 0.001 }));
  const slowWire = Array.from({ length: 5 }, (_, i) => checkoutTrace(200 + i, T0 + 30 + i, { providerSeconds: 0.015, wireSeconds: 0.3 }));
  const base = breakdown(store(before).between(T0, T0 + 30));
  const provider = compareBreakdowns(base, breakdown(store(slowProvider).between(T0 + 30, T0 + 60)))!;
  assert.equal(provider.components[0]!.component, 'payment-provider', provider.text);
  assert.match(provider.text, /^traces \(20 before, 5 since\): self time per trace payment-provider 2\.0 s \(was 15 ms\)/);
  const wire = compareBreakdowns(base, breakdown(store(slowWire).between(T0 + 30, T0 + 60)))!;
  assert.equal(wire.components[0]!.component, 'network', wire.text);
  assert.equal(compareBreakdowns(base, breakdown([])), undefined, 'no traces since the fault: no trace evidence');
  assert.doesNotMatch(provider.text, /none grew/);
  // Seconds into a slow provider only the fast traces have ended: the evidence says nothing grew yet.
  const fast = Array.from({ length: 5 }, (_, i) => checkoutTrace(300 + i, T0 + 30 + i, { providerSeconds: 0.012, wireSeconds: 0.001 }));
  const fastOnly = compareBreakdowns(base, breakdown(store(fast).between(T0 + 30, T0 + 60)))!;
  assert.match(fastOnly.text, /; none grew yet \(a trace counts once it has ended\)$/, fastOnly.text);
});

test('the span store keeps the newest spans within its capacity and skips spans without valid times', () => {
  const s = new SpanStore(4);
  s.ingest(checkoutTrace(1, T0, { providerSeconds: 0.01, wireSeconds: 0.001 }));
  assert.equal(s.received, 6);
  assert.equal(s.between(0, Infinity).length, 4, 'bounded');
  assert.deepEqual(s.between(0, Infinity).map((x) => x.name).slice(-1), ['POST /v1/payment_intents']);
  s.ingest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'a', spanId: 'b', startTimeUnixNano: '20', endTimeUnixNano: '10' } as never] }] }] });
  assert.equal(s.rejected, 1);
  // nanoseconds as a string keep their microseconds
  assert.equal(s.between(0, Infinity)[0]!.start.toFixed(6), (T0 + 0.004).toFixed(6), 'the oldest kept: the third span');
});
