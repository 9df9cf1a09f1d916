// Where the time of a trace goes, from the spans the control role collected: each span's self time (its
// duration less the time covered by its children) is charged to the component that spent it:
// - a database call (a client span with db.system.name): the database;
// - a client span answered by a server span of another process: its self time is the wire between them
//   (the network's share of the call), the server span's self time is the callee's;
// - a provider call with no server span under it (a provider that does not trace, e.g. real Stripe):
//   the payment provider, network included;
// - the simulator's server spans: the payment provider; any other span: its own service.
// Comparing the mean self time per trace before and since a fault says which component's own time grew.
import { SPAN_KIND, type StoredSpan } from './span-store.ts';

export interface ComponentTime {
  component: string;
  /** traces in which the component spent time */
  traces: number;
  /** mean self time per such trace, seconds */
  meanSelfSeconds: number;
}

export interface TraceBreakdown { traces: number; components: ComponentTime[] }

function componentOf(span: StoredSpan, children: readonly StoredSpan[]): string {
  if (span.kind === SPAN_KIND.CLIENT && span.db) return 'database';
  if (span.kind === SPAN_KIND.CLIENT) {
    return children.some((c) => c.kind === SPAN_KIND.SERVER && c.service !== span.service) ? 'network' : span.service === 'payments' ? 'payment-provider' : `${span.service} calls`;
  }
  if (span.service === 'psp') return 'payment-provider';
  return span.service;
}

/** Duration less the union of the children's intervals clipped to the span. */
function selfTime(span: StoredSpan, children: readonly StoredSpan[]): number {
  const parts = children
    .map((c) => [Math.max(span.start, c.start), Math.min(span.end, c.end)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curStart = Number.NaN;
  let curEnd = Number.NaN;
  for (const [a, b] of parts) {
    if (!(a <= curEnd)) {
      if (curEnd > curStart) covered += curEnd - curStart;
      curStart = a;
      curEnd = b;
    } else {
      curEnd = Math.max(curEnd, b);
    }
  }
  if (curEnd > curStart) covered += curEnd - curStart;
  return Math.max(0, span.end - span.start - covered);
}

export function breakdown(spans: readonly StoredSpan[]): TraceBreakdown {
  const byTrace = new Map<string, StoredSpan[]>();
  for (const s of spans) {
    let list = byTrace.get(s.traceId);
    if (!list) byTrace.set(s.traceId, (list = []));
    list.push(s);
  }
  const totals = new Map<string, { traces: number; seconds: number }>();
  for (const list of byTrace.values()) {
    const children = new Map<string, StoredSpan[]>();
    for (const s of list) {
      if (!s.parentSpanId) continue;
      let c = children.get(s.parentSpanId);
      if (!c) children.set(s.parentSpanId, (c = []));
      c.push(s);
    }
    const perTrace = new Map<string, number>();
    for (const s of list) {
      const kids = children.get(s.spanId) ?? [];
      const component = componentOf(s, kids);
      perTrace.set(component, (perTrace.get(component) ?? 0) + selfTime(s, kids));
    }
    for (const [component, seconds] of perTrace) {
      const t = totals.get(component) ?? { traces: 0, seconds: 0 };
      t.traces++;
      t.seconds += seconds;
      totals.set(component, t);
    }
  }
  return {
    traces: byTrace.size,
    components: [...totals].map(([component, t]) => ({ component, traces: t.traces, meanSelfSeconds: t.seconds / t.traces }))
      .sort((a, b) => b.meanSelfSeconds - a.meanSelfSeconds),
  };
}

export interface TraceComparison {
  component: string;
  beforeSeconds: number | null;
  duringSeconds: number;
  /** during - before, seconds (the whole during time for a component new since the fault) */
  growthSeconds: number;
}

export interface TraceEvidence {
  tracesBefore: number;
  tracesDuring: number;
  /** components by how much their self time per trace grew, most first */
  components: TraceComparison[];
  text: string;
}

const ms = (s: number) => (s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(s >= 0.01 ? 0 : 1)} ms`);

/** Self time per trace before and since the fault, per component; undefined without traces on both sides. */
export function compareBreakdowns(before: TraceBreakdown, during: TraceBreakdown): TraceEvidence | undefined {
  if (before.traces === 0 || during.traces === 0) return undefined;
  const base = new Map(before.components.map((c) => [c.component, c.meanSelfSeconds]));
  const components = during.components.map((c) => {
    const b = base.get(c.component);
    return { component: c.component, beforeSeconds: b ?? null, duringSeconds: c.meanSelfSeconds, growthSeconds: c.meanSelfSeconds - (b ?? 0) };
  }).sort((x, y) => y.growthSeconds - x.growthSeconds);
  const shown = components.slice(0, 4).map((c) => `${c.component} ${ms(c.duringSeconds)} (was ${c.beforeSeconds === null ? 'none' : ms(c.beforeSeconds)})`);
  // Only ended traces are collected: seconds into a slow dependency, the traces that waited on it are still
  // open, and those since are the fast ones. Saying so keeps the on-call from reading the list as "nothing
  // is slow".
  const noneGrew = (components[0]?.growthSeconds ?? 0) <= 0;
  return {
    tracesBefore: before.traces, tracesDuring: during.traces, components,
    text: `traces (${before.traces} before, ${during.traces} since): self time per trace ${shown.join(', ')}`
      + (noneGrew ? '; none grew yet (a trace counts once it has ended)' : ''),
  };
}
