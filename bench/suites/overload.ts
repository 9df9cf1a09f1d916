// Suite "overload" (surge protection, docs/surge-protection.md): what the shop does at three times what it
// can serve. Two Holdfast instances (`--target all`, each with its own embedded PostgreSQL) run side by
// side, identical but for their protection: "protected" has its waiting room `on`, with limits derived
// from C; "unprotected" has it off. The capacity finder first finds C, the highest rate of `mixed`
// shopper journeys the unprotected shop serves within the SLO; then both are offered 3 × C (open model),
// alternating, and compared. The protected run goes on after the offered load stops until every shopper
// the room queued has been let in and has finished (bounded), so that every queued shopper's wait is
// measured to its end.
//
// Every figure comes from one record per shopper that the load tester keeps for this suite
// (src/loadtest/shopper-trace.ts, shopper-figures.ts): goodput by the shop's SLOs (DEFAULT_SLOS, the
// ones its alerts burn), latency per journey and per SLO, errors by status, and for queued shoppers their
// wait, the room's estimate on their first "still waiting" answer, and the order they were let in.
import os from 'node:os';
import path from 'node:path';
import { startHoldfast, type HoldfastInstance } from '../lib/holdfast.ts';
import { check, fmt, median, type Check, type Suite, type SuiteContext, type SuiteOutcome, type Table } from '../lib/suite.ts';
import { sleep } from '../lib/processes.ts';
import { findCapacity, runLoadTest, shopperFigures, type ShopperFigures, type SloRule } from '../../src/loadtest/index.ts';
import { DEFAULT_SLOS } from '../../src/control/index.ts';

const OVERLOAD_FACTOR = 3;
const GOODPUT_TARGET = 0.9;
const FIFO_INVERSIONS_MAX = 0.01;
const ESTIMATE_ERROR_MAX = 0.25;

/** The shop's latency SLOs for HTTP requests (browse 500 ms, cart 500 ms, checkout 1 s), as the load tester applies them. */
const SLO_RULES: SloRule[] = DEFAULT_SLOS.flatMap((s) => (s.source.kind === 'http' ? [{
  name: s.journey, ...(s.source.method ? { method: s.source.method } : {}), routePrefixes: s.source.routePrefixes,
  ...(s.source.excludePrefixes ? { excludePrefixes: s.source.excludePrefixes } : {}), thresholdMs: s.latency.thresholdSeconds * 1000,
}] : []));

/**
 * The waiting room of the protected shop, from C. The rate is what holds the admitted shoppers inside
 * the SLO: newUsersPerMinute lets in ADMIT_SHARE × C a second (paced over each synchronisation, so a surge's
 * first seconds do not take a whole minute's places). totalActiveUsers is not the limit that binds: it
 * is at least newUsersPerMinute (a rule of the settings), more than the shoppers let in at that rate are
 * counted inside at once (their journey, their session after it and, let in from the queue, the refresh
 * interval until they come back).
 */
const ADMIT_SHARE = 0.95;
const SESSION_SECONDS = 20;
const REFRESH_SECONDS = 20;
/** About how long a `mixed` journey takes at capacity: think times (0.2 to 1.5 s between steps) and answers. */
const JOURNEY_SECONDS = 3;

function roomSettings(c: number) {
  const perSecond = ADMIT_SHARE * c;
  const newUsersPerMinute = Math.max(1, Math.round(perSecond * 60));
  const totalActiveUsers = Math.max(newUsersPerMinute, Math.ceil(perSecond * (JOURNEY_SECONDS + SESSION_SECONDS + REFRESH_SECONDS)));
  return {
    mode: 'on', queueingMethod: 'fifo', totalActiveUsers, newUsersPerMinute, sessionDurationSeconds: SESSION_SECONDS,
    refreshIntervalSeconds: REFRESH_SECONDS, queueAll: false,
  } as const;
}

type Side = 'protected' | 'unprotected';
const SIDES: readonly Side[] = ['protected', 'unprotected'];
/**
 * The concurrency limit stays off on both sides: it measured worse than no limit (docs/surge-protection.md,
 * Request classes and shedding). The per-IP write limit is lifted, as in the checkout bench: every shopper
 * comes from the load generator's one address.
 */
const COMMON_ENV = { HOLDFAST_RATE_LIMIT_WRITES_PER_MINUTE: '100000000' };
const ENV: Record<Side, Record<string, string>> = {
  protected: { ...COMMON_ENV, HOLDFAST_CONCURRENCY_LIMIT_ENABLED: 'false' },
  unprotected: { ...COMMON_ENV, HOLDFAST_CONCURRENCY_LIMIT_ENABLED: 'false' },
};

