// Live root-cause analysis on a synthetic window: a provider that slows (the calls and the provider's own
// serving time rise together: not the network) and a network that slows (the calls rise, the provider's
// serving time does not: the network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeriesWindow } from './series-window.ts';
import { analyseWindow } from './live-rca.ts';

let seed = 7;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
const jitter = (v: number, share = 0.1) => v * (1 + (rand() - 0.5) * 2 * share);

/** 120 s of baseline then 30 s of fault, one reading a second. */
function scenario(fault: 'provider' | 'network'): { window: SeriesWindow; faultStart: number } {
  const w = new SeriesWindow(3600);
  const t0 = 1_700_000_000;
  const faultStart = t0 + 120;
  for (let i = 0; i < 150; i++) {
    const t = t0 + i;
    const on = t >= faultStart + 2; // the first slow calls complete two seconds in
    const server = on && fault === 'provider' ? 2 : 0.012;
    const wire = on && fault === 'network' ? 0.6 : 0.002;
    const call = server + wire;
    w.push(t, new Map([
      ['storefront|p99', jitter(0.04)], ['storefront|p50', jitter(0.008)], ['storefront|err', 0], ['storefront|n', Math.round(jitter(14))],
      ['database|p99', jitter(0.02)], ['database|p50', jitter(0.002)], ['database|err', 0], ['database|n', Math.round(jitter(60))],
      ['payments|p99', jitter(0.3 + call)], ['payments|p50', jitter(0.05 + call)], ['payments|err', 0], ['payments|rate', 3], ['payments|n', 3],
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
