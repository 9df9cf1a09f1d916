// What the ops console's overview shows, read from the services the control role already runs: the
// control plane's window of 1 s readings (rate, error ratio and p99 per component, the payment backlog,
// breaker states), its SLO burns, alerts and root-cause findings; the incidents still open; the
// autoscaler's replicas; and the waiting room, when it runs in this process. One snapshot is the body of
// GET /api/ops/console/overview and of every server-sent event of /ops/events.
import type { Alert, ControlPlane, RcaFinding } from '../control/index.ts';
import type { IncidentResponder, IncidentView } from '../incidents/index.ts';
import type { Autoscaler } from '../autoscaler/index.ts';
import type { WaitingRoom } from '../waiting-room/index.ts';

/** The components the charts draw, as the control plane names their series. */
export const CHART_COMPONENTS = ['storefront', 'database', 'payments', 'provider'] as const;
/** The seconds of readings the charts show. */
export const CHART_SECONDS = 300;
const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

export interface ComponentSeries { rate: (number | null)[]; errors: (number | null)[]; p99: (number | null)[] }

export interface OverviewSnapshot {
  at: string;
  /** unix seconds of each reading, oldest first; each component's series are aligned with them */
  times: number[];
  components: Record<(typeof CHART_COMPONENTS)[number], ComponentSeries>;
  slo: { journey: string; objective: string; target: number; burn: number; firing: boolean }[];
  payments: { backlog: number | null; oldestJobAgeSeconds: number | null };
  breakers: { provider: string; state: string }[];
  replicas: { role: string; current: number; desired: number; autoscaled: boolean }[];
  waitingRoom: { mode: string; state: string; activeUsers: number; queuedUsers: number; estimatedWaitSeconds: number | null; queueAll: boolean } | null;
  alerts: ConsoleAlert[];
  incidents: { id: string; title: string; state: string; severity: string; component: string; triggeredAt: string }[];
}

export interface ConsoleAlert {
  id: string; name: string; state: string; severity: string; service: string; since: string; resolvedAt: string | null;
  summary: string; rootCause: string | null;
  /** the finding's top cause, its evidence and the changes just before the signal */
  finding: { id: string; confidence: number; topCause: string | null; evidence: string[]; changes: string[] } | null;
}

export interface OverviewSources {
  plane: ControlPlane;
  incidents: IncidentResponder;
  autoscaler: Autoscaler;
  waitingRoom: WaitingRoom | undefined;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
const round = (v: number | null, digits = 4): number | null => (v === null ? null : Number(v.toFixed(digits)));

function lastFinite(values: readonly number[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) if (Number.isFinite(values[i]!)) return values[i]!;
  return null;
}

/** An alert with what its finding says, for the console (the finding itself is long). */
export function consoleAlert(alert: Alert, findings: ReadonlyMap<string, RcaFinding>): ConsoleAlert {
  const f = alert.rcaId ? findings.get(alert.rcaId) : undefined;
  const top = f?.causes[0];
  return {
    id: alert.id, name: alert.name, state: alert.state, severity: alert.severity, service: alert.service, since: alert.since,
    resolvedAt: alert.resolvedAt, summary: alert.summary, rootCause: alert.rootCause,
    finding: f ? {
      id: f.id, confidence: f.confidence, topCause: top?.label ?? null,
      evidence: (top?.evidence ?? []).slice(0, 4).map((e) => `${e.metric}: baseline ${e.baseline.toPrecision(3)}, peak ${e.peak.toPrecision(3)}${e.onset ? `, from ${e.onset}` : ''}`),
      changes: (f.changes ?? []).slice(0, 5).map((c) => `${c.kind} ${c.subject}: ${c.summary} (${Math.round(c.secondsBeforeSignal)} s before the signal)`),
    } : null,
  };
}

export function findingsById(plane: ControlPlane): Map<string, RcaFinding> {
  return new Map(plane.rcaFindings().map((f) => [f.id, f]));
}

const incidentSummary = (i: IncidentView) => ({ id: i.id, title: i.title, state: i.state, severity: i.severity, component: i.component, triggeredAt: i.triggeredAt });

export async function overviewSnapshot(src: OverviewSources, nowMs = Date.now()): Promise<OverviewSnapshot> {
  const w = src.plane.collector.window;
  const from = nowMs / 1000 - CHART_SECONDS;
  const times = w.timestamps(from);
  const values = (name: string, digits?: number) => w.slice(name, from).values.map((v) => round(finite(v), digits));
  const components = Object.fromEntries(CHART_COMPONENTS.map((c) => [c, {
    rate: values(`${c}|rate`, 2), errors: values(`${c}|err`), p99: values(`${c}|p99`),
  }])) as OverviewSnapshot['components'];
  const latest = (name: string) => lastFinite(w.last(name, 5));
  const breakers = w.names().filter((n) => n.startsWith('gauge:breaker:')).sort().map((n) => {
    const v = latest(n);
    return { provider: n.slice('gauge:breaker:'.length), state: v === null ? 'unknown' : BREAKER_STATES[Math.round(v)] ?? 'unknown' };
  });
  const findings = findingsById(src.plane);
  const [open, room] = await Promise.all([
    Promise.all([src.incidents.list({ state: 'triggered', limit: 20 }), src.incidents.list({ state: 'acknowledged', limit: 20 })]),
    src.waitingRoom ? src.waitingRoom.status() : Promise.resolve(undefined),
  ]);
  const scaling = src.autoscaler.status();
  return {
    at: new Date(nowMs).toISOString(),
    times: times.map((t) => Math.round(t * 1000) / 1000),
    components,
    slo: src.plane.sloBurns(nowMs).map((b) => ({ journey: b.journey, objective: b.objective, target: b.target, burn: round(b.shortBurn, 3) ?? 0, firing: b.firing })),
    payments: { backlog: latest('gauge:queue-jobs'), oldestJobAgeSeconds: round(latest('gauge:queue-age'), 1) },
    breakers,
    replicas: scaling.roles.map((r) => ({ role: r.role, current: r.current, desired: r.desired, autoscaled: r.autoscaled })),
    waitingRoom: room ? {
      mode: room.mode, state: room.state, activeUsers: room.activeUsers, queuedUsers: room.queuedUsers,
      estimatedWaitSeconds: room.estimatedWaitSeconds, queueAll: room.limits.queueAll,
    } : null,
    alerts: src.plane.alerts().slice(0, 20).map((a) => consoleAlert(a, findings)),
    incidents: open.flat().sort((a, b) => b.triggeredAt.localeCompare(a.triggeredAt)).map(incidentSummary),
  };
}
