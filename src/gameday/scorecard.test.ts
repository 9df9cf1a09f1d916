// The scorecard from a run's record: times from the first fault, the first correct root cause (component
// and network verdict), lost orders, and a figure not measured is null with its reason and fails its
// threshold. Also the report renders it, seed figures beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunResult } from '../loadtest/index.ts';
import { builtinExperiment } from './builtin-experiments.ts';
import { renderGamedayHtml, formatScorecard } from './gameday-report.ts';
import { buildScorecard, type RunRecord } from './scorecard.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const FAULT = T0 + 60_000;

function load(affected: number, started: number): RunResult {
  const latency = (p50: number, p99: number) => ({ count: 10, minMs: 1, meanMs: p50, p50Ms: p50, p90Ms: p99, p95Ms: p99, p99Ms: p99, p999Ms: p99, maxMs: p99 });
  return {
    totals: { iterations: { scheduled: started, started, completed: started - affected, failed: affected, dropped: 0, interrupted: 0, skipped: 0, affected, affectedByErrors: affected } },
    waitingRoom: { shoppersLetIn: 10, stillQueuedAtEnd: 0, polls: 30, queued: latency(3000, 8000) },
    steps: [
      { key: 'checkout/place-order', name: 'place-order', statuses: { 202: 40, 409: 2 }, errors: { status: 2, timeout: 0, connection: 0 }, interrupted: 0, latency: latency(80, 400) },
      { key: 'checkout/order-status', name: 'order-status', statuses: { 200: 40 }, errors: { status: 0, timeout: 0, connection: 0 }, interrupted: 0, latency: latency(150, 4200) },
    ],
    series: [{ t: 0, width: 1, responses: 10, errors: { status: 0, timeout: 0, connection: 0 }, planned: 5, p99: 40 }],
  } as unknown as RunResult;
}

function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    experiment: builtinExperiment('holiday-surge')!, target: 'http://127.0.0.1:4000', ownDeployment: true,
    startedAt: T0 - 5000, loadStartMs: T0, loadEndMs: T0 + 360_000, faultStartMs: FAULT, faultEndMs: FAULT + 180_000,
    events: [
      { at: FAULT, kind: 'fault.set', label: 'fault psp.latency set' },
      { at: FAULT - 30_000, kind: 'alert', label: 'an earlier alert (before the fault)' },
      { at: FAULT + 6_000, kind: 'alert', label: 'alert SLOBurnRate:payment:latency (payments)' },
      { at: FAULT + 7_000, kind: 'finding', label: 'root cause payment-provider; network: not measured', component: 'payment-provider', networkInvolved: null },
      { at: FAULT + 12_000, kind: 'finding', label: 'root cause payment-provider; network: not involved', component: 'payment-provider', networkInvolved: false },
      { at: FAULT + 20_000, kind: 'scale-out', label: 'scale-out: payments 1 → 3' },
      { at: FAULT + 180_000, kind: 'fault.cleared', label: 'fault psp.latency cleared' },
    ],
    load: load(1, 400),
    orders: { byStatus: { paid: 36, payment_failed: 4 } },
    ledger: { doubleCharges: 0, chargedOrders: 36, doubleChargedOrders: [] },
    recoveredAtMs: FAULT + 200_000, backlogDrainedAtMs: FAULT + 195_000, notRecovered: [],
    probesBefore: [], probesAfter: [], aborted: null, machine: { cpus: 2, loadAverageAtStart: 0.5, loadAverageAtEnd: 1.5 },
    ...over,
  };
}

test('times run from the first fault; the root cause is the first finding with the component and the network verdict right', () => {
  const card = buildScorecard(record());
  assert.equal(card.timeToDetectSeconds, 6, 'the alert before the fault does not count');
  assert.equal(card.timeToRootCauseSeconds, 12, 'the finding with the network not measured is not the correct one');
  assert.deepEqual(card.rootCause, { component: 'payment-provider', networkInvolved: false, correct: true, summary: 'root cause payment-provider; network: not involved' });
  assert.equal(card.timeToMitigationSeconds, 20);
  assert.equal(card.timeToRecoverySeconds, 200);
  assert.equal(card.shoppersAffectedRatio, 0.0025);
  assert.equal(card.shoppersQueuedRatio, 0.025);
  assert.equal(card.queueWaitP50Seconds, 3);
  assert.deepEqual(card.orders, { accepted: 40, paid: 36, failed: 4, canceled: 0, pending: 0, lost: 0, doubleCharges: 0, timeToPaidP50Seconds: 0.15, timeToPaidP99Seconds: 4.2 });
  assert.equal(card.seed.timeToDetectSeconds, 1800);
});

test('an accepted order the shop does not know, or one still pending after the recovery, is lost', () => {
  const card = buildScorecard(record({ orders: { byStatus: { paid: 34, payment_failed: 4, pending_payment: 1 } } }));
  assert.equal(card.orders.lost, 2);
  const threshold = card.thresholds.find((t) => t.threshold === 'orders.lost == 0')!;
  assert.equal(threshold.pass, false);
  assert.equal(card.passed, false);
});

test('orders still pending when nothing recovered are counted pending, not lost, and the scorecard says why', () => {
  const card = buildScorecard(record({
    orders: { byStatus: { paid: 10, payment_failed: 2, pending_payment: 28 } }, recoveredAtMs: null, backlogDrainedAtMs: null,
    notRecovered: ['28 order(s) still waiting for payment 120 s after the load'],
  }));
  assert.equal(card.orders.lost, 0);
  assert.equal(card.orders.pending, 28);
  assert.equal(card.timeToRecoverySeconds, null);
  assert.match(card.missing.timeToRecoverySeconds!, /not recovered: 28 order\(s\) still waiting/);
});

