import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankRootCauses } from './root-cause-ranker.ts';
import { detectChangePoint } from './change-point.ts';
import type { MetricSeries, Telemetry } from './time-series.ts';

// A small synthetic system: readings every 10 s, 60 healthy readings then 20 under the fault.
const STEP = 10;
const T0 = 1_700_000_000;
const BASE = 60;
const FAULT = 20;
const N = BASE + FAULT;
const INJECT = T0 + BASE * STEP;
const timestamps = Array.from({ length: N }, (_, i) => T0 + i * STEP);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

interface ServiceSpec {
  latency: number; // seconds
  workload: number; // requests per interval
}

const SYSTEM: Record<string, ServiceSpec> = {
  frontend: { latency: 0.2, workload: 3000 },
  cart: { latency: 0.03, workload: 1200 },
  payments: { latency: 0.08, workload: 300 },
  catalog: { latency: 0.02, workload: 2500 },
  db: { latency: 0.004, workload: 6000 },
};

interface Effects {
  /** per service: multiplier of latency per fault reading index (0..FAULT-1) */
  latency?: Record<string, (i: number) => number>;
  /** multiplier of every service's traffic per fault reading */
  traffic?: (i: number) => number;
  success?: Record<string, (i: number) => number>;
  cpu?: Record<string, (i: number) => number>;
}

/** The test mutates series in place; the ranker itself never does. */
type Mutable = { values: number[] };
const mutable = (s: MetricSeries | undefined) => s as unknown as Mutable;

function system(effects: Effects, seed = 7): Telemetry {
  const r = rng(seed);
  const series: MetricSeries[] = [];
  for (const [service, spec] of Object.entries(SYSTEM)) {
    const lat: number[] = [];
    const p90: number[] = [];
    const wl: number[] = [];
    const ok: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < N; i++) {
      const f = i - BASE;
      const traffic = f >= 0 ? (effects.traffic?.(f) ?? 1) : 1;
      const slow = f >= 0 ? (effects.latency?.[service]?.(f) ?? 1) : 1;
      const load = spec.workload * traffic;
      wl.push(Math.max(0, Math.round(load + Math.sqrt(load) * gauss(r))));
      const l = spec.latency * slow * (1 + 0.04 * gauss(r));
      lat.push(l);
      p90.push(l * (1.8 + 0.1 * gauss(r)));
      ok.push(f >= 0 && effects.success?.[service] ? effects.success[service]!(f) : 1 - Math.abs(0.0005 * gauss(r)));
      cpu.push(0.3 * traffic * (f >= 0 ? (effects.cpu?.[service]?.(f) ?? 1) : 1) * (1 + 0.05 * gauss(r)));
    }
    series.push(
      { service, metric: 'latency', timestamps, values: lat },
      { service, metric: 'latency-90', timestamps, values: p90 },
      { service, metric: 'workload', timestamps, values: wl },
      { service, metric: 'success-rate', timestamps, values: ok },
      { service, metric: 'cpu', timestamps, values: cpu },
    );
  }
  return { series };
}

