// Unit tests of the payments context's pure logic: form encoding, retry budget, health score, failover
// choice, and the resilience wrapper's in-doubt bookkeeping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formEncode, ProviderError } from './stripe-client.ts';
import { RetryBudget, HealthScore, ResilientProvider, DEFAULT_RESILIENCE } from './provider-resilience.ts';
import { ProviderRouter, type ProviderSwitch } from './provider-router.ts';
import { createLogger } from '../platform/observability/logger.ts';

const logger = createLogger({ level: 'silent', service: 'test' });

test('formEncode uses Stripe bracket notation and skips empty values', () => {
  assert.equal(
    formEncode({ amount: 1299, currency: 'usd', metadata: { order_id: 'o 1', attempt_id: 'a&b' }, description: undefined }),
    'amount=1299&currency=usd&metadata%5Border_id%5D=o%201&metadata%5Battempt_id%5D=a%26b',
  );
  assert.equal(formEncode({ expand: ['latest_charge', 'customer'] }), 'expand%5B0%5D=latest_charge&expand%5B1%5D=customer');
});

test('retry budget allows a floor, then only a share of calls', () => {
  const budget = new RetryBudget(0.2, 10_000, 2);
  const now = 1_000_000;
  for (let i = 0; i < 10; i++) budget.recordCall(now);
  // floor 2 + 20% of 10 calls = 4 retries
  assert.deepEqual([1, 2, 3, 4, 5].map(() => budget.tryRetry(now)), [true, true, true, true, false]);
  // a new window restores the budget
  assert.equal(budget.tryRetry(now + 11_000), true);
});

test('health score is the success ratio of recent calls, optimistic until enough data', () => {
  const h = new HealthScore(10);
  h.record(false); h.record(false);
  assert.equal(h.score, 1, 'too few samples to judge');
  for (let i = 0; i < 8; i++) h.record(i % 2 === 0);
  assert.equal(h.score, 0.4);
});

/** A router over a primary and a secondary account (nothing listens; no probe timer), and the switches it reports. */
function twoProviders(): { router: ProviderRouter; switches: ProviderSwitch[] } {
  const switches: ProviderSwitch[] = [];
  const router = new ProviderRouter([
    { name: 'primary', baseUrl: 'http://127.0.0.1:1', secretKey: 'sk_test_a' },
    { name: 'secondary', baseUrl: 'http://127.0.0.1:2', secretKey: 'sk_test_b' },
  ], DEFAULT_RESILIENCE, logger, 0, (s) => switches.push(s));
  return { router, switches };
}

test('router prefers the highest-priority healthy provider and fails over when it degrades', () => {
  const { router } = twoProviders();
  assert.equal(router.pick()?.name, 'primary');
  for (let i = 0; i < 20; i++) router.byName('primary')!.resilience.health.record(false);
  assert.equal(router.pick()?.name, 'secondary', 'a degraded primary loses new attempts');
  assert.equal(router.pick(new Set(['secondary']))?.name, 'primary', 'still usable when it is the only one left');
  void router.close();
});

test('the router reports a switch once per move of its choice, not per call: a failover, and the failback once the primary recovers', async () => {
  const { router, switches } = twoProviders();
  const primary = router.byName('primary')!.resilience;
  for (let i = 0; i < 5; i++) router.pick();
  assert.deepEqual(switches, [], 'no switch while the primary is healthy');

  for (let i = 0; i < 20; i++) primary.health.record(false);
  for (let i = 0; i < 10; i++) assert.equal(router.pick()?.name, 'secondary');
  assert.equal(router.pick(new Set(['secondary']))?.name, 'primary');
  assert.deepEqual(switches, [{ from: 'primary', to: 'secondary', back: false, reason: 'primary health score 0.00 below 0.5' }],
    'ten payments through the secondary and a job skipping it: one failover');

  primary.health.reset();
  router.probeNow(); // the probes' look, with no payment
  router.pick();
  assert.equal(switches.length, 2);
  assert.deepEqual(switches[1], { from: 'secondary', to: 'primary', back: true, reason: 'primary healthy again (circuit closed, health score 1.00)' });

  // an open circuit is named as the reason
  for (let i = 0; i < 30; i++) {
    await primary.execute('op', async () => { throw new ProviderError('HTTP 503', { retryable: true, sent: true, status: 503 }); }, { noRetry: true }).catch(() => {});
  }
  assert.equal(primary.breakerState, 'open');
  primary.health.reset(); // the circuit alone moves the choice
  router.pick();
  assert.deepEqual(switches.slice(2), [{ from: 'primary', to: 'secondary', back: false, reason: 'primary circuit open' }]);
  await router.close();
});

