// Shopper records (shopper-trace.ts) from a journey against a scripted waiting room, and the figures the
// overload bench draws from such records (shopper-figures.ts): goodput by the SLOs, the estimated wait
// against the actual, and FIFO order as the client can be certain of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileScenario } from './compiled-scenario.ts';
import type { HttpClient, HttpOutcome, HttpRequest } from './http-dispatch.ts';
import { runIteration, type RunnerContext } from './journey-runner.ts';
import { fifoFigures, shopperFigures } from './shopper-figures.ts';
import { ShopperTraces, sloRuleFor, type ShopperRecord, type SloRule } from './shopper-trace.ts';
import { WorkerRecorder } from './worker-recorder.ts';

const RULES: SloRule[] = [
  { name: 'browse', method: 'GET', routePrefixes: ['/'], excludePrefixes: ['/api/carts', '/api/orders'], thresholdMs: 500 },
  { name: 'cart', routePrefixes: ['/api/carts'], thresholdMs: 500 },
  { name: 'checkout', method: 'POST', routePrefixes: ['/api/checkout'], thresholdMs: 1000 },
];

test('a request falls under the first SLO rule that covers its method and path', () => {
  assert.equal(sloRuleFor(RULES, 'GET', '/products/x?q=1'), 0);
  assert.equal(sloRuleFor(RULES, 'GET', '/api/carts/1'), 1);
  assert.equal(sloRuleFor(RULES, 'POST', '/api/carts'), 1);
  assert.equal(sloRuleFor(RULES, 'POST', '/api/checkout'), 2);
  assert.equal(sloRuleFor(RULES, 'GET', '/api/orders/1'), -1, 'order status: no SLO');
});

test('a queued shopper\'s record: the first answer\'s position and estimate, the polls, the admission, each request; a second wait is counted apart', async () => {
  const scenario = compileScenario({
    name: 'room', load: { executor: 'constant-arrival-rate', rate: 1, duration: 1 }, shopper: { cookies: true, waitingRoom: true },
    journeys: [{ name: 'browse', steps: [{ name: 'home', url: '/' }, { name: 'cart', method: 'POST', url: '/api/carts' }] }],
  });
  let answers = 0;
  const client = {
    send(req: HttpRequest, done: (o: HttpOutcome) => void) {
      answers++;
      // The waiting page (200, told by its header; its body is not read), its JSON form, the home page, then
      // sent back to wait once (a lapsed session), then the cart.
      const page = answers === 1;
      const waiting = answers <= 2 || answers === 4;
      const body = page ? '' : waiting
        ? JSON.stringify({ error: { code: 'WAITING_ROOM' }, waitingRoom: { inWaitingRoom: true, position: 7 - answers, waitTimeKnown: true, waitTimeSeconds: 3, refreshIntervalSeconds: 1 } })
        : '{}';
      const status = page ? 200 : waiting ? 429 : req.method === 'POST' ? 503 : 200;
      const headers = waiting ? { 'holdfast-waiting-room': `queued; position=${7 - answers}; wait=3; refresh=1` } : {};
      setTimeout(() => done({ status, headers, body, bytes: body.length, endedAt: performance.now() }), 5);
    },
  } as unknown as HttpClient;
  const traces = new ShopperTraces({ sloRules: RULES, maxRecords: 1 });
  const ctx: RunnerContext = {
    client, recorder: new WorkerRecorder(scenario.steps.map((s) => s.key)), t0: performance.now(), targetOrigin: 'http://shop.test', basePath: '',
    timeoutMs: 1000, originAllowed: () => true, shared: {}, budget: { remaining: 100 }, halted: { value: false }, active: { requests: 0, iterations: 0 },
    shopper: { cookies: true, waitingRoom: true }, shopperTraces: traces,
  };
  const before = performance.timeOrigin + performance.now();
  assert.equal(await runIteration(ctx, scenario.journeys[0]!, performance.now(), 0, 0), 'failed');
  assert.equal(traces.begin('browse', performance.now()), undefined, 'one record at most');
  assert.equal(traces.dropped, 1);
  const [record] = traces.records;
  assert.ok(record);
  assert.equal(record.journey, 'browse');
  assert.equal(record.outcome, 'failed');
  const q = record.queue!;
  assert.equal(q.position, 6, 'the first answer\'s position');
  assert.equal(q.waitTimeSeconds, 3);
  assert.equal(q.polls, 2);
  assert.equal(q.requeued, 1, 'sent back once after being let in');
  assert.ok(q.firstSentAt >= before - 1 && q.firstSentAt < q.firstAnsweredAt);
  assert.ok(q.lastWaitingSentAt >= q.firstAnsweredAt + 900, 'the second poll was sent a refresh interval later');
  assert.ok(q.admittedAnsweredAt! > q.lastWaitingSentAt, 'the first admission and the first wait\'s last poll stand');
  assert.deepEqual(record.requests.map(([rule, , status, ok]) => [rule, status, ok]), [[0, 200, 1], [1, 503, 0]], 'polls are not requests of the journey');
});

