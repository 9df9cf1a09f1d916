// The public status page's content, computed (pure) from what is measured and recorded: each component's
// state in Statuspage's vocabulary from SLO burn rates and open incidents (a manual state overrides both
// while it lasts), public incident entries with their updates (written by operators, or drafted from the
// incident when none were), and 90 days of daily history. Also the JSON of /api/status and the banner the
// storefront shows while checkout or payments are degraded. Nothing here reads a clock or a database: the
// caller passes `now` and the records.
import type { IncidentSeverity, IncidentState } from './channels/notification.ts';

export const STATUS_COMPONENTS = ['storefront', 'search', 'checkout', 'payments'] as const;
export type StatusComponentName = (typeof STATUS_COMPONENTS)[number];

/** Statuspage's component states, from best to worst (maintenance ranks just above operational). */
export const COMPONENT_STATUSES = ['operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'] as const;
export type ComponentStatusValue = (typeof COMPONENT_STATUSES)[number];

/** Statuspage's incident states (its `postmortem` state is for published postmortems, not drafted here). */
export const INCIDENT_UPDATE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentUpdateStatus = (typeof INCIDENT_UPDATE_STATUSES)[number];

export type IncidentImpact = 'none' | 'minor' | 'major' | 'critical';

export const COMPONENT_LABELS: Record<StatusComponentName, string> = {
  storefront: 'Storefront', search: 'Search', checkout: 'Checkout', payments: 'Payments',
};
export const STATUS_LABELS: Record<ComponentStatusValue, string> = {
  operational: 'Operational', under_maintenance: 'Under maintenance', degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage', major_outage: 'Major outage',
};

const rank = (s: ComponentStatusValue) => COMPONENT_STATUSES.indexOf(s);
export function worstStatus(statuses: Iterable<ComponentStatusValue>): ComponentStatusValue {
  let worst: ComponentStatusValue = 'operational';
  for (const s of statuses) if (rank(s) > rank(worst)) worst = s;
  return worst;
}

/** The status components an incident's component (an alert service) touches. */
export function statusComponentsOf(component: string): StatusComponentName[] {
  const c = component.toLowerCase();
  if ((STATUS_COMPONENTS as readonly string[]).includes(c)) return [c as StatusComponentName];
  if (c === 'payments -> provider' || c === 'provider' || c.startsWith('provider:') || c === 'psp' || c.startsWith('psp:')) return ['payments'];
  if (c.startsWith('route:')) return ['storefront'];
  // Every part of the shop reads and writes the one database.
  if (c === 'database' || c.startsWith('query:')) return [...STATUS_COMPONENTS];
  return [];
}

/** The built-in SLO journeys (src/control/control-config.ts) and the components shoppers meet them in. */
export const DEFAULT_JOURNEY_COMPONENTS: Record<string, StatusComponentName[]> = {
  browse: ['storefront'], search: ['search'], cart: ['storefront'], checkout: ['checkout'], payment: ['payments'],
};

/** One SLO's burn over the alert's short window (the control role's BurnEvaluation plus its objective). */
export interface SloBurnInput {
  journey: string;
  objective: 'availability' | 'latency';
  /** the SLO's target share, e.g. 0.999 */
  target: number;
  shortBurn: number;
  firing: boolean;
}

export interface StatusUpdateInput {
  status: IncidentUpdateStatus;
  body: string;
  createdAt: string;
  author?: string | null;
}

export interface StatusIncidentInput {
  id: string;
  severity: IncidentSeverity;
  /** the incident's component (alert service); mapped with statusComponentsOf unless `components` says */
  component: string;
  components?: StatusComponentName[];
  state: IncidentState;
  rootCause: string | null;
  /** when the root cause was first found, when recorded (the drafted "identified" update is dated by it) */
  rootCauseAt?: string | null;
  triggeredAt: string;
  resolvedAt: string | null;
  /** operators' public updates, in any order */
  updates: StatusUpdateInput[];
  /** the worst component state recorded while it lasted, when recorded (the history uses it) */
  worstStatus?: ComponentStatusValue | null;
}

export interface StatusOverrideInput {
  component: StatusComponentName;
  status: ComponentStatusValue;
  reason: string;
  startsAt: string;
  endsAt: string | null;
  /** the operator who set it, when recorded */
  setBy?: string | null;
}

