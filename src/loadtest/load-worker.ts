// A load-generating worker thread. It loads the scenario itself (functions cannot cross threads), runs
// its share of the schedule (open model: every N-th arrival of the global schedule; closed model: every
// N-th virtual user) against its own undici connection pool, and streams per-second buckets to the
// main thread. The main thread owns the clock: it sends one start instant (epoch ms) to all workers.
import { parentPort, workerData } from 'node:worker_threads';
import { ArrivalCursor, peakLevel, ratePlan, scheduleDuration, vusAt } from './arrival-schedule.ts';
import { compileScenario } from './compiled-scenario.ts';
import { HttpClient } from './http-dispatch.ts';
import { runIteration, type IterationOutcome, type RunnerContext } from './journey-runner.ts';
import { loadScenarioSpec } from './load-plan.ts';
import { isOpenModel } from './scenario-types.ts';
import { originGuard } from './target-guard.ts';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-protocol.ts';
import { WorkerRecorder } from './worker-recorder.ts';
import { ShopperTraces } from './shopper-trace.ts';
import { warmUp } from './worker-warm-up.ts';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: WorkerToMain) => port.postMessage(m);

async function main(): Promise<void> {
  const scenario = compileScenario(await loadScenarioSpec(init.source));
  const recorder = new WorkerRecorder(scenario.steps.map((s) => s.key));
  const target = new URL(init.targetUrl);
  const client = new HttpClient({ connectionsPerOrigin: Math.max(1, init.maxVUs), connectTimeoutMs: Math.min(init.timeoutMs, 10_000) });
  const load = init.load;
  const halted = { value: false };
  const draining = { value: false };
  const active = { requests: 0, iterations: 0 };
  const ctx: RunnerContext = {
    client, recorder, t0: 0, targetOrigin: target.origin, basePath: target.pathname.replace(/\/+$/, ''),
    timeoutMs: init.timeoutMs, originAllowed: originGuard(init.allowRemote), shared: {},
    budget: { remaining: init.maxRequests }, halted, draining, active,
    ...(scenario.spec.shopper ? { shopper: scenario.spec.shopper } : {}),
    ...(init.requestObjectiveMs !== undefined ? { requestObjectiveMs: init.requestObjectiveMs } : {}),
    ...(init.traceShoppers ? { shopperTraces: new ShopperTraces(init.traceShoppers) } : {}),
  };

  let stopping = false;
  let finished = false;
  let busy = 0;
  const timers: { flush?: NodeJS.Timeout; schedule?: NodeJS.Timeout | NodeJS.Immediate; manage?: NodeJS.Timeout; grace?: NodeJS.Timeout; hard?: NodeJS.Timeout } = {};
  const nowSec = () => Math.floor((performance.now() - ctx.t0) / 1000);

  const count = (outcome: IterationOutcome) => {
    const it = recorder.iterations;
    if (outcome === 'completed') it.completed++;
    else if (outcome === 'failed') it.failed++;
    else it.interrupted++;
    if (outcome === 'budget') stop();
  };

  const finish = () => {
    if (finished) return;
    finished = true;
    for (const t of [timers.flush, timers.manage, timers.grace, timers.hard]) if (t) clearTimeout(t);
    const upTo = nowSec() + 1;
    post({ type: 'done', index: init.index, upTo, seconds: recorder.flush(Number.POSITIVE_INFINITY), final: { ...recorder.final(), ...(ctx.shopperTraces ? { shoppers: { records: ctx.shopperTraces.records, dropped: ctx.shopperTraces.dropped } } : {}) } });
    void client.close().finally(() => port.close());
  };

  const hardStop = () => {
    halted.value = true;
    client.abortAll();
    // Aborted requests settle at once; finish even if one does not.
    timers.hard = setTimeout(finish, 2000);
    if (busy === 0) finish();
  };

  /** No new iterations; those in flight get the graceful stop period to finish. */
  function stop(): void {
    if (stopping) return;
    stopping = true;
    if (init.drain === 'requests') draining.value = true;
    if (timers.manage) clearInterval(timers.manage);
    if (busy === 0) { finish(); return; }
    timers.grace = setTimeout(hardStop, init.gracefulStopMs);
  }

  const iterationDone = (outcome: IterationOutcome) => {
    busy--;
    active.iterations = busy;
    count(outcome);
    if (stopping && busy === 0) finish();
  };

  function runOpen(): void {
    const plan = ratePlan(load);
    const cursor = new ArrivalCursor(plan, init.index, init.count);
    const maxVUs = Math.max(1, init.maxVUs);
    const freeVUs: number[] = [];
    let nextVU = 0;
    let index = cursor.index;
    let due = cursor.next();
    const tick = () => {
      timers.schedule = undefined;
      if (stopping) return;
      const now = performance.now();
      while (due !== undefined) {
        const dueAt = ctx.t0 + due * 1000;
        if (dueAt > now) break;
        const sec = Math.floor(due);
        if (ctx.budget.remaining <= 0) {
          recorder.budgetExhausted = true;
          stop();
          return;
        }
        if (busy < maxVUs) {
          recorder.scheduled(sec, true, (now - dueAt) * 1000);
          busy++;
          active.iterations = busy;
          const vu = freeVUs.pop() ?? nextVU++;
          const k = index;
          void runIteration(ctx, scenario.pickJourney(Math.random()), dueAt, vu, k).then((outcome) => {
            freeVUs.push(vu);
            iterationDone(outcome);
          });
        } else {
          // Every in-flight slot is taken: the iteration cannot start on time, so it is counted, not delayed.
          recorder.scheduled(sec, false, 0);
        }
        index = cursor.index;
        due = cursor.next();
      }
      if (due === undefined) {
        // The last arrival is out: the run still lasts its planned time (a slow last iteration is measured).
        const end = ctx.t0 + plan.duration * 1000 - performance.now();
        timers.schedule = setTimeout(stop, Math.max(0, end));
        return;
      }
      const delay = ctx.t0 + due * 1000 - performance.now();
      // Timers fire in whole milliseconds and never early, so the next arrival starts up to a millisecond
      // after its due time (recorded as start lag; its latency counts from the due time). Waiting out the
      // fraction on setImmediate instead kept the event loop spinning: at a few hundred arrivals a second
      // per worker the generator took a whole core from the shop it measured on a 2-core machine.
      timers.schedule = setTimeout(tick, Math.max(1, Math.ceil(delay)));
    };
    tick();
  }

  function runClosed(): void {
    const duration = scheduleDuration(load);
    const paceMs = (load.executor === 'constant-vus' || load.executor === 'ramping-vus') && load.pace ? load.pace * 1000 : 0;
    const running = new Set<number>();
    const journeyFor = () => scenario.pickJourney(Math.random());
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    const vuLoop = async (vu: number) => {
      running.add(vu);
      busy++;
      active.iterations = busy;
      let iteration = 0;
      try {
        while (!stopping && !halted.value) {
          const start = performance.now();
          const t = (start - ctx.t0) / 1000;
          if (t >= duration || vu >= vusAt(load, t)) break;
          if (ctx.budget.remaining <= 0) { recorder.budgetExhausted = true; stop(); break; }
          recorder.startedUnscheduled(Math.floor(t));
          const outcome = await runIteration(ctx, journeyFor(), start, vu, iteration++);
          count(outcome);
          if (paceMs) {
            const wait = start + paceMs - performance.now();
            if (wait > 1 && !stopping) await sleep(wait);
          }
        }
      } finally {
        running.delete(vu);
        busy--;
        active.iterations = busy;
        if (stopping && busy === 0) finish();
      }
    };
    const manage = () => {
      const t = (performance.now() - ctx.t0) / 1000;
      if (t >= duration) { stop(); return; }
      const target = vusAt(load, t);
      for (let vu = init.index; vu < target; vu += init.count) if (!running.has(vu)) void vuLoop(vu);
      recorder.concurrency(Math.floor(t), active.requests, running.size);
    };
    timers.manage = setInterval(manage, 50);
    manage();
  }

  port.on('message', (m: MainToWorker) => {
    if (m.type === 'start') {
      ctx.t0 = m.startAtEpochMs - performance.timeOrigin;
      ctx.shared = m.shared;
      timers.flush = setInterval(() => {
        const upTo = nowSec();
        post({ type: 'seconds', index: init.index, upTo, seconds: recorder.flush(upTo) });
      }, 500);
      const begin = () => (isOpenModel(load) ? runOpen() : runClosed());
      const wait = ctx.t0 - performance.now();
      if (wait > 0) setTimeout(begin, wait);
      else begin();
    } else if (m.type === 'stop') {
      stop();
      if (!m.graceful) hardStop();
    }
  });
  // A warm-up in proportion to the load: a few hundred iterations at low rates, thousands at high ones.
  const perWorker = isOpenModel(load) ? (peakLevel(load) / init.count) * Math.max(1, ...scenario.journeys.map((j) => j.steps.length)) : Number.POSITIVE_INFINITY;
  await warmUp(client, Math.round(Math.min(3000, Math.max(200, perWorker / 5)))).catch(() => {});
  post({ type: 'ready' });
}

main().catch((err: unknown) => {
  post({ type: 'failed', index: init.index, message: (err as Error).stack ?? String(err) });
});
