// Escalation policies and the pure schedule they imply. A policy is PagerDuty's shape with Holdfast's
// channels as targets (PagerDuty/terraform-provider-pagerduty, resource escalation_policy: rules with
// escalation_delay_in_minutes, and num_loops): level 1 is paged when the incident triggers; if nobody
// acknowledges within its delay, level 2 is paged, and so on; after the last level's delay the levels
// are paged again from the first, `repeat` more times. Acknowledging stops escalation; resolving tells
// every channel that was paged. Everything here is a function of the incident's times and `now`: the
// outbox inserts what is due (idempotently) whenever it is asked.
import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { ConfigError } from '../platform/config/config.ts';
import { schemaProblems } from '../platform/config/schema-problems.ts';
import { CHANNEL_NAMES, type ChannelName } from './incidents-config.ts';
import type { IncidentState, NotificationKind } from './channels/notification.ts';

export const EscalationLevelSchema = Type.Object({
  targets: Type.Array(Type.Enum(CHANNEL_NAMES), { minItems: 1, uniqueItems: true, description: 'channels paged at this level: slack, pagerduty, webhook' }),
  delaySeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'how long to wait for an acknowledgement before the next level (or, after the last level, the next repeat) is paged' })),
}, { additionalProperties: false });

export const EscalationPolicySchema = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'shown in the timeline' })),
  repeat: Type.Integer({ minimum: 0, maximum: 9, default: 0, description: 'times the levels are paged again from the first when nobody acknowledges (PagerDuty num_loops)' }),
  levels: Type.Array(EscalationLevelSchema, { minItems: 1, maxItems: 20 }),
}, { additionalProperties: false });

export type EscalationPolicy = Static<typeof EscalationPolicySchema>;

/**
 * What a schema cannot say: a level followed by another (or by a repeat) needs a delay, and every target
 * must be a channel this configuration turns on (a policy paging an unconfigured channel would page
 * nobody). Places are written as in the file: `levels[1].targets[0]`.
 */
export function escalationPolicyProblems(policy: EscalationPolicy, configured: readonly ChannelName[]): { at: string; message: string }[] {
  const problems: { at: string; message: string }[] = [];
  policy.levels.forEach((level, i) => {
    const followed = i < policy.levels.length - 1 || policy.repeat > 0;
    if (followed && level.delaySeconds === undefined) {
      problems.push({ at: `levels[${i}].delaySeconds`, message: `required: ${i < policy.levels.length - 1 ? `level ${i + 2} follows` : 'the policy repeats'}` });
    }
    level.targets.forEach((target, j) => {
      if (!configured.includes(target)) {
        problems.push({ at: `levels[${i}].targets[${j}]`, message: `"${target}" is not configured (configured: ${configured.join(', ') || 'none'})` });
      }
    });
  });
  return problems;
}

/** With no policy file: every configured channel at the first level, once. */
export function defaultEscalationPolicy(configured: readonly ChannelName[]): EscalationPolicy {
  return { name: 'every configured channel', repeat: 0, levels: configured.length ? [{ targets: [...configured] }] : [] };
}

/**
 * The policy in a JSON file (HOLDFAST_ESCALATION_POLICY_FILE), checked against the schema and the
 * configured channels. Throws a ConfigError listing every problem, so a bad file stops start-up.
 */
