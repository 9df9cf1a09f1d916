// The game day's scorecard: what the run measured, set against the experiment's thresholds and the seed
// incident's figures. Pure: the runner gathers the record (load result, timeline, orders, ledger, probes)
// and this file turns it into figures. A figure that could not be measured is null, and `missing` says why.
import type { RunResult } from '../loadtest/index.ts';
import { thresholdHolds, type Experiment, type ProbeMeasure, type ScoreFigure } from './experiment.ts';

export type TimelineKind = 'fault.set' | 'fault.cleared' | 'alert' | 'incident' | 'finding' | 'scale-out' | 'scale-in' | 'waiting-room'
  | 'waiting-room-stopped' | 'failover' | 'failback' | 'abort';

/**
 * The automatic actions that mitigate: the autoscaler adding replicas, the waiting room starting to queue,
 * payments failing over to another provider. Their ends (scale-in, the waiting room stopping, a failback)
 * are on the timeline but mitigate nothing.
 */
const MITIGATIONS: ReadonlySet<TimelineKind> = new Set(['scale-out', 'waiting-room', 'failover']);

export interface TimelineEvent {
  /** Epoch ms. */
  at: number;
  kind: TimelineKind;
  label: string;
  /** Findings: the component ranked first and the network's verdict. */
  component?: string;
  networkInvolved?: boolean | null;
}

export interface ProbeReading { name: string; measure: ProbeMeasure; max: number; value: number | null; held: boolean; why?: string }

export interface RunRecord {
  experiment: Experiment;
  target: string;
  ownDeployment: boolean;
  startedAt: number;
  loadStartMs: number | null;
  loadEndMs: number | null;
  /** The first fault set and the last one cleared (epoch ms); null when no fault was set. */
  faultStartMs: number | null;
  faultEndMs: number | null;
  events: TimelineEvent[];
  load: RunResult | null;
  loadError?: string;
  orders: { byStatus: Record<string, number> } | { error: string };
  ledger: { doubleCharges: number; chargedOrders: number; doubleChargedOrders: string[] } | { error: string };
  /** When the SLOs were back (no alert firing) and the payment backlog drained, faults cleared; null if never. */
  recoveredAtMs: number | null;
  /** When no order of the run had waited for payment longer than the backlog's limit, the faults cleared (after a recovery, or after the rollback). */
  backlogDrainedAtMs: number | null;
  /** Why not, when recoveredAtMs is null. */
  notRecovered: string[];
  probesBefore: ProbeReading[];
  probesAfter: ProbeReading[];
  aborted: string | null;
  /** The machine the run shared: its cores and 1-minute load average at the start and the end (a busy machine slows every figure). */
  machine: { cpus: number; loadAverageAtStart: number; loadAverageAtEnd: number };
}

/** The seed incident's figures, from its postmortem (docs/gameday.md). */
export const SEED_INCIDENT = {
  shoppersAffectedRatio: 0.4,
  timeToDetectSeconds: 30 * 60,
  timeToRootCauseSeconds: 2 * 3600,
  timeToMitigationSeconds: 2.5 * 3600,
  timeToRecoverySeconds: 2.5 * 3600,
  rootCause: { component: 'network', networkInvolved: true, note: 'the network was blamed first (30+ minutes); the payment service under load was found after two hours' },
  mitigation: 'a manual scale-up and code changes, 2.5 hours in',
} as const;

