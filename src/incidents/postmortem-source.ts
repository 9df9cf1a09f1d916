// Gathers a postmortem draft's measured inputs (postmortem.ts renders them): the incident and its timeline
// from PostgreSQL; the impact's start and end from the change log (the fault set before the first signal,
// cleared after) or else from the incident's own times; the impact figures and the charts from the
// control role's metrics window (its 1 s scrapes of every role, kept an hour). A figure the records do
// not hold (the incident older than the window, no journey counted) is missing, with the reason.
import type pg from 'pg';
import { changesBetween, type ChangeEvent } from '../changes/index.ts';
import { getIncident, incidentTimeline } from './incident-store.ts';
import { IncidentErrors } from './incident-errors.ts';
import { CHANGES_BEFORE_MS } from './incident-correlation.ts';
import type { PostmortemInput, ShareFigure, SignalInput, Sourced } from './postmortem.ts';

/** What the postmortem reads of the control role's metrics window (SeriesWindow). */
export interface MetricsWindow {
  slice(name: string, from?: number): { timestamps: number[]; values: number[] };
}

/** A few minutes either side of the impact on the charts. */
const CHART_MARGIN_MS = 3 * 60_000;
const WINDOW_SOURCE = "the control role's 1 s scrapes of every role's /metrics (kept one hour)";

/** Sum of a counter series' per-scrape increments in (from, to] (unix seconds): a reading counts the second before it. */
function sumBetween(w: MetricsWindow, name: string, from: number, to: number): { sum: number; readings: number } {
  const s = w.slice(name, from);
  let sum = 0;
  let readings = 0;
  s.timestamps.forEach((t, i) => {
    const v = s.values[i]!;
    if (t > from && t <= to && Number.isFinite(v)) { sum += v; readings++; }
  });
  return { sum, readings };
}

/** Bad (slow or failed) over all events of an SLO journey in the window. */
function journeyShare(w: MetricsWindow | undefined, journey: string, unit: string, from: number, to: number): ShareFigure {
  if (!w) return { missing: 'the metrics window is only in the control role, and this draft was not made there' };
  const total = sumBetween(w, `slo:${journey}|n`, from, to);
  if (total.readings === 0) return { missing: `no ${journey} journey readings in ${WINDOW_SOURCE} for the incident's time (older than the window, or the control role restarted since)` };
  const failed = sumBetween(w, `slo:${journey}|nerr`, from, to).sum;
  const slow = sumBetween(w, `slo:${journey}|nslow`, from, to).sum;
  return {
    affected: Math.round(Math.min(total.sum, failed + slow)), total: Math.round(total.sum), unit,
    source: `the ${journey} SLO journey's counts (failed or over its latency threshold) from ${WINDOW_SOURCE}`,
  };
}

function latencySignal(w: MetricsWindow | undefined, title: string, series: { name: string; key: string }[], from: number, to: number): SignalInput {
  if (!w) return { title, missing: 'the metrics window is only in the control role' };
  const out = series.map((s) => {
    const slice = w.slice(s.key, from);
    return { name: s.name, points: slice.timestamps.map((t, i) => [t * 1000, Number.isFinite(slice.values[i]!) ? slice.values[i]! : null] as const).filter(([t]) => t <= to * 1000) };
  }).filter((s) => s.points.length > 0);
  if (out.length === 0) return { title, missing: `no readings in ${WINDOW_SOURCE} for the incident's time` };
  return { title, unit: 's', source: WINDOW_SOURCE, series: out };
}

const FAULT_KINDS = ['fault.set', 'fault.cleared'] as const;

/** The fault set last before the incident triggered, and its clearing after it (when it was cleared). */
export function faultWindow(changes: readonly ChangeEvent[], triggeredAt: number): { set?: ChangeEvent; cleared?: ChangeEvent } {
  const set = changes.filter((c) => c.kind === 'fault.set' && Date.parse(c.at) <= triggeredAt).at(-1);
  if (!set) return {};
  const cleared = changes.find((c) => c.kind === 'fault.cleared' && c.subject === set.subject && Date.parse(c.at) >= Date.parse(set.at));
  return { set, ...(cleared ? { cleared } : {}) };
}