test('a refresh that times out is not an admission: the shopper left the queue on an error', async () => {
  const scenario = compileScenario({
    name: 'room', load: { executor: 'constant-arrival-rate', rate: 1, duration: 1 }, shopper: { cookies: true, waitingRoom: true },
    journeys: [{ name: 'browse', steps: [{ name: 'home', url: '/' }] }],
  });
  let answers = 0;
  const client = {
    send(_req: HttpRequest, done: (o: HttpOutcome) => void) {
      answers++;
      const endedAt = performance.now();
      if (answers === 1) done({ status: 200, headers: { 'holdfast-waiting-room': 'queued; position=3; wait=5; refresh=1' }, body: '', bytes: 0, endedAt });
      else done({ status: 0, headers: {}, body: '', bytes: 0, endedAt, failure: { kind: 'timeout', message: 'timed out' } } as HttpOutcome);
    },
  } as unknown as HttpClient;
  const traces = new ShopperTraces({ sloRules: RULES, maxRecords: 10 });
  const ctx: RunnerContext = {
    client, recorder: new WorkerRecorder(scenario.steps.map((s) => s.key)), t0: performance.now(), targetOrigin: 'http://shop.test', basePath: '',
    timeoutMs: 1000, originAllowed: () => true, shared: {}, budget: { remaining: 100 }, halted: { value: false }, active: { requests: 0, iterations: 0 },
    shopper: { cookies: true, waitingRoom: true }, shopperTraces: traces,
  };
  await runIteration(ctx, scenario.journeys[0]!, performance.now(), 0, 0);
  const q = traces.records[0]!.queue!;
  assert.equal(q.admittedAnsweredAt, null, 'not let in');
  assert.equal(q.leftOnError, true);
  const f = shopperFigures(traces.records, RULES);
  assert.deepEqual([f.queue.admitted, f.queue.leftOnError, f.queue.stillWaiting], [0, 1, 0]);
});

const at = (t: number) => 1_000_000 + t;

function shopper(journey: string, requests: ShopperRecord['requests'], queue?: { sent: number; estimateS: number; lastWaiting: number; admitted: number | null }): ShopperRecord {
  return {
    journey, outcome: requests.length === 0 ? 'interrupted' : requests.every(([, , , ok]) => ok) ? 'completed' : 'failed', startedAt: at(0), endedAt: at(10_000), requests,
    queue: queue ? {
      firstSentAt: at(queue.sent), firstAnsweredAt: at(queue.sent + 10), position: 1, waitTimeKnown: true, waitTimeSeconds: queue.estimateS,
      lastWaitingSentAt: at(queue.lastWaiting), admittedAnsweredAt: queue.admitted === null ? null : at(queue.admitted), leftOnError: false, polls: 2, requeued: 0,
    } : null,
  };
}

test('goodput counts journeys with every request answered and inside its SLO; errors by status; the estimate against the wait', () => {
  const f = shopperFigures([
    shopper('browse', [[0, 100, 200, 1], [0, 499, 200, 1]]),
    shopper('browse', [[0, 100, 200, 1], [0, 501, 200, 1]], { sent: 0, estimateS: 2, lastWaiting: 3000, admitted: 4010 }),
    shopper('checkout', [[2, 900, 202, 1], [-1, 5000, 200, 1]], { sent: 100, estimateS: 6, lastWaiting: 4000, admitted: 5110 }),
    shopper('checkout', [[2, 50, 503, 0]]),
    shopper('browse', [], { sent: 200, estimateS: 9, lastWaiting: 9000, admitted: null }),
  ], RULES);
  assert.equal(f.goodJourneys, 2, 'the first browse and the checkout (order status has no SLO)');
  assert.equal(f.spanSec, 10);
  assert.equal(f.goodputPerSec, 0.2);
  assert.deepEqual(f.errorsByStatus, { 503: 1 });
  assert.equal(f.fiveXx, 1);
  assert.equal(f.slos.browse!.over, 1);
  assert.equal(f.slos.checkout!.p99Ms, 900);
  assert.equal(f.journeys.checkout!.good, 1);
  assert.equal(f.queue.queued, 3);
  assert.equal(f.queue.admitted, 2);
  assert.equal(f.queue.stillWaiting, 1);
  assert.equal(f.queue.waitMaxMs, 5000);
  // Estimates 2 s against 4 s (−50%) and 6 s against 5 s (+20%); the median by nearest rank is the lower.
  assert.equal(f.queue.estimates, 2);
  assert.ok(Math.abs(f.queue.estimateErrorP50 - 0.2) < 1e-9, String(f.queue.estimateErrorP50));
  assert.ok(Math.abs(f.queue.estimateBiasP50 + 0.5) < 1e-9, String(f.queue.estimateBiasP50));
});

test('FIFO: an inversion only when the earlier shopper was told to wait after the later one knew it was in', () => {
  const s = (sent: number, lastWaiting: number, admitted: number) => ({ firstSentAt: sent, firstAnsweredAt: sent + 10, lastWaitingSentAt: lastWaiting, admittedAt: admitted });
  // In order; B admitted before A's last "still waiting" was *answered* but after it was sent: not certain, not counted.
  assert.deepEqual(fifoFigures([s(0, 1000, 1500), s(100, 900, 1005)]), { comparablePairs: 1, invertedPairs: 0, pairShare: 0, overtaken: 0, overtakenShare: 0 });
  // B (arrived later) was in at 1005, A was still told to wait on a request sent at 1100: overtaken.
  const f = fifoFigures([s(0, 1100, 1500), s(100, 900, 1005), s(200, 1200, 1050)]);
  assert.equal(f.comparablePairs, 3);
  assert.equal(f.invertedPairs, 2, 'A overtaken by B and by C');
  assert.equal(f.overtaken, 1);
  // Requests sent concurrently (the second sent before the first was answered) have no certain order.
  assert.equal(fifoFigures([s(0, 1100, 1500), s(5, 900, 1005)]).comparablePairs, 0);
});