export interface Scorecard {
  schema: 'holdfast-gameday/1';
  experiment: string;
  target: string;
  ownDeployment: boolean;
  startedAt: string;
  durationSeconds: number;
  passed: boolean;
  aborted: string | null;
  shoppersAffectedRatio: number | null;
  /** Journeys started; affected (of which with an error: the others only had a request over the objective); queued in the waiting room. */
  shoppers: { started: number; affected: number; affectedByErrors: number; queued: number; dropped: number } | null;
  shoppersQueuedRatio: number | null;
  queueWaitP50Seconds: number | null;
  queueWaitP95Seconds: number | null;
  timeToDetectSeconds: number | null;
  detectedBy: string | null;
  timeToRootCauseSeconds: number | null;
  rootCause: { component: string; networkInvolved: boolean | null; correct: boolean; summary: string } | null;
  timeToMitigationSeconds: number | null;
  mitigation: string | null;
  timeToRecoverySeconds: number | null;
  notRecovered: string[];
  orders: {
    accepted: number | null; paid: number | null; failed: number | null; canceled: number | null; pending: number | null;
    lost: number | null; doubleCharges: number | null; timeToPaidP50Seconds: number | null; timeToPaidP99Seconds: number | null;
  };
  probes: { name: string; measure: string; tolerance: string; before: ProbeReading | null; after: ProbeReading | null; held: boolean; why: string | null }[];
  thresholds: { threshold: string; observed: number | null; pass: boolean; why?: string }[];
  /** What a reader of the figures must know (the generator dropped arrivals, ...). */
  notes: string[];
  /** Why each null figure is null. */
  missing: Record<string, string>;
  seed: typeof SEED_INCIDENT;
  timeline: { atSeconds: number; kind: TimelineKind; label: string }[];
  /** The load generator's points (seconds since the load started): for the report's charts. */
  series: { t: number; planned: number; responsesPerSec: number; errorsPerSec: number; p99Ms: number | null }[];
  machine: RunRecord['machine'];
}

const round = (v: number, digits = 1) => Number(v.toFixed(digits));

/** The scorecard's value of a threshold's figure ("orders.lost"). */
export function figureOf(card: Scorecard, figure: ScoreFigure): number | null {
  if (figure.startsWith('orders.')) return card.orders[figure.slice('orders.'.length) as keyof Scorecard['orders']];
  return card[figure as Exclude<ScoreFigure, `orders.${string}`>];
}