test('a figure not measured is null with a reason, and its threshold fails', () => {
  const card = buildScorecard(record({ events: [{ at: FAULT, kind: 'fault.set', label: 'fault psp.latency set' }], ledger: { error: 'connection refused' } }));
  assert.equal(card.timeToDetectSeconds, null);
  assert.equal(card.missing.timeToDetectSeconds, 'no alert fired and no incident opened after the fault started');
  assert.equal(card.timeToRootCauseSeconds, null);
  assert.equal(card.missing.timeToRootCauseSeconds, 'no root-cause finding after the fault started');
  assert.equal(card.orders.doubleCharges, null);
  assert.match(card.missing['orders.doubleCharges']!, /connection refused/);
  const detect = card.thresholds.find((t) => t.threshold.startsWith('timeToDetectSeconds'))!;
  assert.deepEqual([detect.pass, detect.observed], [false, null]);
  assert.match(detect.why!, /not measured/);
  assert.equal(card.passed, false);
});

test('the report shows the run beside the seed incident, with the timeline chart and its markers', () => {
  const card = buildScorecard(record());
  const html = renderGamedayHtml(card);
  assert.match(html, /<svg[^>]+id="gameday-traffic"/);
  assert.match(html, /class="band"><title>fault psp\.latency<\/title>/);
  assert.match(html, /stroke="#7c3aed"[^>]*><title>RCA<\/title>/);
  assert.match(html, /Time to detect<\/td><td>6 s<\/td><td>30 min<\/td>/);
  assert.ok(!/<script/i.test(html), 'no script');
  assert.match(formatScorecard(card), /Time to the correct root cause\s+12 s\s+2 h/);
});

test('a payment-provider failover is an automatic mitigation: counted when first, named, and marked on the timeline; a failback is not', () => {
  const failover = { at: FAULT + 4_000, kind: 'failover' as const, label: 'failover (payments): primary → secondary, primary circuit open' };
  const events = [...record().events, failover, { at: FAULT + 190_000, kind: 'failback' as const, label: 'failback (payments): secondary → primary, primary healthy again' }];
  const card = buildScorecard(record({ events }));
  assert.equal(card.timeToMitigationSeconds, 4, 'before the scale-out at 20 s');
  assert.equal(card.mitigation, failover.label);
  const html = renderGamedayHtml(card);
  assert.match(html, /stroke="#ea580c"[^>]*><title>failover<\/title>/);
  assert.match(html, /<title>failback<\/title>/);

  const onlyFailback = buildScorecard(record({ events: [record().events[0]!, { at: FAULT + 9_000, kind: 'failback', label: 'failback (payments): secondary → primary' }] }));
  assert.equal(onlyFailback.timeToMitigationSeconds, null, 'returning to the primary ends a mitigation, it is not one');
  assert.match(onlyFailback.missing.timeToMitigationSeconds!, /no automatic action \(waiting room engaged, scale-out, payment-provider failover\) was seen after the fault started$/);

  const failoverBefore = buildScorecard(record({ events: [record().events[0]!, { ...failover, at: FAULT - 2_000 }] }));
  assert.equal(failoverBefore.timeToMitigationSeconds, null);
  assert.match(failoverBefore.missing.timeToMitigationSeconds!, /in force from before it: failover \(payments\): primary → secondary, primary circuit open \(-2 s\)/);
});

test('the waiting room stopping after the fault started is not a mitigation: the one in force from before it is named instead', () => {
  const card = buildScorecard(record({
    events: [
      record().events[0]!,
      { at: T0 - 1000, kind: 'waiting-room', label: 'waiting room queueing since before the experiment (queueing)' },
      { at: FAULT + 15_000, kind: 'waiting-room-stopped', label: 'waiting room stopped queueing' },
    ],
  }));
  assert.equal(card.timeToMitigationSeconds, null);
  assert.match(card.missing.timeToMitigationSeconds!, /in force from before it: waiting room queueing since before the experiment \(queueing\) \(-61 s\)$/);
  assert.match(renderGamedayHtml(card), /<title>waiting room stopped<\/title>/);
});

test('orders.lost is a count: place-order requests without a clear answer (timeouts, connection errors, 5xx, cut off) are counted in a note, as the lost orders they could hide', () => {
  assert.deepEqual(buildScorecard(record()).notes.filter((n) => n.startsWith('orders.lost')), [], 'every request answered: nothing to say');
  const run = load(1, 400);
  const placeOrder = run.steps[0]!;
  placeOrder.statuses['503'] = 1;
  placeOrder.errors.timeout = 2;
  placeOrder.interrupted = 1;
  // two of those requests created orders and two accepted orders were lost: the shop has 40, as many as were accepted
  const card = buildScorecard(record({ load: run, orders: { byStatus: { paid: 36, payment_failed: 4 } } }));
  assert.equal(card.orders.lost, 0, 'the net count sees nothing');
  assert.deepEqual(card.notes.filter((n) => n.startsWith('orders.lost')), [
    'orders.lost compares counts, not order ids: 4 place-order request(s) got no clear answer (a timeout, a connection error, a 5xx, or cut off at the end of the run); an order the shop created for one of them counts against the accepted ones, so up to 4 lost order(s) could be hidden behind them',
  ]);
});