test('while no provider is healthy the router reports no switch, whichever takes each attempt; the first healthy one is the switch', async () => {
  const { router, switches } = twoProviders();
  const [primary, secondary] = router.providers.map((p) => p.resilience);
  for (let i = 0; i < 10; i++) { primary!.health.record(i < 3); secondary!.health.record(i < 4); } // 0.3 and 0.4
  const picks: string[] = [];
  for (let i = 0; i < 12; i++) {
    picks.push(router.pick()!.name);
    (picks.at(-1) === 'primary' ? primary : secondary)!.health.record(false); // the one picked fails, so the other is the healthiest next
  }
  const turns = picks.filter((p, i) => i > 0 && p !== picks[i - 1]).length;
  assert.ok(turns >= 3, `the healthiest took each attempt, in turns (${picks.join(', ')})`);
  assert.equal(switches.length, 0, 'no switch reported while both are degraded');

  // the primary's circuit opens: attempts go to the degraded secondary, still no switch to report
  for (let i = 0; i < 30; i++) {
    await primary!.execute('op', async () => { throw new ProviderError('HTTP 503', { retryable: true, sent: true, status: 503 }); }, { noRetry: true }).catch(() => {});
  }
  for (let i = 0; i < 20; i++) secondary!.health.record(i % 3 === 0); // 0.35
  assert.equal(router.pick()?.name, 'secondary');
  assert.equal(switches.length, 0, 'moving among degraded providers is not a failover');

  // the secondary recovers while the primary's circuit is still open: that is the failover
  secondary!.health.reset();
  assert.equal(router.pick()?.name, 'secondary');
  assert.deepEqual(switches.map((s) => [s.from, s.to, s.back, s.reason]), [['primary', 'secondary', false, 'primary circuit open']]);
  await router.close();
});

test('a call that failed after a try reached the provider is reported as sent (in doubt), never as not sent', async () => {
  const p = new ResilientProvider('p', { ...DEFAULT_RESILIENCE, retries: 2, timeoutMs: 200 }, logger);
  let calls = 0;
  await assert.rejects(p.execute('op', async () => {
    calls++;
    if (calls === 1) throw new ProviderError('HTTP 503', { retryable: true, sent: true, status: 503 });
    throw new ProviderError('connection refused', { retryable: true, sent: false });
  }), (err: ProviderError) => err.sent === true);
  assert.equal(calls, 3);
});

test('a call refused before it was ever sent stays not sent, so failover is safe', async () => {
  const p = new ResilientProvider('q', { ...DEFAULT_RESILIENCE, retries: 1 }, logger);
  await assert.rejects(p.execute('op', async () => { throw new ProviderError('refused', { retryable: true, sent: false }); }),
    (err: ProviderError) => err.sent === false);
});

test('timeouts surface as retryable, sent provider errors', async () => {
  const p = new ResilientProvider('t', { ...DEFAULT_RESILIENCE, retries: 0, timeoutMs: 50 }, logger);
  await assert.rejects(p.execute('op', (signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))),
    (err: ProviderError) => err instanceof ProviderError && err.sent && err.retryable);
});

test('a provider that failed wins new attempts back only once clearly healthy (no flapping around the failover score)', async () => {
  const { router, switches } = twoProviders();
  const primary = router.byName('primary')!.resilience;
  const setScore = (ok: number) => { primary.health.reset(); for (let i = 0; i < 20; i++) primary.health.record(i < ok); };
  setScore(9); // 0.45: fails over
  assert.equal(router.pick()?.name, 'secondary');
  for (const ok of [10, 11, 12, 10, 13, 15]) { // 0.5 to 0.75: about half its calls fail, now and then a little better
    setScore(ok);
    assert.equal(router.pick()?.name, 'secondary', `back at ${ok / 20}`);
  }
  setScore(17); // 0.85
  assert.equal(router.pick()?.name, 'primary');
  assert.deepEqual(switches.map((s) => [s.from, s.to]), [['primary', 'secondary'], ['secondary', 'primary']], 'one move each way');
  await router.close();
});
