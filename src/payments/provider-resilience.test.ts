// The resilience wrapper's policy semantics (docs/decisions/0004): when the circuit opens, what a call
// sees while it is open, the half-open trial being the health probe, slow successes not counting as failures, the
// bulkhead's cap and queue, and which failures are retried. They are written against ResilientProvider,
// not cockatiel, so an upgrade of cockatiel that changed any of them fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from './stripe-client.ts';
import { ResilientProvider, DEFAULT_RESILIENCE, type ResilienceOptions } from './provider-resilience.ts';
import { createLogger } from '../platform/observability/logger.ts';

const logger = createLogger({ level: 'silent', service: 'test' });

/** Ten calls in the 10 s sampling window are the breaker's minimum volume (minimumRps 1). */
const BREAKER: Partial<ResilienceOptions> = {
  retries: 0, breakerFailureThreshold: 0.5, breakerMinimumRps: 1, breakerSamplingMs: 10_000, breakerHalfOpenAfterMs: 60_000,
};
const MINIMUM_VOLUME = 10;

const unavailable = () => new ProviderError('HTTP 503', { retryable: true, sent: true, status: 503 });

function provider(name: string, opts: Partial<ResilienceOptions>): ResilientProvider {
  return new ResilientProvider(name, { ...DEFAULT_RESILIENCE, ...opts }, logger);
}

async function openCircuit(p: ResilientProvider): Promise<void> {
  for (let i = 0; i < MINIMUM_VOLUME; i++) await assert.rejects(p.execute('op', async () => { throw unavailable(); }));
  assert.equal(p.breakerState, 'open');
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

test('the circuit stays closed below the minimum volume, opens once failures pass the threshold, then refuses calls unsent', async () => {
  const p = provider('breaker', BREAKER);
  for (let i = 0; i < MINIMUM_VOLUME - 1; i++) await assert.rejects(p.execute('op', async () => { throw unavailable(); }));
  assert.equal(p.breakerState, 'closed', 'nine failures are below the minimum volume');
  await assert.rejects(p.execute('op', async () => { throw unavailable(); }));
  assert.equal(p.breakerState, 'open');
  assert.equal(p.available, false);

  let called = false;
  await assert.rejects(p.execute('op', async () => { called = true; return 'charged'; }),
    (err: ProviderError) => err instanceof ProviderError && /circuit open/.test(err.message) && !err.sent && err.retryable);
  assert.equal(called, false, 'an open circuit does not reach the provider');
});

test('failures the provider did not cause (a declined card) do not count against the circuit', async () => {
  const p = provider('declines', BREAKER);
  const declined = () => new ProviderError('card_declined', { retryable: false, sent: true, status: 402 });
  for (let i = 0; i < MINIMUM_VOLUME * 2; i++) await assert.rejects(p.execute('op', async () => { throw declined(); }));
  assert.equal(p.breakerState, 'closed');
});

test('a provider answering every call successfully in 2 s opens no breaker: slowness is not failure', async () => {
  // The defaults' breaker (50% of at least 10 calls in 10 s) and timeout (2.5 s): twenty 2-second successes at once.
  const p = provider('slow', { retries: 0 });
  const results = await Promise.all(Array.from({ length: 20 }, () => p.execute('op', async () => { await sleep(2000); return 'ok'; })));
  assert.deepEqual(new Set(results), new Set(['ok']));
  assert.equal(p.breakerState, 'closed', 'slow successes do not open the circuit');
  assert.equal(p.health.score, 1, 'nor lower the health score failover reads');
  assert.ok(p.latencyMs! >= 1900 && p.latencyMs! < 3000, `the latency is tracked for the workers' concurrency: ${p.latencyMs}`);
  // Timeouts still count: ten calls past the timeout open it.
  const t = provider('timeouts', { ...BREAKER, timeoutMs: 20 });
  for (let i = 0; i < MINIMUM_VOLUME; i++) await assert.rejects(t.execute('op', async (signal) => { await sleep(200, undefined, { signal }).catch(() => {}); return 'late'; }));
  assert.equal(t.breakerState, 'open', 'calls that time out open the circuit');
});

test('the half-open trial is the health probe: a failed probe reopens, a good one closes, and calls during it wait for its verdict', async () => {
  const p = provider('probe', { ...BREAKER, breakerHalfOpenAfterMs: 50 });
  await openCircuit(p);
  assert.equal(p.probeDue(0.8), false, 'not before the half-open delay');
  await sleep(80);
  assert.equal(p.probeDue(0.8), true);

  assert.equal(await p.probe(async () => { throw unavailable(); }), false);
  assert.equal(p.breakerState, 'open', 'a failed trial reopens the circuit');
  assert.equal(p.probeDue(0.8), false, 'and starts a new half-open delay');

  await sleep(80);
  const trial = deferred<string>();
  const probing = p.probe(() => trial.promise);
  await sleep(10);
  assert.equal(p.breakerState, 'half_open');
  assert.equal(p.probeDue(0.8), false, 'one probe at a time');
  let waiterRan = false;
  const waiter = p.execute('op', async () => { waiterRan = true; return 'charged'; });
  await sleep(20);
  assert.equal(waiterRan, false, 'a payment is not used as a second trial');
  trial.resolve('ok');
  assert.equal(await probing, true);
  assert.equal(await waiter, 'charged', 'the waiting call runs once the trial closed the circuit');
  assert.equal(p.breakerState, 'closed');
  assert.equal(p.available, true);
});

test('resolving an in-doubt attempt asks the provider even while the circuit is open', async () => {
  const p = provider('in-doubt', BREAKER);
  await openCircuit(p);
  assert.equal(await p.execute('retrieve', async () => 'requires_capture', { bypassBreaker: true }), 'requires_capture');
  assert.equal(p.breakerState, 'open');
});

test('the bulkhead runs at most maxConcurrent calls, queues maxQueued, and refuses the rest unsent', async () => {
  const p = provider('bulkhead', { maxConcurrent: 1, maxQueued: 1, retries: 0 });
  const first = deferred<string>();
  const running = p.execute('op', () => first.promise);
  let queuedRan = false;
  const queued = p.execute('op', async () => { queuedRan = true; return 'second'; });
  await sleep(10);
  assert.equal(p.inFlight, 1);
  await assert.rejects(p.execute('op', async () => 'third'),
    (err: ProviderError) => /bulkhead full/.test(err.message) && !err.sent && err.retryable);
  assert.equal(queuedRan, false, 'the queued call waits for a slot');
  first.resolve('first');
  assert.deepEqual(await Promise.all([running, queued]), ['first', 'second']);
  assert.equal(p.inFlight, 0);
});

test('retryable failures are retried up to the configured count; other failures are not retried', async () => {
  const p = provider('retry', { retries: 2 });
  let calls = 0;
  await assert.rejects(p.execute('op', async () => { calls++; throw unavailable(); }));
  assert.equal(calls, 3, 'one try and two retries');

  calls = 0;
  await assert.rejects(p.execute('op', async () => { calls++; throw new ProviderError('card_declined', { retryable: false, sent: true, status: 402 }); }));
  assert.equal(calls, 1);

  calls = 0;
  assert.equal(await p.execute('op', async () => { calls++; if (calls < 2) throw unavailable(); return 'ok'; }), 'ok');
  assert.equal(calls, 2);
});