export function readEscalationPolicyFile(file: string, configured: readonly ChannelName[]): EscalationPolicy {
  const where = (at: string) => `${at || 'escalationPolicyFile'} (in ${file}, HOLDFAST_ESCALATION_POLICY_FILE)`;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`${where('')}: ${(err as Error).message}`]);
  }
  const withDefaults = Value.Default(EscalationPolicySchema, data);
  const problems = schemaProblems(EscalationPolicySchema, withDefaults).map((p) => `${where(p.at)}: ${p.message}`);
  if (problems.length === 0) {
    problems.push(...escalationPolicyProblems(withDefaults as EscalationPolicy, configured).map((p) => `${where(p.at)}: ${p.message}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return withDefaults as EscalationPolicy;
}

/** The policy in force: the file's, else the default. */
export function configuredEscalationPolicy(config: { escalationPolicyFile?: string | undefined }, configured: readonly ChannelName[]): EscalationPolicy {
  return config.escalationPolicyFile ? readEscalationPolicyFile(config.escalationPolicyFile, configured) : defaultEscalationPolicy(configured);
}

export interface PageStep {
  level: number;
  loop: number;
  /** ms after the incident triggered */
  offsetMs: number;
  targets: ChannelName[];
}

/** Every page the policy can send, in time order: level k of loop r at r x cycle + the delays before k. */
export function pageSchedule(policy: EscalationPolicy): PageStep[] {
  const delays = policy.levels.map((l) => (l.delaySeconds ?? 0) * 1000);
  const cycleMs = delays.reduce((a, b) => a + b, 0);
  const steps: PageStep[] = [];
  for (let loop = 0; loop <= policy.repeat; loop++) {
    let offset = loop * cycleMs;
    policy.levels.forEach((level, i) => {
      steps.push({ level: i, loop, offsetMs: offset, targets: level.targets });
      offset += delays[i]!;
    });
  }
  return steps;
}

/** The times of an incident that decide its notifications (ms since the epoch). */
export interface EscalationClock {
  state: IncidentState;
  triggeredAt: number;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
}

export interface PlannedNotification {
  channel: ChannelName;
  kind: NotificationKind;
  /** unique within the incident and channel: `page:<level>:<loop>`, `update:<n>`, `acknowledge`, `resolve` */
  transition: string;
  level: number | null;
  loop: number | null;
  /** when it became due (ms since the epoch) */
  dueAt: number;
}

export const pageTransition = (level: number, loop: number) => `page:${level}:${loop}`;

/** Pages issued by `now`: due at or before now, and before anyone acknowledged or resolved. */
function issuedPages(policy: EscalationPolicy, incident: EscalationClock, now: number): (PageStep & { dueAt: number })[] {
  const stop = Math.min(incident.acknowledgedAt ?? Infinity, incident.resolvedAt ?? Infinity);
  return pageSchedule(policy)
    .map((s) => ({ ...s, dueAt: incident.triggeredAt + s.offsetMs }))
    .filter((s) => s.dueAt <= now && s.dueAt < stop);
}

/** Channels paged so far: the ones an update, acknowledgement or resolution goes to. */
export function toldChannels(policy: EscalationPolicy, incident: EscalationClock, now: number): ChannelName[] {
  const told = new Set<ChannelName>();
  for (const page of issuedPages(policy, incident, now)) for (const t of page.targets) told.add(t);
  return CHANNEL_NAMES.filter((c) => told.has(c));
}

/**
 * Every notification the incident should have produced by `now`, in the order they must be delivered per
 * channel: pages as they fell due (none at or after an acknowledgement or resolution), then an
 * acknowledgement and a resolution to each channel that was paged. The same inputs always give the same
 * list, so the outbox can insert it again and again (unique per incident, transition and channel).
 * `accepts` drops what a channel has no use for.
 */
export function plannedNotifications(
  policy: EscalationPolicy, incident: EscalationClock, now: number,
  accepts: (channel: ChannelName, kind: NotificationKind) => boolean = () => true,
): PlannedNotification[] {
  const out: PlannedNotification[] = [];
  for (const page of issuedPages(policy, incident, now)) {
    for (const channel of page.targets) {
      out.push({ channel, kind: 'page', transition: pageTransition(page.level, page.loop), level: page.level, loop: page.loop, dueAt: page.dueAt });
    }
  }
  const told = toldChannels(policy, incident, now);
  for (const [kind, at] of [['acknowledge', incident.acknowledgedAt], ['resolve', incident.resolvedAt]] as const) {
    if (at === null || at > now) continue;
    for (const channel of told) out.push({ channel, kind, transition: kind, level: null, loop: null, dueAt: at });
  }
  return out.filter((n) => accepts(n.channel, n.kind));
}

/** An update (root cause found or changed, severity changed) for every channel paged so far. */
export function plannedUpdate(
  policy: EscalationPolicy, incident: EscalationClock, now: number, sequence: number,
  accepts: (channel: ChannelName, kind: NotificationKind) => boolean = () => true,
): PlannedNotification[] {
  if (incident.state === 'resolved') return [];
  return toldChannels(policy, incident, now)
    .filter((channel) => accepts(channel, 'update'))
    .map((channel) => ({ channel, kind: 'update' as const, transition: `update:${sequence}`, level: null, loop: null, dueAt: now }));
}

/** When the next page falls due (ms since the epoch), or null when none will: acknowledged, resolved or exhausted. */
export function nextEscalationAt(policy: EscalationPolicy, incident: EscalationClock, now: number): number | null {
  if (incident.state !== 'triggered') return null;
  const next = pageSchedule(policy).map((s) => incident.triggeredAt + s.offsetMs).find((t) => t > now);
  return next ?? null;
}
