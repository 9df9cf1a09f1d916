// PagerDuty Events API v2 (PagerDuty/developer-docs, docs/events-API-v2/01-Overview.md,
// 02-Trigger-Events.md, 05-Rate-Limits.md). The incident id is the dedup_key: the first page triggers an
// alert, later triggers with the same key join it (an escalation is one more log entry, not a second
// alert), acknowledge and resolve act on it, and after a resolve the same key would open a new alert.
// Limits: routing_key 32 characters, dedup_key <= 255, payload.summary <= 1024, the event <= 512 KB.
// Answers: 202 accepted; 400 invalid event, never retried; 429 retried after a backoff ("retrying 3 times
// with each request being 30 seconds apart"); 5xx and network errors retried. About 120 events a minute
// per integration key over a sliding 60 s window.
import {
  channelAgent, classifyAnswer, postJson, truncate,
  type ChannelRateLimit, type DeliveryResult, type IncidentNotice, type IncidentSeverity, type NotificationChannel,
} from './notification.ts';

export const PAGERDUTY_LIMITS = {
  routingKeyLength: 32,
  dedupKeyMax: 255,
  summaryMax: 1024,
  eventMaxBytes: 512 * 1024,
  eventsPerMinute: 120,
} as const;

/** PagerDuty's advice for a 429: retry about 30 s later. */
export const PAGERDUTY_429_RETRY_MS = 30_000;

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  dedup_key: string;
  payload?: {
    summary: string;
    source: string;
    severity: IncidentSeverity;
    timestamp?: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details?: Record<string, unknown>;
  };
  links?: { href: string; text?: string }[];
  client?: string;
  client_url?: string;
}

/** The dedup_key of an incident: its id, cut to PagerDuty's limit (Holdfast ids are far shorter). */
export function pagerDutyDedupKey(incidentId: string): string {
  return incidentId.slice(0, PAGERDUTY_LIMITS.dedupKeyMax);
}

/**
 * The event for one notice, or null for a notice PagerDuty has no use for (an update: re-triggering to
 * say the root cause changed would page nobody new and spend the rate limit).
 */
export function pagerDutyEvent(notice: IncidentNotice, routingKey: string): PagerDutyEvent | null {
  const dedup_key = pagerDutyDedupKey(notice.incident.id);
  if (notice.kind === 'acknowledge' || notice.kind === 'resolve') {
    return { routing_key: routingKey, event_action: notice.kind, dedup_key };
  }
  if (notice.kind !== 'page') return null;
  const inc = notice.incident;
  const summary = truncate(`[${inc.component}] ${inc.title}${inc.rootCause ? ` (root cause: ${inc.rootCause})` : ''}`, PAGERDUTY_LIMITS.summaryMax);
  const event: PagerDutyEvent = {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key,
    payload: {
      summary,
      source: inc.source,
      severity: inc.severity,
      timestamp: inc.triggeredAt,
      component: inc.component,
      group: 'holdfast',
      custom_details: {
        ...inc.details,
        incident_id: inc.id,
        root_cause: inc.rootCause ?? 'not identified yet',
        escalation_level: (notice.level ?? 0) + 1,
        ...(notice.loop ? { escalation_repeat: notice.loop } : {}),
        started_at: inc.triggeredAt,
        console: notice.consoleUrl,
      },
    },
    links: [{ href: notice.consoleUrl, text: 'Incident in the Holdfast console' }],
    client: 'Holdfast',
    client_url: notice.consoleUrl,
  };
  // The whole event must stay under 512 KB: free-form details are what can grow, so they go first.
  if (Buffer.byteLength(JSON.stringify(event)) > PAGERDUTY_LIMITS.eventMaxBytes) {
    event.payload!.custom_details = {
      incident_id: inc.id, root_cause: truncate(inc.rootCause ?? 'not identified yet', 4000), console: notice.consoleUrl,
      details_omitted: 'the details made the event larger than PagerDuty allows (512 KB); see the console',
    };
  }
  return event;
}

export interface PagerDutyChannelOptions {
  eventsUrl: string;
  routingKey: string;
  timeoutMs: number;
  /** Default: 90 a minute with bursts of 20, so no 60 s window holds more than 110 (< 120). */
  rateLimit?: ChannelRateLimit;
}

/** PagerDuty's answer body: `{status, message, dedup_key}` on 202, `{status, message, errors}` on 400. */
function readAnswer(body: string): { message?: string; errors?: string[]; dedup_key?: string } {
  try { return JSON.parse(body) as { message?: string; errors?: string[]; dedup_key?: string }; } catch { return {}; }
}

export function createPagerDutyChannel(opts: PagerDutyChannelOptions): NotificationChannel {
  const agent = channelAgent();
  return {
    name: 'pagerduty',
    timeoutMs: opts.timeoutMs,
    rateLimit: opts.rateLimit ?? { perSecond: 1.5, burst: 20 },
    accepts: (kind) => kind !== 'update',
    async send(notice: IncidentNotice): Promise<DeliveryResult> {
      const event = pagerDutyEvent(notice, opts.routingKey);
      if (!event) return { outcome: 'give-up', status: null, reason: `PagerDuty takes no ${notice.kind} events` };
      const outcome = await postJson(agent, opts.eventsUrl, JSON.stringify(event), {}, opts.timeoutMs);
      const result = classifyAnswer(outcome, { minRetryAfter429Ms: PAGERDUTY_429_RETRY_MS });
      if (outcome.kind !== 'answer') return result;
      const answer = readAnswer(outcome.body);
      if (result.outcome === 'delivered') {
        return { ...result, answer: `${answer.message ?? 'accepted'}${answer.dedup_key ? ` (dedup_key ${answer.dedup_key})` : ''}` };
      }
      if (result.outcome === 'give-up' && answer.errors?.length) {
        return { ...result, reason: `HTTP ${outcome.status} ${answer.message ?? 'invalid event'}: ${answer.errors.join('; ')}` };
      }
      return result;
    },
    close: () => agent.close(),
  };
}

