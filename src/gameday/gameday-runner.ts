// One game day: the shop (started here, or given), the load profile run by the load generator, the faults
// set and cleared on schedule, the steady-state probes checked before the first fault and after the
// recovery, abort conditions watched each second, and the rollback (every fault of the method cleared)
// on every way out: the end, a failure, an abort, Ctrl-C. Then the orders and the provider's ledger are
// counted and the scorecard is built.
import os from 'node:os';
import { isBuiltin, runLoadTest, type ProgressSink, type RunResult, type ScenarioSource } from '../loadtest/index.ts';
import type { Experiment, Probe } from './experiment.ts';
import { startOwnDeployment } from './own-deployment.ts';
import { buildScorecard, type ProbeReading, type RunRecord, type Scorecard, type TimelineEvent } from './scorecard.ts';
import { ShopApi, type ShopUrls } from './shop-api.ts';
import { ShopObserver } from './shop-observer.ts';
import { everyWithoutOverlap, sharedReading } from './single-flight.ts';

export interface GamedayOptions {
  experiment: Experiment;
  /** A running shop; without it the game day starts its own deployment. */
  target?: { urls: ShopUrls; adminToken: string };
  /** The provider accounts' secret keys for a target's ledgers (a deployment of the game day's own has its own). */
  pspKeys: string[];
  cliPath: string;
  /** Where the output of the game day's own deployment is written when it stops: always, or only when the run failed. */
  deploymentLog?: { file: string; always: boolean };
  /** Aborting stops the run early (Ctrl-C); the rollback and clean-up still run. */
  signal: AbortSignal;
  log: (line: string) => void;
  workers?: number;
}

/** An order waiting for payment longer than this is backlog (a payment takes well under a second when all is well). */
const BACKLOG_AFTER_MS = 10_000;
/** How long one shopper may be in flight: a minute or two queued, two minutes waiting for payment, the journey itself. */
const MAX_SECONDS_IN_FLIGHT = 240;

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
});

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function scenarioSource(name: string): ScenarioSource {
  return isBuiltin(name) ? { kind: 'builtin', name } : { kind: 'file', path: name };
}

export async function runGameday(opts: GamedayOptions): Promise<Scorecard> {
  if (opts.target) return runAgainst(opts, opts.target.urls, opts.target.adminToken, opts.pspKeys, false);
  const deployment = await startOwnDeployment({
    cliPath: opts.cliPath, autoscale: opts.experiment.deployment.autoscale, env: opts.experiment.deployment.env, log: opts.log, signal: opts.signal,
    ...(opts.deploymentLog ? { keepLogAtOnFailure: opts.deploymentLog.file } : {}),
  });
  let card: Scorecard | undefined;
  try {
    opts.log(`the shop is ready: storefront ${deployment.urls.storefront}, control ${deployment.urls.control}`);
    card = await runAgainst(opts, deployment.urls, deployment.adminToken, deployment.pspKeys, true);
    return card;
  } finally {
    opts.log('stopping the shop this game day started');
    const keepLog = opts.deploymentLog && (opts.deploymentLog.always || !card?.passed || opts.signal.aborted);
    await deployment.stop(keepLog ? { keepLogAt: opts.deploymentLog!.file } : {});
    if (keepLog) opts.log(`the shop's output: ${opts.deploymentLog!.file}`);
  }
}