export async function postmortemInput(pool: pg.Pool, incidentId: string, metrics: MetricsWindow | undefined, now = Date.now()): Promise<PostmortemInput> {
  const incident = await getIncident(pool, incidentId);
  if (!incident) throw IncidentErrors.INCIDENT_NOT_FOUND();
  const triggered = incident.triggered_at.getTime();
  const resolved = incident.resolved_at?.getTime() ?? null;
  const [recorded, changes] = await Promise.all([
    incidentTimeline(pool, incidentId),
    changesBetween(pool, { from: new Date(triggered - CHANGES_BEFORE_MS), to: new Date(resolved ?? now), limit: 500 }),
  ]);
  const faults = await changesBetween(pool, { from: new Date(triggered - CHANGES_BEFORE_MS), to: new Date((resolved ?? now) + 60_000), kinds: FAULT_KINDS, limit: 100 });
  const { set, cleared } = faultWindow(faults, triggered);
  const start: Sourced<string> = set
    ? { value: set.at, source: `change event ${set.id}: ${set.summary}` }
    : { value: incident.triggered_at.toISOString(), source: 'the incident triggering (its first alert); no fault was set in the 5 minutes before it' };
  const end: Sourced<string> = cleared
    ? { value: cleared.at, source: `change event ${cleared.id}: ${cleared.summary}` }
    : resolved !== null ? { value: incident.resolved_at!.toISOString(), source: 'the incident resolving' } : { missing: 'the incident is still open' };
  const from = Date.parse(start.value) / 1000;
  const to = ('value' in end ? Date.parse(end.value) : now) / 1000;
  const chartFrom = from - CHART_MARGIN_MS / 1000;
  const chartTo = to + CHART_MARGIN_MS / 1000;
  const lastRca = recorded.filter((e) => e.kind === 'rca').at(-1);
  return {
    incident: {
      id: incident.id, title: incident.title, severity: incident.severity, component: incident.component, triggeredAt: incident.triggered_at.toISOString(),
      acknowledgedAt: incident.acknowledged_at?.toISOString() ?? null, acknowledgedBy: incident.acknowledged_by, resolvedAt: incident.resolved_at?.toISOString() ?? null,
    },
    start, end,
    impact: {
      orders: journeyShare(metrics, 'payment', 'payments', from, to),
      shoppers: journeyShare(metrics, 'checkout', 'checkout requests', from, to),
    },
    rootCause: incident.root_cause
      ? { value: `${incident.root_cause}${set ? ` (${set.summary} at ${set.at}, ${((triggered - Date.parse(set.at)) / 1000).toFixed(0)} s before the incident triggered)` : ''}`, source: lastRca ? "the control role's root-cause finding" : 'the incident record' }
      : { missing: 'no root-cause finding was recorded' },
    resolution: cleared
      ? { value: `${cleared.summary}; the incident ${resolved !== null ? `resolved at ${incident.resolved_at!.toISOString()}` : 'is still open'}`, source: `change event ${cleared.id}` }
      : resolved !== null ? { value: recorded.filter((e) => e.kind === 'resolved').at(-1)?.summary ?? 'Resolved', source: 'the incident timeline' } : { missing: 'the incident is still open' },
    timeline: recorded.map((e) => ({ at: e.at.toISOString(), kind: e.kind, summary: e.summary })),
    changes: changes.map((c) => ({ at: c.at, kind: c.kind, summary: c.summary })),
    signals: [
      latencySignal(metrics, 'Payment provider calls and payments, median latency', [{ name: 'provider calls p50', key: 'provider|p50' }, { name: 'payments p50', key: 'payments|p50' }], chartFrom, chartTo),
      latencySignal(metrics, 'Storefront, median and p99 latency', [{ name: 'storefront p50', key: 'storefront|p50' }, { name: 'storefront p99', key: 'storefront|p99' }], chartFrom, chartTo),
    ],
    generatedAt: new Date(now).toISOString(),
  };
}
