// The observer turns what the shop's ops API shows into timeline events, each once: here, the payments
// processes' provider failovers and failbacks from the change log (GET /api/ops/changes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShopObserver } from './shop-observer.ts';
import type { ChangeView, ShopApi } from './shop-api.ts';
import type { TimelineEvent } from './scorecard.ts';

test('a failover and a failback in the change log become timeline events once each, naming the process, the accounts and why', async () => {
  const since = Date.parse('2026-12-01T10:00:00Z');
  const asked: { sinceMs: number; kinds: string[] }[] = [];
  const changes: ChangeView[] = [
    { id: 7, at: '2026-12-01T10:00:04.000Z', kind: 'payments.failover', subject: 'payment-provider', summary: 'payments fail over from primary to secondary: primary circuit open', source: 'payments-1', details: { from: 'primary', to: 'secondary', reason: 'primary circuit open' } },
  ];
  const api = {
    alerts: async () => [], findings: async () => [], incidents: async () => [],
    scaling: async () => ({ supervised: true, roles: [] }),
    waitingRoom: async () => ({ mode: 'off', state: 'not_queueing', auto: null, queuedUsers: 0 }),
    changes: async (sinceMs: number, kinds: string[]) => { asked.push({ sinceMs, kinds }); return changes; },
  } as unknown as ShopApi;
  const printed: TimelineEvent[] = [];
  const observer = new ShopObserver(api, () => since, (e) => printed.push(e));
  await observer.poll();
  await observer.poll();
  changes.push({ id: 9, at: '2026-12-01T10:01:00.000Z', kind: 'payments.failback', subject: 'payment-provider', summary: 'payments fail back', source: 'payments-1', details: { from: 'secondary', to: 'primary', reason: 'primary healthy again (circuit closed, health score 1.00)' } });
  await observer.poll();
  assert.deepEqual(asked[0], { sinceMs: since, kinds: ['payments.failover', 'payments.failback'] });
  assert.deepEqual(observer.events, [
    { at: Date.parse('2026-12-01T10:00:04.000Z'), kind: 'failover', label: 'failover (payments-1): primary → secondary, primary circuit open' },
    { at: Date.parse('2026-12-01T10:01:00.000Z'), kind: 'failback', label: 'failback (payments-1): secondary → primary, primary healthy again (circuit closed, health score 1.00)' },
  ]);
  assert.equal(printed.length, 2);
  assert.equal(observer.now.errors, 0);
});

test('the waiting room engaging and stopping are two kinds of event: only the first is an action', async () => {
  let state = 'not_queueing';
  const api = {
    alerts: async () => [], findings: async () => [], incidents: async () => [], changes: async () => [],
    scaling: async () => ({ supervised: true, roles: [] }),
    waitingRoom: async () => ({ mode: 'auto', state, auto: null, queuedUsers: 0 }),
  } as unknown as ShopApi;
  const observer = new ShopObserver(api, () => Date.now(), () => {});
  await observer.poll();
  state = 'queueing';
  await observer.poll();
  state = 'not_queueing';
  await observer.poll();
  assert.deepEqual(observer.events.map((e) => [e.kind, e.label]), [['waiting-room', 'waiting room engaged (queueing)'], ['waiting-room-stopped', 'waiting room stopped queueing']]);
});