test('a clear single-service latency fault ranks that service first, with evidence', () => {
  // payments slows 6x; its callers (frontend) inherit part of it
  const t = system({ latency: { payments: () => 6, frontend: () => 1.5 } });
  const r = rankRootCauses(t, { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'payments');
  const ev = r.ranked[0]!.evidence[0]!;
  assert.equal(ev.kind, 'latency');
  assert.equal(ev.direction, 'up');
  assert.ok(ev.score > 10, `score ${ev.score}`);
  assert.ok(ev.ratio! > 4);
  assert.equal(ev.onset, INJECT);
  assert.equal(r.ranked[0]!.firstToChange, true);
  assert.equal(r.injectTimeSource, 'given');
  assert.ok(r.confidence! > 0.5, `confidence ${r.confidence}`);
  assert.equal(r.faultClass, 'delay');
});

test('a pure traffic surge raising every latency in proportion is not blamed on anyone with confidence', () => {
  const surge = (i: number) => 1 + 2 * Math.min(1, (i + 1) / 4); // ramps to 3x traffic
  const latency = Object.fromEntries(Object.keys(SYSTEM).map((s) => [s, surge]));
  const r = rankRootCauses(system({ traffic: surge, latency }), { injectTime: INJECT });
  assert.ok(r.confidence! < 0.3, `confidence ${r.confidence}`);
  assert.ok(r.ranked[0]!.score < 10, `top score ${r.ranked[0]!.score} (${r.ranked[0]!.service})`);
  // and it reads like a calm system, not like a fault
  const calm = rankRootCauses(system({}), { injectTime: INJECT });
  assert.ok(calm.confidence! < 0.3, `calm confidence ${calm.confidence}`);
});

test('a service degrading under a surge is still found (the incident this project is about)', () => {
  const surge = () => 3;
  const latency: Record<string, (i: number) => number> = Object.fromEntries(Object.keys(SYSTEM).map((s) => [s, () => 1.5]));
  latency.payments = () => 12;
  const r = rankRootCauses(system({ traffic: surge, latency }), { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'payments');
});

test('missing values are tolerated', () => {
  const t = system({ cpu: { cart: () => 4 } }, 11);
  const r0 = rng(3);
  for (const s of t.series) {
    mutable(s).values = s.values.map((v) => (r0() < 0.15 ? NaN : v));
  }
  // one series missing from the baseline entirely, another absent in the fault window
  mutable(t.series[0]).values = t.series[0]!.values.map((v, i) => (i < BASE ? NaN : v));
  mutable(t.series[1]).values = t.series[1]!.values.map((v, i) => (i >= BASE ? NaN : v));
  const r = rankRootCauses(t, { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'cart');
  assert.equal(r.ranked[0]!.evidence[0]!.kind, 'cpu');
  for (const s of r.ranked) assert.ok(Number.isFinite(s.score), `${s.service} score ${s.score}`);
  assert.ok(Number.isFinite(r.confidence));
});

test('a falling success rate is evidence, a rising one is not', () => {
  const down = rankRootCauses(system({ success: { catalog: () => 0.9 } }), { injectTime: INJECT });
  assert.equal(down.ranked[0]!.service, 'catalog');
  assert.equal(down.ranked[0]!.evidence[0]!.kind, 'success');
  assert.equal(down.ranked[0]!.evidence[0]!.direction, 'down');
  assert.equal(down.faultClass, 'error');
  // a success rate that was a bit low and recovers to 1 is good news, not a cause
  const t = system({});
  const cat = mutable(t.series.find((s) => s.service === 'catalog' && s.metric === 'success-rate'));
  cat.values = cat.values.map((v, i) => (i < BASE ? 0.97 + 0.002 * Math.sin(i) : 1));
  const up = rankRootCauses(t, { injectTime: INJECT });
  const catalog = up.ranked.find((s) => s.service === 'catalog')!;
  assert.ok(catalog.score < 3, `catalog score ${catalog.score}`);
});

test('a single spike is not a sustained change', () => {
  const r = rankRootCauses(system({ latency: { cart: (i) => (i === 5 ? 20 : 1), db: () => 3 } }), { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'db');
});

test('latency inherited from slow outgoing calls (client-latency) counts against the callee, not the caller', () => {
  const t = system({ latency: { db: () => 5, frontend: () => 3 } });
  const ts = timestamps;
  const r0 = rng(5);
  // the frontend reports the latency of the calls it makes; they slowed as much as its own latency
  t.series.push({ service: 'frontend', metric: 'client-latency-90', timestamps: ts, values: ts.map((_, i) => 0.15 * (i >= BASE ? 3 : 1) * (1 + 0.04 * gauss(r0))) });
  // make the frontend's own rise look bigger in robust units than the db's
  const fe = mutable(t.series.find((s) => s.service === 'frontend' && s.metric === 'latency'));
  fe.values = fe.values.map((v, i) => (i < BASE ? 0.2 + 0.0005 * Math.sin(i) : v));
  const r = rankRootCauses(t, { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'db');
  const frontend = r.ranked.find((s) => s.service === 'frontend')!;
  assert.ok(frontend.evidence.some((e) => e.notes?.some((n) => n.includes('inherited'))));
});

test('a traffic surge to one service alone is an anomaly of that service (overload)', () => {
  const t = system({});
  const wl = mutable(t.series.find((s) => s.service === 'db' && s.metric === 'workload'));
  wl.values = wl.values.map((v, i) => (i >= BASE ? v * 4 : v));
  const r = rankRootCauses(t, { injectTime: INJECT });
  assert.equal(r.ranked[0]!.service, 'db');
  assert.equal(r.faultClass, 'overload');
});

test('without an inject time the fault start is detected', () => {
  const t = system({ latency: { payments: () => 6 } });
  const cp = detectChangePoint(t);
  assert.ok(cp && Math.abs(cp.time - INJECT) <= STEP, `detected ${cp?.time} vs ${INJECT}`);
  const r = rankRootCauses(t);
  assert.equal(r.injectTimeSource, 'detected');
  assert.equal(r.ranked[0]!.service, 'payments');
});

test('every service appears in the ranking, even one with no usable metric', () => {
  const t = system({ latency: { payments: () => 6 } });
  t.series.push({ service: 'idle', metric: 'latency', timestamps, values: timestamps.map(() => NaN) });
  const r = rankRootCauses(t, { injectTime: INJECT });
  assert.deepEqual(new Set(r.ranked.map((s) => s.service)), new Set([...Object.keys(SYSTEM), 'idle']));
  assert.equal(r.ranked.at(-1)!.score, 0);
});

// A second, differently shaped system, as in the RCAEval datasets: one reading per second, ten minutes of
// baseline then five of fault, metrics cpu / mem / latency-50 / latency-90 / workload, a call chain
// frontend -> checkout -> payment -> db, so callers inherit a callee's added latency.
function chain(fault: { kind: 'cpu' | 'mem' | 'delay'; service: string }, seed: number): { t: Telemetry; inject: number } {
  const r = rng(seed);
  const base = 600;
  const n = base + 300;
  const t0 = 1_690_000_000;
  const ts = Array.from({ length: n }, (_, i) => t0 + i);
  const order = ['frontend', 'checkout', 'payment', 'db', 'cart', 'catalog'];
  const ownLatency: Record<string, number> = { frontend: 0.02, checkout: 0.02, payment: 0.03, db: 0.005, cart: 0.01, catalog: 0.015 };
  const calls: Record<string, string[]> = { frontend: ['checkout', 'cart', 'catalog'], checkout: ['payment'], payment: ['db'] };
  const series: MetricSeries[] = [];
  const latencyAt = (s: string, i: number): number => {
    const faulty = i >= base && fault.service === s;
    let own = ownLatency[s]! * (faulty && fault.kind === 'cpu' ? 1.6 : 1) + (faulty && fault.kind === 'delay' ? 0.2 : 0);
    for (const c of calls[s] ?? []) own += latencyAt(c, i) * (s === 'frontend' ? 0.3 : 1);
    return own;
  };
  for (const s of order) {
    const cpu: number[] = [];
    const mem: number[] = [];
    const p50: number[] = [];
    const p90: number[] = [];
    const wl: number[] = [];
    for (let i = 0; i < n; i++) {
      const faulty = i >= base && fault.service === s;
      cpu.push((faulty && fault.kind === 'cpu' ? 0.9 : 0.15) * (1 + 0.08 * gauss(r)));
      mem.push(200e6 * (1 + 0.01 * gauss(r)) + (faulty && fault.kind === 'mem' ? (i - base) * 1e6 : 0));
      const l = latencyAt(s, i);
      p50.push(l * (1 + 0.06 * gauss(r)));
      p90.push(l * 2 * (1 + 0.1 * gauss(r)));
      wl.push(Math.max(0, Math.round(40 + Math.sqrt(40) * gauss(r))));
    }
    series.push(
      { service: s, metric: 'cpu', timestamps: ts, values: cpu },
      { service: s, metric: 'mem', timestamps: ts, values: mem },
      { service: s, metric: 'latency-50', timestamps: ts, values: p50 },
      { service: s, metric: 'latency-90', timestamps: ts, values: p90 },
      { service: s, metric: 'workload', timestamps: ts, values: wl },
    );
  }
  return { t: { series }, inject: t0 + base };
}

test('generalises to 1-second readings with cpu, memory and delay faults down a call chain', () => {
  let seed = 100;
  for (const kind of ['cpu', 'mem', 'delay'] as const) {
    for (const service of ['payment', 'checkout', 'db']) {
      const { t, inject } = chain({ kind, service }, seed++);
      const r = rankRootCauses(t, { injectTime: inject });
      assert.equal(r.ranked[0]!.service, service, `${kind} fault in ${service}: ranked ${r.ranked.slice(0, 3).map((x) => x.service).join(', ')}`);
      const detected = rankRootCauses(t);
      assert.equal(detected.ranked[0]!.service, service, `${kind} fault in ${service}, fault start detected`);
    }
  }
});

test('the service that changed first leads a near-tie with those that changed after it', () => {
  const r = rng(42);
  const n = 200;
  const ts = Array.from({ length: n }, (_, i) => T0 + i * 5);
  const inject = ts[120]!;
  // the cause degrades at the fault start; its caller only a minute later, but looks a bit worse
  const root = ts.map((x) => 0.05 * (x >= inject ? 2 : 1) * (1 + 0.05 * gauss(r)));
  const caller = ts.map((x) => 0.2 * (x >= inject + 60 ? 2.6 : 1) * (1 + 0.05 * gauss(r)));
  const t: Telemetry = { series: [
    { service: 'root', metric: 'latency', timestamps: ts, values: root },
    { service: 'caller', metric: 'latency', timestamps: ts, values: caller },
  ] };
  const plain = rankRootCauses(t, { injectTime: inject, settings: { onsetTieShare: 0 } });
  assert.equal(plain.ranked[0]!.service, 'caller', 'by size alone the caller leads');
  const ranked = rankRootCauses(t, { injectTime: inject });
  assert.equal(ranked.ranked[0]!.service, 'root');
  assert.equal(ranked.ranked[0]!.firstToChange, true);
  assert.equal(ranked.ranked[0]!.onset, inject);
  assert.equal(ranked.ranked[1]!.onset, inject + 60);
});

test('a latency whose baseline is all zeros is judged against the latency floor, not infinitely far off', () => {
  // "database" query latency with the callers' stalls taken out reads exactly 0 before the fault and a
  // quarter of a millisecond after (noise); "payment-provider" went from 10 ms to 2 s
  const timestamps = Array.from({ length: 120 }, (_, i) => i);
  const injectTime = 90;
  const at = (before: (i: number) => number, after: (i: number) => number) => timestamps.map((i) => (i < injectTime ? before(i) : after(i)));
  const t = { series: [
    { service: 'database', metric: 'latency-p50-query-orders.get', timestamps, values: at(() => 0, () => 0.00025) },
    { service: 'payment-provider', metric: 'latency-p50', timestamps, values: at((i) => 0.01 + 0.0005 * (i % 3), () => 2) },
  ] };
  const unfloored = rankRootCauses(t, { injectTime });
  assert.equal(unfloored.ranked[0]!.score, Number.POSITIVE_INFINITY, 'without a floor a zero-spread baseline makes any reading infinite');
  const r = rankRootCauses(t, { injectTime, settings: { latencyScaleFloor: 1e-4 } });
  assert.equal(r.ranked[0]!.service, 'payment-provider');
  const db = r.ranked.find((x) => x.service === 'database')!;
  assert.ok(Number.isFinite(db.score) && db.score <= 2.5, `database score ${db.score}`);
});