export interface StatusInputs {
  now: number;
  burns: SloBurnInput[];
  incidents: StatusIncidentInput[];
  overrides: StatusOverrideInput[];
  /** when records begin (the incidents table's creation): earlier days are "no data", never "operational" */
  recordsSince: string | null;
  journeyComponents?: Record<string, StatusComponentName[]>;
  /** days of history (90) */
  historyDays?: number;
  /** resolved incidents stay listed this long (ms; default 7 days) */
  recentMs?: number;
}

/** Where a component's state comes from: the signals (SLO burns, open incidents), or an operator's override. */
export type ComponentStatusSource = 'automatic' | 'manual';

export interface ComponentState {
  name: StatusComponentName;
  status: ComponentStatusValue;
  source: ComponentStatusSource;
  /** an override's end (it then goes back to automatic); null while automatic or set until cleared */
  until: string | null;
  /** why, in words an operator reads (the public page shows the state only) */
  reasons: string[];
}

export interface PublicUpdate {
  status: IncidentUpdateStatus;
  body: string;
  at: string;
  /** written by Holdfast from the incident, not by an operator */
  drafted: boolean;
}

export interface PublicIncident {
  id: string;
  name: string;
  status: IncidentUpdateStatus;
  impact: IncidentImpact;
  components: StatusComponentName[];
  startedAt: string;
  resolvedAt: string | null;
  /** newest first, as status pages list them */
  updates: PublicUpdate[];
}

export interface HistoryDay {
  /** UTC day, YYYY-MM-DD */
  date: string;
  /** null: no records cover this day */
  status: ComponentStatusValue | null;
  incidentIds: string[];
}

export interface ComponentHistory {
  name: StatusComponentName;
  days: HistoryDay[];
}

export interface StatusPage {
  generatedAt: string;
  overall: { status: ComponentStatusValue; text: string };
  components: ComponentState[];
  incidents: PublicIncident[];
  history: ComponentHistory[];
}

const isOpen = (i: { state: IncidentState }) => i.state !== 'resolved';
const componentsOf = (i: StatusIncidentInput) => i.components ?? statusComponentsOf(i.component);

function overlaps(fromIso: string, toIso: string | null, start: number, end: number): boolean {
  return Date.parse(fromIso) < end && (toIso === null || Date.parse(toIso) > start);
}

/**
 * A firing latency objective: degraded performance. A firing availability objective: a partial outage,
 * or a major one when at least half of the journey's requests fail (burn x error budget = bad share).
 */
export function statusFromBurn(burn: SloBurnInput): ComponentStatusValue {
  if (!burn.firing) return 'operational';
  if (burn.objective === 'latency') return 'degraded_performance';
  return burn.shortBurn * (1 - burn.target) >= 0.5 ? 'major_outage' : 'partial_outage';
}

/** Public wording of an incident's impact from its severity (the public page never shows internal severities). */
export function impactOf(severity: IncidentSeverity): IncidentImpact {
  return severity === 'critical' ? 'major' : severity === 'info' ? 'none' : 'minor';
}

const PUBLIC_PROBLEM: Record<StatusComponentName, string> = {
  storefront: 'the shop is slow or unavailable for some shoppers',
  search: 'search is slow or failing for some shoppers',
  checkout: 'checkout is slow or failing for some shoppers',
  payments: 'payments are slow to be confirmed; orders are safe and will be confirmed',
};