export function buildScorecard(rec: RunRecord): Scorecard {
  const missing: Record<string, string> = {};
  const since = (at: number | null | undefined) => (at != null && rec.faultStartMs !== null ? round((at - rec.faultStartMs) / 1000) : null);
  const noFault = 'no fault was set (the run ended before the first fault)';
  const after = (e: TimelineEvent) => rec.faultStartMs !== null && e.at >= rec.faultStartMs;

  // shoppers
  const it = rec.load?.totals.iterations;
  const room = rec.load?.waitingRoom;
  const shoppersStarted = it?.started ?? 0;
  let shoppersAffectedRatio: number | null = null;
  let shoppersQueuedRatio: number | null = null;
  if (!rec.load) missing.shoppersAffectedRatio = missing.shoppersQueuedRatio = `the load test did not report: ${rec.loadError ?? 'no result'}`;
  else if (shoppersStarted === 0) missing.shoppersAffectedRatio = missing.shoppersQueuedRatio = 'no shopper journey started';
  else {
    shoppersAffectedRatio = round(it!.affected / shoppersStarted, 5);
    shoppersQueuedRatio = round(((room?.shoppersLetIn ?? 0) + (room?.failedWhileQueued ?? 0) + (room?.stillQueuedAtEnd ?? 0)) / shoppersStarted, 5);
  }
  // Arrivals the generator could not start (too many shoppers in flight) never reached the shop: said, not hidden.
  const notes: string[] = [];
  if (it && it.dropped > 0) notes.push(`${it.dropped} shopper arrivals were dropped by the load generator (all its in-flight slots busy): they never reached the shop and are not in the ratios`);
  const queued = (room?.shoppersLetIn ?? 0) > 0;
  const queueWaitP50Seconds = queued ? round(room!.queued.p50Ms / 1000, 2) : null;
  const queueWaitP95Seconds = queued ? round(room!.queued.p95Ms / 1000, 2) : null;
  if (!queued) {
    missing.queueWaitP50Seconds = missing.queueWaitP95Seconds = room?.stillQueuedAtEnd
      ? `no queued shopper was let in before the run ended (${room.stillQueuedAtEnd} still queued at its end)` : 'no shopper was queued in the waiting room';
  }

  // detection: the first alert or incident after the fault
  const detection = rec.events.filter((e) => (e.kind === 'alert' || e.kind === 'incident') && after(e)).sort((a, b) => a.at - b.at)[0];
  const timeToDetectSeconds = since(detection?.at);
  if (timeToDetectSeconds === null) missing.timeToDetectSeconds = rec.faultStartMs === null ? noFault : 'no alert fired and no incident opened after the fault started';

  // root cause: the first finding that names the expected component with the expected network verdict
  const findings = rec.events.filter((e) => e.kind === 'finding' && after(e)).sort((a, b) => a.at - b.at);
  const expected = rec.experiment.expectedRootCause;
  const correct = expected ? findings.find((f) => f.component === expected.component && f.networkInvolved === expected.networkInvolved) : undefined;
  const shown = correct ?? findings[0];
  const rootCause = shown ? { component: shown.component ?? 'unknown', networkInvolved: shown.networkInvolved ?? null, correct: correct !== undefined, summary: shown.label } : null;
  const timeToRootCauseSeconds = since(correct?.at);
  if (timeToRootCauseSeconds === null) {
    missing.timeToRootCauseSeconds = rec.faultStartMs === null ? noFault
      : !expected ? 'the experiment names no expected root cause (expect.rootCause)'
        : findings.length ? `no finding named ${expected.component} with the network ${expected.networkInvolved ? 'involved' : 'ruled out'} (first: ${findings[0]!.label})`
          : 'no root-cause finding after the fault started';
  }

  // mitigation: the first automatic action after the fault started
  const action = rec.events.filter((e) => MITIGATIONS.has(e.kind) && after(e)).sort((a, b) => a.at - b.at)[0];
  const timeToMitigationSeconds = since(action?.at);
  if (timeToMitigationSeconds === null) {
    // Actions taken before the fault (the surge's, or a busy machine's) protect the shop but are not a response to the fault.
    const earlier = rec.events.filter((e) => MITIGATIONS.has(e.kind) && !after(e)).map((e) => `${e.label} (${since(e.at)} s)`);
    missing.timeToMitigationSeconds = rec.faultStartMs === null ? noFault
      : `no automatic action (waiting room engaged, scale-out, payment-provider failover) was seen after the fault started${earlier.length ? `; in force from before it: ${earlier.join('; ')}` : ''}`;
  }

  const timeToRecoverySeconds = since(rec.recoveredAtMs);
  if (timeToRecoverySeconds === null) missing.timeToRecoverySeconds = rec.faultStartMs === null ? noFault : `not recovered: ${rec.notRecovered.join('; ') || 'unknown'}`;

  // orders
  const placeOrder = rec.load?.steps.filter((s) => s.name === 'place-order') ?? [];
  const accepted = rec.load ? placeOrder.reduce((n, s) => n + (s.statuses['202'] ?? 0), 0) : null;
  if (accepted === null) missing['orders.accepted'] = `the load test did not report: ${rec.loadError ?? 'no result'}`;
  const byStatus = 'byStatus' in rec.orders ? rec.orders.byStatus : null;
  if (!byStatus) for (const k of ['paid', 'failed', 'canceled', 'pending', 'lost']) missing[`orders.${k}`] = `the shop's orders could not be read: ${(rec.orders as { error: string }).error}`;
  const recorded = byStatus ? Object.values(byStatus).reduce((n, v) => n + v, 0) : null;
  const pending = byStatus ? byStatus.pending_payment ?? 0 : null;
  // Lost: accepted but unknown to the shop, or (once it recovered) still without a final state.
  let lost: number | null = null;
  if (accepted !== null && recorded !== null && pending !== null) {
    // orders still pending with the backlog never drained are in the durable queue, not lost: `pending` and `notRecovered` say so
    lost = Math.max(0, accepted - recorded) + (rec.recoveredAtMs !== null || rec.backlogDrainedAtMs !== null ? pending : 0);
  } else if (accepted === null && byStatus) missing['orders.lost'] = missing['orders.accepted']!;
  // Counts, not ids (the load generator does not report the ids it was given): an order the shop created
  // for a request whose 202 the shopper never saw is on the shop's side of the count, where it can hide an
  // accepted order that was lost. Such requests are counted and said.
  const unanswered = placeOrder.reduce((n, s) => n + s.errors.timeout + s.errors.connection + s.interrupted
    + Object.entries(s.statuses).filter(([code]) => code.startsWith('5')).reduce((m, [, v]) => m + v, 0), 0);
  if (lost !== null && unanswered > 0) {
    notes.push(`orders.lost compares counts, not order ids: ${unanswered} place-order request(s) got no clear answer (a timeout, a connection error, a 5xx, or cut off at the end of the run); an order the shop created for one of them counts against the accepted ones, so up to ${unanswered} lost order(s) could be hidden behind them`);
  }
  const doubleCharges = 'doubleCharges' in rec.ledger ? rec.ledger.doubleCharges : null;
  if (doubleCharges === null) missing['orders.doubleCharges'] = `the provider's ledger could not be read: ${(rec.ledger as { error: string }).error}`;
  const paidStep = rec.load?.steps.find((s) => s.key === 'checkout/order-status' && s.latency.count > 0);
  if (!paidStep) missing['orders.timeToPaidP50Seconds'] = missing['orders.timeToPaidP99Seconds'] = 'no checkout journey saw its order paid or declined (checkout/order-status)';

  // probes: each must hold before the faults and after the recovery
  const probes = rec.experiment.steadyState.map((p) => {
    const before = rec.probesBefore.find((r) => r.name === p.name) ?? null;
    const afterReading = rec.probesAfter.find((r) => r.name === p.name) ?? null;
    const held = (before?.held ?? false) && (afterReading?.held ?? false);
    const why = held ? null : [before && !before.held ? `before the faults: ${before.why}` : !before ? 'not checked before the faults (the run ended first)' : null,
      afterReading && !afterReading.held ? `after the recovery: ${afterReading.why}` : !afterReading ? 'not checked after the recovery' : null].filter(Boolean).join('; ');
    return { name: p.name, measure: p.measure, tolerance: `≤ ${p.max}`, before, after: afterReading, held, why };
  });

  const card: Scorecard = {
    schema: 'holdfast-gameday/1',
    experiment: rec.experiment.name, target: rec.target, ownDeployment: rec.ownDeployment,
    startedAt: new Date(rec.startedAt).toISOString(), durationSeconds: rec.experiment.duration,
    passed: false, aborted: rec.aborted,
    shoppersAffectedRatio, shoppers: it ? { started: shoppersStarted, affected: it.affected, affectedByErrors: it.affectedByErrors ?? 0, dropped: it.dropped, queued: (room?.shoppersLetIn ?? 0) + (room?.failedWhileQueued ?? 0) + (room?.stillQueuedAtEnd ?? 0) } : null,
    shoppersQueuedRatio, queueWaitP50Seconds, queueWaitP95Seconds,
    timeToDetectSeconds, detectedBy: detection?.label ?? null,
    timeToRootCauseSeconds, rootCause,
    timeToMitigationSeconds, mitigation: action?.label ?? null,
    timeToRecoverySeconds, notRecovered: rec.notRecovered,
    orders: {
      accepted, paid: byStatus ? byStatus.paid ?? 0 : null, failed: byStatus ? byStatus.payment_failed ?? 0 : null,
      canceled: byStatus ? byStatus.canceled ?? 0 : null, pending, lost, doubleCharges,
      timeToPaidP50Seconds: paidStep ? round(paidStep.latency.p50Ms / 1000, 2) : null,
      timeToPaidP99Seconds: paidStep ? round(paidStep.latency.p99Ms / 1000, 2) : null,
    },
    probes, thresholds: [], notes, missing, seed: SEED_INCIDENT,
    machine: rec.machine,
    series: (rec.load?.series ?? []).map((p) => ({
      t: p.t, planned: p.planned, responsesPerSec: round(p.responses / p.width, 2),
      errorsPerSec: round((p.errors.status + p.errors.timeout + p.errors.connection) / p.width, 2), p99Ms: p.p99 === null ? null : round(p.p99),
    })),
    timeline: [...rec.events].sort((a, b) => a.at - b.at).map((e) => ({ atSeconds: round((e.at - (rec.loadStartMs ?? rec.startedAt)) / 1000), kind: e.kind, label: e.label })),
  };
  card.thresholds = rec.experiment.thresholds.map((t) => {
    const observed = figureOf(card, t.figure);
    if (observed === null) return { threshold: t.text, observed, pass: false, why: `not measured: ${missing[t.figure] ?? 'no value'}` };
    return { threshold: t.text, observed, pass: thresholdHolds(t, observed) };
  });
  card.passed = rec.aborted === null && card.thresholds.every((t) => t.pass) && probes.every((p) => p.held);
  return card;
}
