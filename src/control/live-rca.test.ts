// Live root-cause analysis on a synthetic window: a provider that slows (the calls and the provider's own
// serving time rise together: not the network), a network that slows (the calls rise, the provider's
// serving time does not: the network), and CPU burnt in the payments process (its event loop stalls, so
// every query and call it times looks slower: payments, not the database nor the network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesWindow, withoutPeriods } from './series-window.ts';
import { analyseWindow, CHANGE_PRIOR_MIN_SCORE } from './live-rca.ts';
import type { ChangeMention } from './change-context.ts';

let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
const jitter = (v: number, share = 0.1) => v * (1 + (rand() - 0.5) * 2 * share);

/** 120 s of baseline then 30 s of fault, one reading a second. */
function scenario(fault: 'provider' | 'network' | 'payments-cpu' | 'control-stall' | 'database-and-provider' | 'provider-again'): { window: SeriesWindow; faultStart: number } {
  const w = new SeriesWindow(3600);
  const t0 = 1_700_000_000;
  const faultStart = t0 + 120;
  for (let i = 0; i < 150; i++) {
    const t = t0 + i;
    // provider-again: the same provider delay an incident earlier, from 80 s to 40 s before this one
    const earlier = fault === 'provider-again' && t >= faultStart - 80 && t < faultStart - 40;
    const on = t >= faultStart + 2 || earlier; // the first slow calls complete two seconds in
    // both a slower database (much) and a slower provider (somewhat): the metrics alone favour the database
    const server = on && (fault === 'provider' || fault === 'provider-again') ? 2 : on && fault === 'database-and-provider' ? 0.03 : 0.012;
    const db = on && fault === 'database-and-provider' ? 0.4 : 0;
    const wire = on && (fault === 'network' || fault === 'control-stall') ? 0.6 : 0.002;
    // a CPU burn of 250 ms a job in the payments process: its loop stalls up to 0.5 s (two jobs back to
    // back), and the queries and calls it times wait for it
    const stall = on && fault === 'payments-cpu' ? 0.5 : 0;
    const call = server + wire + stall * 0.6;
    w.push(t, new Map([
      ['storefront|p99', jitter(0.04)], ['storefront|p50', jitter(0.008)], ['storefront|err', 0], ['storefront|n', Math.round(jitter(14))],
      ['database|p99', jitter(0.02 + stall * 0.8 + db)], ['database|p50', jitter(0.002 + stall * 0.2 + db)], ['database|err', 0], ['database|n', Math.round(jitter(60))],
      ['payments|p99', jitter(0.3 + call + stall)], ['payments|p50', jitter(0.05 + call + stall / 2)], ['payments|err', 0], ['payments|rate', 3], ['payments|n', 3],
      ['cpu:payments|rate', jitter(on && fault === 'payments-cpu' ? 0.8 : 0.05)], ['cpu:storefront|rate', jitter(0.1)], ['cpu:control|rate', jitter(0.03)],
      ['gauge:event-loop-stall:payments', jitter(0.015 + stall)], ['gauge:event-loop-stall:storefront', jitter(0.02)],
      // the control process stalling (its own work) must not excuse a slow network between two others
      ['gauge:event-loop-stall:control', jitter(on && fault === 'control-stall' ? 2 : 0.015)],
      ['provider|p99', jitter(call * 1.5)], ['provider|p50', jitter(call)], ['provider|err', 0], ['provider|rate', 3], ['provider|n', 3],
      ['psp|p99', jitter(server * 1.5)], ['psp|p50', jitter(server)],
      ['network|gap', jitter(wire, 0.2)], ['network|client-mean', jitter(call)], ['network|server-mean', jitter(server)],
    ]));
  }
  return { window: w, faultStart };
}