async function runAgainst(opts: GamedayOptions, urls: ShopUrls, adminToken: string, pspKeys: string[], ownDeployment: boolean): Promise<Scorecard> {
  const { experiment: e, log } = opts;
  const startedAt = Date.now();
  const loadAverageAtStart = os.loadavg()[0]!;
  const api = new ShopApi(urls, adminToken, pspKeys);
  let loadStartMs: number | null = null;
  const at = (ms: number) => (loadStartMs === null ? '[-:--]' : `[${clock(ms - loadStartMs)}]`);
  const observer = new ShopObserver(api, () => experimentStartMs, (ev) => log(`${at(ev.at)} ${ev.label}`));
  const faultNames = [...new Set(e.method.faults.map((f) => f.fault))];
  const lastFaultEnd = Math.max(0, ...e.method.faults.map((f) => f.start + f.duration));
  const active = new Set<string>();
  const timers: NodeJS.Timeout[] = [];
  let experimentStartMs = startedAt;
  let faultStartMs: number | null = null;
  let faultEndMs: number | null = null;
  let aborted: string | null = null;
  const stopLoad = new AbortController();
  const onCancel = () => { aborted ??= 'interrupted (Ctrl-C or SIGTERM): the faults were cleared and the run stopped'; stopLoad.abort(); };
  opts.signal.addEventListener('abort', onCancel, { once: true });
  if (opts.signal.aborted) onCancel();

  const rollback = async (why: string) => {
    for (const t of timers) clearTimeout(t);
    // Every fault of the method, set or not: one set by an earlier, killed run is cleared too.
    const results = await Promise.allSettled(faultNames.map((name) => api.clearFault(name)));
    const now = Date.now();
    results.forEach((r, i) => {
      const name = faultNames[i]!;
      if (r.status === 'rejected') log(`rollback: clearing ${name} failed: ${(r.reason as Error).message} (its time to live clears it)`);
      else if (active.delete(name)) {
        faultEndMs = now;
        observer.add({ at: now, kind: 'fault.cleared', label: `fault ${name} cleared (${why})` });
      }
    });
  };

  // The backlog: orders of the run that have waited for payment longer than a payment takes when all is well.
  // One count on the shop (GET /api/admin/orders/count), read at most once a second and shared by the
  // abort conditions, the recovery check and the probes: the game day adds little load to the shop it tests.
  const ordersUnsettled = sharedReading(() => api.countOrders('pending_payment', startedAt, Date.now() - BACKLOG_AFTER_MS), 1000);
  const faultsOver = () => faultStartMs !== null && active.size === 0 && Date.now() - loadStartMs! >= lastFaultEnd * 1000;
  /** Recovered: every fault cleared, no alert firing, the backlog drained (the first moment all three hold). */
  const checkRecovered = async () => {
    if (recoveredAtMs !== null || !faultsOver() || lastFaultEnd >= e.duration - 1) return;
    await observer.poll();
    if (observer.now.firing.length) return;
    if ((await ordersUnsettled().catch(() => -1)) !== 0) return;
    recoveredAtMs = Date.now();
    log(`${at(recoveredAtMs)} recovered: every fault cleared, no alert firing, no order waiting for payment longer than ${BACKLOG_AFTER_MS / 1000} s`);
  };
  const readProbes = async (probes: Probe[]): Promise<ProbeReading[]> => Promise.all(probes.map(async (p) => {
    let value: number | null;
    try { value = await observer.measure(p.measure, p.window, ordersUnsettled); } catch (err) {
      return { name: p.name, measure: p.measure, max: p.max, value: null, held: false, why: `could not be measured: ${(err as Error).message}` };
    }
    if (value === null) return { name: p.name, measure: p.measure, max: p.max, value, held: false, why: 'nothing to measure (no responses in its window)' };
    const held = value <= p.max;
    return { name: p.name, measure: p.measure, max: p.max, value: Number(value.toFixed(4)), held, ...(held ? {} : { why: `${p.measure} was ${Number(value.toFixed(4))}, above its tolerance ${p.max}` }) };
  }));

  if (e.warmUp > 0 && !opts.signal.aborted) {
    log(`warming up: ${e.warmUp} s at ${e.method.load.startRate}/s (not scored)`);
    await runLoadTest({
      source: scenarioSource(e.method.load.scenario), targetUrl: urls.storefront, allowRemote: true, workers: opts.workers ?? 1, signal: stopLoad.signal,
      load: { executor: 'constant-arrival-rate', rate: e.method.load.startRate, duration: e.warmUp }, gracefulStopSec: 5,
    }).catch((err: Error) => log(`the warm-up failed: ${err.message}`));
  }
  // What happened during the warm-up is not the experiment's: its timeline starts now.
  experimentStartMs = Date.now();
  let load: RunResult | null = null;
  let loadError: string | undefined;
  let loadEndMs: number | null = null;
  let probesBefore: ProbeReading[] = [];
  let probesAfter: ProbeReading[] = [];
  let recoveredAtMs: number | null = null;
  let backlogDrainedAtMs: number | null = null;
  const notRecovered: string[] = [];
  try {
    observer.start();
    const firstFault = Math.min(...e.method.faults.map((f) => f.start));
    const abortSince = new Map<number, number>();
    let stopTicker: (() => void) | undefined;
    const progress: ProgressSink = {
      start: () => {
        loadStartMs = Date.now();
        log(`[0:00] load started: ${e.method.load.scenario}, ${e.method.load.startRate}/s → ${Math.max(...e.method.load.stages.map((s) => s.target))}/s over ${e.duration} s`);
        for (const f of e.method.faults) {
          timers.push(setTimeout(() => {
            if (stopLoad.signal.aborted) return;
            api.setFault(f.fault, f.params, f.duration + 30).then(() => {
              const now = Date.now();
              faultStartMs ??= now;
              active.add(f.fault);
              observer.add({ at: now, kind: 'fault.set', label: `fault ${f.fault} set ${JSON.stringify(f.params)} for ${f.duration} s` });
            }, (err: Error) => log(`setting ${f.fault} failed: ${err.message}`));
          }, f.start * 1000));
          timers.push(setTimeout(() => {
            api.clearFault(f.fault).then(() => {
              if (!active.delete(f.fault)) return;
              faultEndMs = Date.now();
              observer.add({ at: faultEndMs, kind: 'fault.cleared', label: `fault ${f.fault} cleared (its duration ended)` });
            }, (err: Error) => log(`clearing ${f.fault} failed: ${err.message}`));
          }, (f.start + f.duration) * 1000));
        }
        // the steady-state hypothesis, just before the first fault (or at the end of a method without one)
        timers.push(setTimeout(() => {
          void readProbes(e.steadyState).then((r) => {
            probesBefore = r;
            for (const p of r) log(`${at(Date.now())} steady state before the faults: ${p.name} ${p.held ? 'holds' : `does NOT hold: ${p.why}`}`);
          });
        }, Math.max(0, (Number.isFinite(firstFault) ? firstFault : e.duration) - 1) * 1000));
        // A tick still running on a slow shop is not overlapped by the next (that would add admin load to
        // the system under test): the next one is skipped.
        stopTicker = everyWithoutOverlap(1000, async () => {
          const elapsed = Date.now() - loadStartMs!;
          for (const [i, a] of e.abort.entries()) {
            const v = await observer.measure(a.measure, 10, ordersUnsettled).catch(() => null);
            if (v !== null && v > a.above) {
              const from = abortSince.get(i) ?? Date.now();
              abortSince.set(i, from);
              if (Date.now() - from >= a.for * 1000 && !aborted) {
                aborted = `abort condition: ${a.measure} above ${a.above} for ${a.for} s (${Number(v.toFixed(4))})`;
                observer.add({ at: Date.now(), kind: 'abort', label: aborted });
                stopLoad.abort();
              }
            } else abortSince.delete(i);
          }
          await checkRecovered();
          if (Math.round(elapsed / 1000) % 5 === 0) {
            const p = observer.points.at(-1)?.p;
            const errors = p ? p.errors.status + p.errors.timeout + p.errors.connection : 0;
            const replicas = Object.entries(observer.now.replicas).filter(([r]) => r === 'storefront' || r === 'payments').map(([r, n]) => `${r} ${n}`).join(', ');
            log(`[${clock(elapsed)}] ${p ? `${p.planned.toFixed(1)}/s planned, ${(p.responses / p.width).toFixed(1)} responses/s, ${errors} errors, p99 ${p.p99 === null ? '-' : `${Math.round(p.p99)} ms`}` : 'starting'}`
              + ` · faults: ${active.size ? [...active].join(', ') : 'none'} · alerts firing: ${observer.now.firing.length}${replicas ? ` · replicas: ${replicas}` : ''}${observer.now.queueing ? ' · waiting room queueing' : ''}`);
          }
        });
      },
      tick: () => {},
      stop: () => { stopTicker?.(); },
    };
    try {
      load = await runLoadTest({
        source: scenarioSource(e.method.load.scenario),
        targetUrl: urls.storefront,
        // Room for every shopper in flight: queued in a waiting room for a minute or more, or waiting up to
        // two minutes for payment (the load tester's default sizes for think time, and arrivals beyond it
        // would be dropped unseen by the shop).
        load: {
          executor: 'ramping-arrival-rate', startRate: e.method.load.startRate, stages: e.method.load.stages,
          maxVUs: Math.ceil(Math.max(e.method.load.startRate, ...e.method.load.stages.map((s) => s.target)) * MAX_SECONDS_IN_FLIGHT),
        },
        workers: opts.workers ?? 1,
        requestObjectiveMs: e.method.load.requestObjectiveMs,
        allowRemote: true,
        signal: stopLoad.signal,
        progress,
        onPoint: (p) => observer.points.push({ at: Date.now(), p }),
        // the game day ends the run on schedule; a shopper still waiting for payment then is not an error
        gracefulStopSec: 5,
      });
    } catch (err) {
      loadError = (err as Error).message;
      log(`the load test failed: ${loadError}`);
    }
    stopTicker?.();
    loadEndMs = Date.now();
    await rollback(aborted ? 'rollback after the abort' : 'rollback at the end of the method');

    // Recovery, if it did not come while the load ran: wait for it a while. Faults that lasted until the
    // end of the load (cleared by the rollback) leave no recovery to time, only the backlog to drain.
    if (!opts.signal.aborted) {
      const deadline = Date.now() + e.recoveryTimeout * 1000;
      // faults scheduled to the end of the method (or cut short by an abort) leave no time at baseline to recover in
      const faultsToTheEnd = faultStartMs !== null && loadStartMs !== null && (lastFaultEnd >= e.duration - 1 || loadEndMs - loadStartMs < lastFaultEnd * 1000);
      if (faultsToTheEnd) notRecovered.push(`the faults were in force until the load ended (${faultNames.join(', ')}; the rollback cleared them): nothing could recover during the run`);
      if (recoveredAtMs === null && faultStartMs !== null) {
        log(`${at(Date.now())} waiting for the ${faultsToTheEnd ? 'payment backlog to drain' : 'recovery (no alert firing, the payment backlog drained)'}; at most ${e.recoveryTimeout} s`);
        while (Date.now() < deadline && !opts.signal.aborted) {
          if (!faultsToTheEnd) await checkRecovered();
          if (recoveredAtMs !== null) break;
          if ((await ordersUnsettled().catch(() => -1)) === 0) { backlogDrainedAtMs ??= Date.now(); if (faultsToTheEnd) break; }
          await sleep(1000, opts.signal);
        }
        if (backlogDrainedAtMs !== null && faultsToTheEnd) log(`${at(backlogDrainedAtMs)} the payment backlog drained after the rollback`);
        if (recoveredAtMs === null) {
          await observer.poll();
          const firing = observer.now.firing;
          const unsettled = await ordersUnsettled().catch(() => -1);
          const afterLoad = Math.round((Date.now() - loadEndMs) / 1000);
          if (firing.length) notRecovered.push(`${firing.length} alert(s) still firing ${afterLoad} s after the load: ${firing.map((x) => `${x.name} (${x.service})`).join(', ')}`);
          if (unsettled > 0) notRecovered.push(`${unsettled} order(s) still waiting for payment ${afterLoad} s after the load (they stay in the durable queue and are paid once the provider answers)`);
          if (unsettled < 0) notRecovered.push('the orders could not be read');
          if (backlogDrainedAtMs !== null && faultsToTheEnd) notRecovered.push(`once the faults were cleared, the payment backlog drained within ${Math.max(0, Math.round((backlogDrainedAtMs - (faultEndMs ?? loadEndMs)) / 1000))} s: every order accepted settled`);
        }
      }
      probesAfter = await readProbes(e.steadyState);
      for (const p of probesAfter) log(`steady state after the recovery: ${p.name} ${p.held ? 'holds' : `does NOT hold: ${p.why}`}`);
    } else notRecovered.push('the run was interrupted before the recovery');
  } finally {
    observer.stop();
    await rollback('rollback');
    opts.signal.removeEventListener('abort', onCancel);
  }

  // The ledgers, after the rollback (a provider still failing would fail the listing too). The last
  // checkouts of the load are given a moment to be paid first.
  if ((recoveredAtMs !== null || backlogDrainedAtMs !== null) && !opts.signal.aborted) {
    const until = Date.now() + 30_000;
    while (Date.now() < until && (await api.countOrders('pending_payment', startedAt, Date.now() + 60_000).catch(() => 0)) > 0) await sleep(1000, opts.signal);
  }
  let orders: RunRecord['orders'];
  try {
    const list = await api.ordersSince(experimentStartMs);
    const byStatus: Record<string, number> = {};
    for (const o of list) byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
    orders = { byStatus };
  } catch (err) {
    orders = { error: (err as Error).message };
  }
  let ledger: RunRecord['ledger'];
  if (!urls.psp.length) ledger = { error: 'no provider ledger to read (--psp-url not given)' };
  else {
    try {
      const charges = new Map<string, number>();
      for (let i = 0; i < urls.psp.length; i++) {
        // since the game day started, warm-up included: no order of it may be charged twice either
        for (const intent of await api.intentsSince(i, startedAt)) {
          const order = intent.metadata?.order_id;
          if (intent.status === 'succeeded' && order) charges.set(order, (charges.get(order) ?? 0) + 1);
        }
      }
      const doubled = [...charges].filter(([, n]) => n > 1);
      ledger = { doubleCharges: doubled.length, chargedOrders: charges.size, doubleChargedOrders: doubled.map(([o]) => o) };
      log(`provider ledger: ${charges.size} orders charged, ${doubled.length} charged twice or more`);
    } catch (err) {
      ledger = { error: (err as Error).message };
    }
  }
  const events: TimelineEvent[] = observer.events;
  return buildScorecard({
    experiment: e, target: urls.storefront, ownDeployment, startedAt, loadStartMs, loadEndMs, faultStartMs, faultEndMs,
    events, load, ...(loadError ? { loadError } : {}), orders, ledger, recoveredAtMs, backlogDrainedAtMs, notRecovered, probesBefore, probesAfter, aborted,
    machine: { cpus: os.availableParallelism(), loadAverageAtStart: Number(loadAverageAtStart.toFixed(2)), loadAverageAtEnd: Number(os.loadavg()[0]!.toFixed(2)) },
  });
}
