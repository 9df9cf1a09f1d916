// What every notification channel is told, and what it answers. A notice is one transition of one
// incident (paged at an escalation level, updated, acknowledged, resolved); each channel turns it into its
// own wire format with a pure builder, sends it with a time limit, and classifies the answer so the
// outbox knows whether the notice arrived, should be retried (and when), or can never be delivered.
import { Agent, request, errors as undiciErrors } from 'undici';
import type { ChannelName } from '../incidents-config.ts';

/** PagerDuty's four severities (PD-CEF); Holdfast incidents use the same scale. */
export const INCIDENT_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export type IncidentState = 'triggered' | 'acknowledged' | 'resolved';

/**
 * page: a person is paged (the first page opens the incident on the channel; later ones are
 * escalations); update: what is known changed (root cause, severity); acknowledge; resolve.
 */
export type NotificationKind = 'page' | 'update' | 'acknowledge' | 'resolve';

export interface NoticeIncident {
  id: string;
  title: string;
  severity: IncidentSeverity;
  /** the part of the shop that is affected (alert service): payments, storefront, database, ... */
  component: string;
  /** the system reporting it, a host name or role (PagerDuty's payload.source) */
  source: string;
  state: IncidentState;
  rootCause: string | null;
  triggeredAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
  /** who owns the incident, once assigned */
  owner?: string | null;
  /** free-form facts shown with the incident (PagerDuty's custom_details): the signal, its baseline, ... */
  details: Record<string, unknown>;
}

export interface IncidentNotice {
  /** The same for every attempt of this transition to this channel: receivers deduplicate by it. */
  deliveryId: string;
  kind: NotificationKind;
  /** The transition's key within the incident: `page:<level>:<loop>`, `update:<n>`, `acknowledge`, `resolve`. */
  transition: string;
  /** Escalation level (0 = first) and loop (0 = first pass) of a page; null otherwise. */
  level: number | null;
  loop: number | null;
  incident: NoticeIncident;
  /** Absolute URL of the incident in the ops console (/ops/incidents/:id). */
  consoleUrl: string;
  /** When the transition happened (ISO 8601). */
  occurredAt: string;
}

/**
 * What a channel made of one attempt. `retry` carries the channel's own minimum wait (a Retry-After
 * header, or the provider's documented advice) when it has one; the outbox waits at least that long and
 * at least its own backoff.
 */
export type DeliveryResult =
  | { outcome: 'delivered'; status: number; answer: string }
  | { outcome: 'retry'; status: number | null; retryAfterMs: number | null; reason: string }
  | { outcome: 'give-up'; status: number | null; reason: string };

export interface ChannelRateLimit {
  /** tokens added per second */
  perSecond: number;
  /** most tokens held: the largest burst */
  burst: number;
}

export interface NotificationChannel {
  readonly name: ChannelName;
  /** Sustained rate the channel tolerates; the outbox's token bucket for it. */
  readonly rateLimit: ChannelRateLimit;
  /** Longest one send may take; a claimed notification's lease outlasts it. */
  readonly timeoutMs: number;
  /** Whether this kind of notice means anything on the channel (PagerDuty has no "update"). */
  accepts(kind: NotificationKind): boolean;
  send(notice: IncidentNotice): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** The transition's name as a sentence starts: "Triggered", "Escalated to level 2", ... */
export function transitionHeadline(notice: IncidentNotice): string {
  switch (notice.kind) {
    case 'page':
      if (notice.level === 0 && notice.loop === 0) return 'Triggered';
      return `Escalated to level ${(notice.level ?? 0) + 1}${notice.loop ? ` (repeat ${notice.loop})` : ''}`;
    case 'update': return 'Updated';
    case 'acknowledge': return notice.incident.acknowledgedBy ? `Acknowledged by ${notice.incident.acknowledgedBy}` : 'Acknowledged';
    case 'resolve': return 'Resolved';
  }
}

/** "4 min 12 s" between two ISO times, or null when the end is unknown. */
export function elapsedText(fromIso: string, toIso: string | null): string | null {
  if (!toIso) return null;
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Cuts text to at most max characters (code points), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Retry-After as milliseconds from now: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); null when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  if (/^\s*\d+\s*$/.test(raw)) return Number(raw.trim()) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** An HTTP answer, or why there was none. */
export type HttpOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { kind: 'no-answer'; reason: string };

/** Answers are read up to this size: enough for any error message, bounded against a hostile receiver. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs a JSON body and waits at most timeoutMs for the whole answer. Each channel owns its agent
 * (its own connection pool), so a receiver that hangs holds only that channel's connections.
 */
export async function postJson(agent: Agent, url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpOutcome> {
  try {
    const res = await request(url, {
      method: 'POST', dispatcher: agent, body,
      headers: { 'content-type': 'application/json', 'user-agent': 'Holdfast-Notifier/1', ...headers },
      signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs,
    });
    let text = '';
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size <= MAX_ANSWER_BYTES) text += (chunk as Buffer).toString('utf8');
    }
    return { kind: 'answer', status: res.statusCode, headers: res.headers, body: text };
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string } };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || err instanceof undiciErrors.HeadersTimeoutError
      || err instanceof undiciErrors.BodyTimeoutError || err instanceof undiciErrors.ConnectTimeoutError;
    const code = e.code ?? e.cause?.code;
    return { kind: 'no-answer', reason: timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${code ?? e.message}` };
  }
}

/** One agent per channel: HTTP/1.1, a few connections, bounded connect time. */
export function channelAgent(): Agent {
  return new Agent({ connections: 4, keepAliveTimeout: 10_000, connect: { timeout: 5_000 }, allowH2: false });
}

/**
 * The classification every channel shares for answers it has no special reading of: a network error or
 * no answer in time, 408, 429 and 5xx are worth retrying (429 honouring Retry-After); any other 4xx will
 * never succeed as sent.
 */
export function classifyAnswer(outcome: HttpOutcome, opts: { nowMs?: number; minRetryAfter429Ms?: number } = {}): DeliveryResult {
  if (outcome.kind === 'no-answer') return { outcome: 'retry', status: null, retryAfterMs: null, reason: outcome.reason };
  const { status, body } = outcome;
  const said = body.trim().slice(0, 300);
  const reason = `HTTP ${status}${said ? `: ${said}` : ''}`;
  if (status >= 200 && status < 300) return { outcome: 'delivered', status, answer: said };
  if (status === 429) {
    const hinted = parseRetryAfter(outcome.headers['retry-after'], opts.nowMs);
    return { outcome: 'retry', status, retryAfterMs: Math.max(hinted ?? 0, opts.minRetryAfter429Ms ?? 0) || null, reason };
  }
  if (status === 408 || status >= 500) return { outcome: 'retry', status, retryAfterMs: parseRetryAfter(outcome.headers['retry-after'], opts.nowMs), reason };
  return { outcome: 'give-up', status, reason };
}