test('a slow provider: the provider dependency of payments ranks first, the network is not involved', () => {
  const { window, faultStart } = scenario('provider');
  const f = analyseWindow(window, 'a1', faultStart + 2, faultStart - 120);
  assert.equal(f.causes[0]!.candidate, 'payment-provider', f.summary);
  assert.equal(f.network.involved, false, f.network.text);
  assert.match(f.summary, /^payments -> provider calls: p\d\d .*x baseline since .*; network: not involved \(provider calls [12]\.\d s measured by payments vs [12]\.\d s served by the provider: network share [\d.]+ ms/);
});

test('a slow network between payments and the provider: the network ranks first and is involved', () => {
  const { window, faultStart } = scenario('network');
  const f = analyseWindow(window, 'a2', faultStart + 2, faultStart - 120);
  assert.equal(f.causes[0]!.candidate, 'network', f.summary);
  assert.equal(f.network.involved, true, f.network.text);
  assert.match(f.summary, /network: INVOLVED/);
});

test('CPU burnt in the payments process: payments ranks first, not the database its stalled loop timed slower', () => {
  const { window, faultStart } = scenario('payments-cpu');
  const f = analyseWindow(window, 'a3', faultStart + 2, faultStart - 120);
  assert.equal(f.causes[0]!.candidate, 'payments', f.summary);
  assert.notEqual(f.network.involved, true, f.network.text);
  assert.match(f.summary, /^payments: /);
});

test('another process stalling does not excuse a slow network between payments and the provider', () => {
  const { window, faultStart } = scenario('control-stall');
  const f = analyseWindow(window, 'a4', faultStart + 2, faultStart - 120);
  assert.equal(f.causes[0]!.candidate, 'network', f.summary);
  assert.equal(f.network.involved, true, f.network.text);
});

const faultSet = (subject: string, faultStart: number): ChangeMention => ({
  id: 1, at: new Date((faultStart - 4) * 1000).toISOString(), kind: 'fault.set', subject, summary: `fault ${subject} set`, secondsBeforeSignal: 4,
});

test('the change prior: a change just before the first signal ranks its candidate first when its own metrics moved, and only then', () => {
  const { window, faultStart } = scenario('database-and-provider');
  const plain = analyseWindow(window, 'a5', faultStart + 2, faultStart - 120);
  assert.equal(plain.causes[0]!.candidate, 'database', plain.summary);
  const provider = plain.causes.find((c) => c.candidate === 'payment-provider')!;
  assert.ok(provider.score >= CHANGE_PRIOR_MIN_SCORE, `the provider moved: ${provider.score}`);
  assert.equal(plain.changePrior, undefined);

  const withChange = analyseWindow(window, 'a6', faultStart + 2, faultStart - 120, undefined, [faultSet('psp.latency', faultStart)]);
  assert.equal(withChange.causes[0]!.candidate, 'payment-provider', withChange.summary);
  assert.deepEqual(withChange.changePrior, { candidate: 'payment-provider', change: 'fault psp.latency set', score: provider.score, wasRank: plain.causes.indexOf(provider) + 1 });
  assert.match(withChange.summary, /^payments -> provider calls: .*\(ranked first for the change just before the first signal; by its metrics alone #\d\)/);

  // a change on a candidate whose metrics did not move does not outrank the evidence
  const quiet = analyseWindow(window, 'a7', faultStart + 2, faultStart - 120, undefined, [faultSet('storefront.latency', faultStart)]);
  assert.equal(quiet.causes[0]!.candidate, 'database', quiet.summary);
  assert.equal(quiet.changePrior, undefined);
});

test('an earlier incident is not a baseline: with its readings left out, the same provider delay again ranks the provider first', () => {
  const { window, faultStart } = scenario('provider-again');
  const earlier = [{ from: faultStart - 80, to: faultStart - 40 + 30 }];
  const f = analyseWindow(withoutPeriods(window, earlier), 'a8', faultStart + 2, faultStart - 120);
  assert.equal(f.causes[0]!.candidate, 'payment-provider', f.summary);
  // with them, a third of the baseline is the earlier delay and the provider barely scores
  const raw = analyseWindow(window, 'a9', faultStart + 2, faultStart - 120);
  const provider = raw.causes.find((c) => c.candidate === 'payment-provider');
  assert.ok(!provider || provider.score < f.causes[0]!.score / 10, `provider ${provider?.score} with the earlier incident in the baseline, ${f.causes[0]!.score} without`);
});