/** A public name for the incident: what shoppers notice, never the internal alert text. */
export function publicIncidentName(components: StatusComponentName[]): string {
  if (components.length === 0 || components.length === STATUS_COMPONENTS.length) return 'Service disruption';
  const names = components.map((c) => COMPONENT_LABELS[c]);
  return `Service disruption: ${names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`}`;
}

/**
 * The updates drafted from the incident's own record when operators wrote none: investigating from the
 * start; identified once a root cause was found (without the internal wording); resolved at the end.
 */
export function draftUpdates(incident: StatusIncidentInput): PublicUpdate[] {
  const components = componentsOf(incident);
  const problem = components.length ? components.map((c) => PUBLIC_PROBLEM[c]).join('; ') : 'some shoppers may see errors or slow pages';
  const drafts: PublicUpdate[] = [{ status: 'investigating', body: `We are investigating: ${problem}.`, at: incident.triggeredAt, drafted: true }];
  if (incident.rootCause) drafts.push({ status: 'identified', body: 'The cause has been identified and a fix is under way.', at: incident.rootCauseAt ?? incident.triggeredAt, drafted: true });
  if (incident.resolvedAt) drafts.push({ status: 'resolved', body: 'This incident has been resolved; everything is working normally.', at: incident.resolvedAt, drafted: true });
  return drafts;
}

function publicIncident(incident: StatusIncidentInput): PublicIncident {
  const written = [...incident.updates].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
    .map((u): PublicUpdate => ({ status: u.status, body: u.body, at: u.createdAt, drafted: false }));
  let updates = written.length ? written : draftUpdates(incident);
  // A resolved incident says so even when the operators' last word was "monitoring".
  if (incident.resolvedAt && updates.at(-1)!.status !== 'resolved') updates = [...updates, draftUpdates(incident).at(-1)!];
  const components = componentsOf(incident);
  return {
    id: incident.id, name: publicIncidentName(components), status: updates.at(-1)!.status, impact: impactOf(incident.severity),
    components, startedAt: incident.triggeredAt, resolvedAt: incident.resolvedAt, updates: [...updates].reverse(),
  };
}

const DAY_MS = 86_400_000;

function history(inputs: StatusInputs): ComponentHistory[] {
  const days = inputs.historyDays ?? 90;
  const today = Math.floor(inputs.now / DAY_MS) * DAY_MS;
  const since = inputs.recordsSince === null ? Infinity : Date.parse(inputs.recordsSince);
  return STATUS_COMPONENTS.map((name) => ({
    name,
    days: Array.from({ length: days }, (_, i): HistoryDay => {
      const start = today - (days - 1 - i) * DAY_MS;
      const end = Math.min(start + DAY_MS, inputs.now);
      const date = new Date(start).toISOString().slice(0, 10);
      // A day the records do not reach at all says so; a partly covered day shows what was recorded.
      if (since >= end) return { date, status: null, incidentIds: [] };
      const incidents = inputs.incidents.filter((inc) => componentsOf(inc).includes(name) && overlaps(inc.triggeredAt, inc.resolvedAt, start, end));
      const overrides = inputs.overrides.filter((o) => o.component === name && overlaps(o.startsAt, o.endsAt, start, end));
      const status = worstStatus([
        ...incidents.map((inc) => inc.worstStatus ?? 'degraded_performance'),
        ...overrides.map((o) => o.status),
      ]);
      return { date, status, incidentIds: incidents.map((inc) => inc.id) };
    }),
  }));
}

const OVERALL_TEXT: Record<ComponentStatusValue, string> = {
  operational: 'All systems operational',
  under_maintenance: 'Scheduled maintenance in progress',
  degraded_performance: 'Some systems are slower than usual',
  partial_outage: 'Some systems are partly unavailable',
  major_outage: 'Some systems are unavailable',
};

/** A component's state from the signals alone (SLO burns and open incidents), with why. */
function automaticState(
  name: StatusComponentName, burns: readonly SloBurnInput[], incidents: readonly StatusIncidentInput[], journeyComponents: Record<string, StatusComponentName[]>,
): { status: ComponentStatusValue; source: 'automatic'; until: null; reasons: string[] } {
  const found: { status: ComponentStatusValue; reason: string }[] = [];
  for (const burn of burns) {
    const status = statusFromBurn(burn);
    if (status === 'operational' || !(journeyComponents[burn.journey] ?? []).includes(name)) continue;
    found.push({ status, reason: `${burn.journey} ${burn.objective} SLO burning ${burn.shortBurn.toFixed(1)}x its budget` });
  }
  // An open incident marks its components degraded at least; how much worse is the SLOs' to say.
  for (const inc of incidents) {
    if (isOpen(inc) && componentsOf(inc).includes(name)) found.push({ status: 'degraded_performance', reason: `open incident ${inc.id}` });
  }
  const status = worstStatus(found.map((f) => f.status));
  return { status, source: 'automatic', until: null, reasons: found.filter((f) => f.status === status).map((f) => f.reason) };
}

/**
 * How bad an open incident is for shoppers now: the worst automatic state of its components (degraded at
 * least). The control role records the worst it reaches (incidents.worst_status), so the 90-day history
 * shows a day of major outage as such, not merely as degraded.
 */
export function incidentStatusNow(component: string, burns: readonly SloBurnInput[], journeyComponents = DEFAULT_JOURNEY_COMPONENTS): ComponentStatusValue {
  const touched = statusComponentsOf(component);
  const burning = burns.filter((b) => (journeyComponents[b.journey] ?? []).some((c) => touched.includes(c)));
  return worstStatus(['degraded_performance', ...burning.map(statusFromBurn)]);
}

/**
 * The component's override in force at `now`: the one that started last (of two that started at the same
 * instant, the later in the list, i.e. the one recorded last).
 */
export function overrideInForce<T extends StatusOverrideInput>(overrides: readonly T[], component: StatusComponentName, now: number): T | undefined {
  let found: T | undefined;
  for (const o of overrides) {
    if (o.component !== component || Date.parse(o.startsAt) > now || (o.endsAt !== null && Date.parse(o.endsAt) <= now)) continue;
    if (!found || Date.parse(o.startsAt) >= Date.parse(found.startsAt)) found = o;
  }
  return found;
}

export function computeStatusPage(inputs: StatusInputs): StatusPage {
  const journeyComponents = inputs.journeyComponents ?? DEFAULT_JOURNEY_COMPONENTS;
  const now = inputs.now;
  const components = STATUS_COMPONENTS.map((name): ComponentState => {
    const override = overrideInForce(inputs.overrides, name, now);
    if (override) return { name, status: override.status, source: 'manual', until: override.endsAt, reasons: [`set by hand: ${override.reason}`] };
    return { name, ...automaticState(name, inputs.burns, inputs.incidents, journeyComponents) };
  });
  const recentMs = inputs.recentMs ?? 7 * DAY_MS;
  const listed = inputs.incidents
    .filter((i) => isOpen(i) || (i.resolvedAt !== null && now - Date.parse(i.resolvedAt) <= recentMs))
    .sort((a, b) => Number(isOpen(b)) - Number(isOpen(a)) || Date.parse(b.triggeredAt) - Date.parse(a.triggeredAt));
  const overall = worstStatus(components.map((c) => c.status));
  return {
    generatedAt: new Date(now).toISOString(),
    overall: { status: overall, text: OVERALL_TEXT[overall] },
    components,
    incidents: listed.map(publicIncident),
    history: history(inputs),
  };
}

/** The JSON of GET /api/status. */
export interface StatusApiBody {
  generatedAt: string;
  /** `source: manual`: set by an operator (until `until`, or until cleared), whatever the signals say */
  components: { name: StatusComponentName; status: ComponentStatusValue; source: ComponentStatusSource; until?: string }[];
  incidents: PublicIncident[];
}

export function statusApiBody(page: StatusPage): StatusApiBody {
  return {
    generatedAt: page.generatedAt,
    components: page.components.map((c) => ({ name: c.name, status: c.status, source: c.source, ...(c.until ? { until: c.until } : {}) })),
    incidents: page.incidents,
  };
}

/** /status and /api/status may be cached briefly by browsers and CDNs: a surge of status checks costs little. */
export const STATUS_CACHE_CONTROL = 'public, max-age=15, stale-while-revalidate=30';

export interface StorefrontBanner {
  component: 'checkout' | 'payments';
  status: ComponentStatusValue;
  message: string;
}

const BANNER_MESSAGES: Record<'checkout' | 'payments', Partial<Record<ComponentStatusValue, string>>> = {
  payments: {
    degraded_performance: 'Payments are slow right now; your order is safe and will be confirmed.',
    partial_outage: 'Some payments are delayed right now; your order is safe and will be confirmed.',
    major_outage: 'Payments are delayed right now; your order is safe and will be confirmed as soon as the payment goes through.',
    under_maintenance: 'Payments are under maintenance; your order is safe and will be confirmed.',
  },
  checkout: {
    degraded_performance: 'Checkout is slower than usual right now; your cart is saved.',
    partial_outage: 'Checkout is failing for some shoppers right now; your cart is saved, please try again in a few minutes.',
    major_outage: 'Checkout is unavailable right now; your cart is saved, please try again in a few minutes.',
    under_maintenance: 'Checkout is under maintenance; your cart is saved.',
  },
};

/**
 * The storefront's banner while checkout or payments are not operational (the worse of the two; checkout
 * first when equal, since it is the one a shopper meets first), or null.
 */
export function storefrontBanner(components: readonly { name: string; status: ComponentStatusValue }[]): StorefrontBanner | null {
  const candidates = (['checkout', 'payments'] as const)
    .map((name) => ({ name, status: components.find((c) => c.name === name)?.status ?? 'operational' }))
    .filter((c) => c.status !== 'operational')
    .sort((a, b) => rank(b.status) - rank(a.status));
  const chosen = candidates[0];
  if (!chosen) return null;
  return { component: chosen.name, status: chosen.status, message: BANNER_MESSAGES[chosen.name][chosen.status]! };
}
