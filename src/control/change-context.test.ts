// Findings name what changed just before the first signal: the latest causal change in the lookback,
// a change recorded a moment after the estimated onset included, a cleared fault or an older change not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateOfChange, rankingSplit, changesBeforeSignal, changeText, CHANGE_LOOKBACK_SECONDS } from './change-context.ts';
import { ControlPlane } from './control-plane.ts';
import { controlSettings } from './control-config.ts';

const T = 1_764_640_000;
const change = (id: number, at: number, kind: string, summary: string) => ({ id, at, kind, subject: summary.split(' ')[0]!, summary });

test('the latest causal change before the signal, with how long before', () => {
  const changes = [
    change(1, T - CHANGE_LOOKBACK_SECONDS - 5, 'fault.set', 'db.slow set (delayMs 300)'),
    change(2, T - 30, 'process.started', 'payments started (pid 7, 0.1.0)'),
    change(3, T - 20, 'fault.cleared', 'storefront.cpu cleared'),
    change(4, T - 4, 'fault.set', 'psp.latency set (latencyMs 2000)'),
    change(5, T + 60, 'fault.set', 'psp.errors set (rate 1)'),
  ];
  const found = changesBeforeSignal(changes, T);
  assert.deepEqual(found.map((c) => c.id), [4]);
  assert.equal(changeText(found[0]!), 'change: psp.latency set (latencyMs 2000) 4 s before the first signal');
  // recorded two seconds after the onset estimate (1 s readings): still the change that came first
  assert.equal(changeText(changesBeforeSignal([change(6, T + 2, 'fault.set', 'psp.latency set (latencyMs 2000)')], T)[0]!), 'change: psp.latency set (latencyMs 2000) at the first signal');
  assert.deepEqual(changesBeforeSignal([change(7, T - 10, 'fault.cleared', 'psp.latency cleared')], T), []);
  // a payments process failing over (or back) answers a fault; it is never the change that caused one
  assert.deepEqual(changesBeforeSignal([
    change(8, T - 2, 'payments.failover', 'payments fail over from primary to secondary: primary circuit open'),
    change(9, T - 1, 'payments.failback', 'payments fail back from secondary to primary: primary healthy again'),
  ], T), []);
});

test('the control plane keeps the recent changes it is fed, once each, and drops those past its window', () => {
  const plane = new ControlPlane(controlSettings({ controlScrapeTargets: [] }, { scrapeSelf: false }));
  const now = T * 1000;
  plane.noteChanges([change(1, T - 10, 'fault.set', 'psp.latency set')], now);
  plane.noteChanges([change(1, T - 10, 'fault.set', 'psp.latency set'), change(2, T - 100_000, 'fault.set', 'old set')], now);
  assert.deepEqual((plane as unknown as { recentChanges: { id: number }[] }).recentChanges.map((c) => c.id), [1]);
});

test('the candidate a change acts on: a fault by its catalog prefix, a process change by its role, else none', () => {
  const on = (kind: string, subject: string) => candidateOfChange({ kind, subject });
  assert.equal(on('fault.set', 'psp.latency'), 'payment-provider');
  assert.equal(on('fault.set', 'psp.errors'), 'payment-provider');
  assert.equal(on('fault.set', 'db.slow'), 'database');
  assert.equal(on('fault.set', 'payments.cpu'), 'payments');
  assert.equal(on('fault.set', 'storefront.latency'), 'storefront');
  assert.equal(on('fault.set', 'network.latency'), 'network');
  assert.equal(on('process.restarted', 'payments'), 'payments');
  assert.equal(on('version.changed', 'psp'), 'payment-provider');
  assert.equal(on('fault.cleared', 'psp.latency'), undefined);
  assert.equal(on('waiting_room.state_changed', 'waiting-room'), undefined);
  assert.equal(on('process.restarted', 'control'), undefined);
});

test('the ranking splits at a change within the onset\'s blur, else at the onset', () => {
  const mention = (at: number) => changesBeforeSignal([change(1, at, 'fault.set', 'psp.latency set')], T);
  assert.equal(rankingSplit(T, mention(T - 8), 30), T - 8);
  assert.equal(rankingSplit(T, mention(T - 120), 30), T);
  // recorded just after the onset estimate: the onset stays
  assert.equal(rankingSplit(T, mention(T + 2), 30), T);
  assert.equal(rankingSplit(T, [], 30), T);
});