interface RunFigures extends ShopperFigures {
  side: Side;
  round: number;
  /** Load average (1 min) when the run started. */
  loadAverage1m: number;
  offeredSec: number;
  elapsedSec: number;
  tracedDropped: number;
  /** The room as its ops view reported it after the run (protected side). */
  roomAfter?: { state: string; queuedUsers: number; activeUsers: number };
}

const ms = (v: number) => (Number.isFinite(v) ? `${fmt(v, v < 10 ? 2 : 0)} ms` : '-');
const pct = (v: number, digits = 1) => (Number.isFinite(v) ? `${fmt(v * 100, digits)}%` : '-');

async function putRoom(url: string, token: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/api/admin/waiting-room`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`PUT /api/admin/waiting-room answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer().catch(() => {});
}

async function roomView(url: string, token: string): Promise<{ state: string; queuedUsers: number; activeUsers: number }> {
  const res = await fetch(`${url}/api/ops/waiting-room`, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.json() as { state: string; queuedUsers: number; activeUsers: number };
  return { state: body.state, queuedUsers: body.queuedUsers, activeUsers: body.activeUsers };
}

async function run(ctx: SuiteContext): Promise<SuiteOutcome> {
  const { options } = ctx;
  const notes: string[] = [];
  const instances: Partial<Record<Side, HoldfastInstance>> = {};
  const token = `bench-overload-${process.pid}`;
  const overloadSec = options.quick ? 20 : 60;
  const loadAtStart = os.loadavg()[0]!;
  try {
    for (const side of SIDES) {
      ctx.progress(`overload: starting Holdfast --target all (${side})`);
      instances[side] = await startHoldfast({
        name: `overload-${side}`, targets: 'all', dataDir: path.join(ctx.scratchDir, side), log: ctx.progress, env: { ...ENV[side], HOLDFAST_ADMIN_TOKEN: token },
      });
    }
    if (options.capacity !== undefined) ctx.progress(`overload: C = ${options.capacity} journeys/s as given (--capacity); no search`);
    else ctx.progress('overload: finding the capacity C of the unprotected shop for the mixed journeys');
    const capacity = options.capacity !== undefined ? null : await findCapacity({
      source: { kind: 'builtin', name: 'mixed' }, targetUrl: instances.unprotected!.url,
      // Doubling from 40 journeys/s leaves steps to bisect between the last rate that held and the first
      // that broke (from 5, a quick run spent all eight steps doubling and C could be half the capacity).
      startRate: 40, stepDurationSec: options.quick ? 8 : 20, maxSteps: options.quick ? 8 : 12, warmupSec: options.quick ? 3 : 5,
      log: (line) => ctx.progress(`overload: ${line}`),
    });
    const c = options.capacity ?? capacity?.sustainableRate ?? null;
    if (c === null) throw new Error('the capacity finder found no rate the shop serves within the SLO');
    const offered = c * OVERLOAD_FACTOR;
    const room = roomSettings(c);
    await putRoom(instances.protected!.url, token, room);
    // Long enough for the queue to drain at the admission rate after the offered load stops, with a margin.
    const drainSec = Math.ceil(overloadSec * (OVERLOAD_FACTOR / ADMIT_SHARE - 1) * 2 + 3 * REFRESH_SECONDS + 30);
    ctx.progress(`overload: C = ${fmt(c, 1)} journeys/s; offering ${fmt(offered, 1)}/s for ${overloadSec} s per run; room ${JSON.stringify(room)}`);

    const runs: RunFigures[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      for (const side of round % 2 === 1 ? SIDES : [...SIDES].reverse()) {
        const loadAverage1m = os.loadavg()[0]!;
        const r = await runLoadTest({
          source: { kind: 'builtin', name: 'mixed' }, targetUrl: instances[side]!.url,
          // Every shopper may be in flight at once (queued shoppers stay in flight while they wait).
          load: { executor: 'constant-arrival-rate', rate: offered, duration: overloadSec, maxVUs: Math.ceil(offered * overloadSec) + 100 },
          gracefulStopSec: side === 'protected' ? drainSec : 30,
          traceShoppers: { sloRules: SLO_RULES, maxRecords: 1_000_000 },
        });
        const records = r.shoppers?.records ?? [];
        for (const w of r.generator.warnings) notes.push(`${side} round ${round}: load generator: ${w}`);
        if (records.length === 0) throw new Error(`${side} round ${round}: the load generator recorded no shopper (${r.generator.warnings.join('; ') || 'no warning'}): a run that measured nothing`);
        const f: RunFigures = {
          ...shopperFigures(records, SLO_RULES), side, round, loadAverage1m, offeredSec: overloadSec, elapsedSec: r.elapsedSec, tracedDropped: r.shoppers?.dropped ?? 0,
        };
        if (side === 'protected') f.roomAfter = await roomView(instances[side]!.url, token);
        runs.push(f);
        ctx.progress(`overload: ${side} round ${round} (load ${fmt(loadAverage1m, 1)}): goodput ${fmt(f.goodputPerSec, 1)}/s (${fmt(f.goodputPerSec / c, 2)} × C) over ${fmt(f.spanSec, 0)} s, `
          + `5xx ${f.fiveXx}, p99 ${SLO_RULES.map((s) => `${s.name} ${ms(f.slos[s.name]?.p99Ms ?? Number.NaN)}`).join(', ')}; `
          + `queued ${pct(f.queue.share)} (${f.queue.stillWaiting} still waiting, ${f.queue.leftOnError} failed while waiting), wait p50 ${ms(f.queue.waitP50Ms)} max ${ms(f.queue.waitMaxMs)}, `
          + `estimate error p50 ${pct(f.queue.estimateErrorP50)} (bias ${pct(f.queue.estimateBiasP50)}), overtaken ${pct(f.queue.fifo.overtakenShare, 2)}`);
        // The next run starts from a quiet shop: sessions lapse, backlogs clear.
        await sleep((SESSION_SECONDS + 10) * 1000);
      }
    }

    const of = (side: Side) => runs.filter((x) => x.side === side);
    const med = (side: Side, pick: (f: RunFigures) => number) => median(of(side).map(pick));
    const journeyNames = [...new Set(runs.flatMap((f) => Object.keys(f.journeys)))];
    const errorsOf = (f: RunFigures) => Object.entries(f.errorsByStatus).map(([s, n]) => `${s === '0' ? 'timeout/conn' : s}: ${n}`).join(', ') || 'none';
    const summary: Table = {
      title: `Offered ${OVERLOAD_FACTOR} × C = ${fmt(offered, 1)} mixed journeys/s for ${overloadSec} s (C = ${fmt(c, 1)}/s), median of ${options.rounds} run(s) per side`,
      headers: ['Side', 'Goodput/s', 'Goodput / C', ...SLO_RULES.map((s) => `${s.name} p99 (SLO ${s.thresholdMs} ms)`), '5xx', 'Shoppers queued', 'Queued wait p50 / p95 / max', 'Not let in (waiting at end / failed while waiting)', 'Estimate error p50', 'Overtaken (FIFO)'],
      rows: SIDES.map((side) => [
        side, fmt(med(side, (f) => f.goodputPerSec), 1), fmt(med(side, (f) => f.goodputPerSec) / c, 2),
        ...SLO_RULES.map((s) => ms(med(side, (f) => f.slos[s.name]?.p99Ms ?? Number.NaN))),
        fmt(med(side, (f) => f.fiveXx)), pct(med(side, (f) => f.queue.share)),
        `${ms(med(side, (f) => f.queue.waitP50Ms))} / ${ms(med(side, (f) => f.queue.waitP95Ms))} / ${ms(med(side, (f) => f.queue.waitMaxMs))}`,
        `${fmt(med(side, (f) => f.queue.stillWaiting))} / ${fmt(med(side, (f) => f.queue.leftOnError))}`, pct(med(side, (f) => f.queue.estimateErrorP50)), pct(med(side, (f) => f.queue.fifo.overtakenShare), 2),
      ]),
    };
    const perJourney: Table = {
      title: 'Admitted shoppers\' request latency per journey, p50 / p99 (every run)',
      headers: ['Side', 'Round', ...journeyNames, 'Errors by status'],
      rows: runs.map((f) => [f.side, String(f.round), ...journeyNames.map((j) => `${ms(f.journeys[j]?.p50Ms ?? Number.NaN)} / ${ms(f.journeys[j]?.p99Ms ?? Number.NaN)}`), errorsOf(f)]),
    };
    const detail: Table = {
      title: 'Every run (alternating)',
      headers: ['Side', 'Round', 'Load avg', 'Shoppers', 'Good journeys', 'Over (s)', 'Queued', 'Wait p50 / p95 / max', 'Estimate error p50 (bias)', 'FIFO: overtaken / inverted pairs', 'Sent back after admission', 'Room after'],
      rows: runs.map((f) => [
        f.side, String(f.round), fmt(f.loadAverage1m, 1), String(f.shoppers), String(f.goodJourneys), fmt(f.spanSec, 0), `${f.queue.queued} (${f.queue.admitted} let in, ${f.queue.leftOnError} failed while waiting)`,
        `${ms(f.queue.waitP50Ms)} / ${ms(f.queue.waitP95Ms)} / ${ms(f.queue.waitMaxMs)}`,
        `${pct(f.queue.estimateErrorP50)} (${pct(f.queue.estimateBiasP50)}) of ${f.queue.estimates}`,
        `${f.queue.fifo.overtaken} of ${f.queue.admitted} / ${f.queue.fifo.invertedPairs} of ${f.queue.fifo.comparablePairs}`, String(f.queue.requeued),
        f.roomAfter ? `${f.roomAfter.state}, ${f.roomAfter.queuedUsers} queued` : '-',
      ]),
    };
    const p = (pick: (f: RunFigures) => number) => med('protected', pick);
    const checks: Check[] = [
      check('protected: goodput / C', p((f) => f.goodputPerSec) / c, '>=', GOODPUT_TARGET, '×'),
      ...SLO_RULES.map((s) => check(`protected: ${s.name} p99`, p((f) => f.slos[s.name]?.p99Ms ?? Number.POSITIVE_INFINITY), '<=', s.thresholdMs, 'ms')),
      check('protected: 5xx responses', Math.max(...of('protected').map((f) => f.fiveXx)), '<=', 0, 'responses'),
      check('protected: queued shoppers not let in (still waiting at the end, or failed while waiting)', Math.max(...of('protected').map((f) => f.queue.stillWaiting + f.queue.leftOnError)), '<=', 0, 'shoppers'),
      check('protected: queued shoppers overtaken (FIFO)', p((f) => f.queue.fifo.overtakenShare) * 100, '<=', FIFO_INVERSIONS_MAX * 100, '%'),
      check('protected: estimated wait error p50', p((f) => f.queue.estimateErrorP50) * 100, '<=', ESTIMATE_ERROR_MAX * 100, '%'),
    ];
    notes.push(`1-minute load average at the suite's start: ${fmt(loadAtStart, 2)} (per run in the last table): a busy machine gives lower and noisier figures.`);
    notes.push(capacity === null ? `Capacity C as given with --capacity (not searched for in this run): ${fmt(c, 1)} journeys/s.`
      : `Capacity C from the capacity finder on the unprotected shop (SLO ${capacity.slo}): ${fmt(c, 1)} journeys/s, `
      + `${capacity.sustainableRequestsPerSec === null ? '?' : fmt(capacity.sustainableRequestsPerSec)} requests/s${capacity.bottleneck ? `; first bottleneck: ${capacity.bottleneck.message}` : ''}.`);
    notes.push(`Protection: the waiting room \`on\` (FIFO) with ${JSON.stringify(room)}: ${ADMIT_SHARE} × C let in a second. `
      + 'The concurrency limit is off on both sides (it lowered goodput: docs/surge-protection.md, Request classes and shedding).');
    notes.push('Goodput: journeys completed with every request answered as expected and inside its SLO (browse and cart 500 ms, checkout 1 s; order status has none), '
      + 'per second from the first shopper\'s arrival to the last one\'s end (the protected run goes on until its queue has drained). '
      + 'Latency excludes the time queued; the "still waiting" answers are not requests of the journey.');
    notes.push('Estimate error: the room\'s waitTimeSeconds on a shopper\'s first "still waiting" answer against the time from that answer to the one that let them in '
      + `(which includes up to one refresh interval, ${REFRESH_SECONDS} s, until the shopper asks again). `
      + 'FIFO: a shopper is overtaken when one who arrived after them (whose first request was sent after their first answer came back) was let in before a request of theirs answered "still waiting" was sent; '
      + 'both orders are certain from the client alone, so polling at intervals makes no false inversion.');
    return { tables: [summary, perJourney, detail], checks, charts: [], notes, data: { capacity, offered, overloadSec, room, loadAtStart, runs } };
  } finally {
    ctx.progress('overload: stopping both instances');
    for (const side of SIDES) await instances[side]?.stop();
  }
}

export const overloadSuite: Suite = {
  name: 'overload',
  title: 'Overload: 3 × capacity with surge protection on and off',
  description: 'Finds the capacity C of the mixed shopper journeys on a `--target all` shop, then offers 3 × C (open model, 60 s; 20 s with --quick) '
    + 'to the shop with its waiting room on (limits from C) and off, alternating; the protected run goes on until its queue has drained. '
    + 'Compares goodput by the SLOs, per-journey p50/p99, errors by status, shoppers queued and their wait, the estimated wait\'s error and FIFO order. '
    + 'Targets with protection on: goodput ≥ 0.9 × C, each SLO\'s p99 inside it, no 5xx, every queued shopper let in, ≤ 1% overtaken, estimate error p50 ≤ 25%.',
  byDefault: false,
  run,
};
