// A generic webhook: every notice as JSON, signed so the receiver can tell it came from this Holdfast and
// was not replayed. The scheme is Stripe's webhook signature scheme with Holdfast's names:
//
//   Holdfast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//   Holdfast-Delivery:  <delivery id>   (the same on every retry of one transition to this webhook)
//   Holdfast-Event:     incident.triggered | incident.escalated | incident.updated | incident.acknowledged | incident.resolved
//
// A receiver recomputes the HMAC over the timestamp, a dot and the body exactly as received (before any
// JSON parsing), compares in constant time, rejects a timestamp more than five minutes from its own clock
// (a captured request cannot be replayed later), and remembers delivery ids for longer than that window
// (a retry, or a replay inside the window, is then seen once).
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  channelAgent, classifyAnswer, postJson,
  type ChannelRateLimit, type DeliveryResult, type IncidentNotice, type NoticeIncident, type NotificationChannel,
} from './notification.ts';

export const SIGNATURE_HEADER = 'holdfast-signature';
export const DELIVERY_HEADER = 'holdfast-delivery';
export const EVENT_HEADER = 'holdfast-event';
/** How far a signature's timestamp may be from the receiver's clock (Stripe's default tolerance). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type WebhookEventType = 'incident.triggered' | 'incident.escalated' | 'incident.updated' | 'incident.acknowledged' | 'incident.resolved';

export interface WebhookBody {
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  transition: string;
  level: number | null;
  loop: number | null;
  consoleUrl: string;
  incident: NoticeIncident;
}

export function webhookEventType(notice: IncidentNotice): WebhookEventType {
  switch (notice.kind) {
    case 'page': return notice.level === 0 && notice.loop === 0 ? 'incident.triggered' : 'incident.escalated';
    case 'update': return 'incident.updated';
    case 'acknowledge': return 'incident.acknowledged';
    case 'resolve': return 'incident.resolved';
  }
}

export function webhookBody(notice: IncidentNotice): WebhookBody {
  return {
    id: notice.deliveryId, type: webhookEventType(notice), occurredAt: notice.occurredAt, transition: notice.transition,
    level: notice.level, loop: notice.loop, consoleUrl: notice.consoleUrl, incident: notice.incident,
  };
}

/** The signature header's value for a body sent at unix second `timestamp`. */
export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export type SignatureVerdict =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'missing' | 'malformed' | 'mismatch' | 'too-old' | 'too-new' };

/**
 * Checks a Holdfast-Signature header against the raw body: any v1 entry may match (a sender rotating its
 * secret signs with both), and the timestamp must be within toleranceSeconds of nowMs.
 */
export function verifyWebhookSignature(
  header: string | string[] | undefined, rawBody: string, secret: string,
  opts: { nowMs?: number; toleranceSeconds?: number } = {},
): SignatureVerdict {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return { valid: false, reason: 'missing' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(v)) timestamp = Number(v);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(v)) signatures.push(v);
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, reason: 'malformed' };
  const expected = Buffer.from(createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex'));
  if (!signatures.some((s) => timingSafeEqual(Buffer.from(s), expected))) return { valid: false, reason: 'mismatch' };
  const skew = Math.floor((opts.nowMs ?? Date.now()) / 1000) - timestamp;
  const tolerance = opts.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (skew > tolerance) return { valid: false, reason: 'too-old' };
  if (skew < -tolerance) return { valid: false, reason: 'too-new' };
  return { valid: true, timestamp };
}

export interface WebhookChannelOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  rateLimit?: ChannelRateLimit;
  /** The clock signatures are dated by (tests). */
  nowMs?: () => number;
}

export function createWebhookChannel(opts: WebhookChannelOptions): NotificationChannel {
  const agent = channelAgent();
  const now = opts.nowMs ?? Date.now;
  return {
    name: 'webhook',
    timeoutMs: opts.timeoutMs,
    rateLimit: opts.rateLimit ?? { perSecond: 5, burst: 20 },
    accepts: () => true,
    async send(notice: IncidentNotice): Promise<DeliveryResult> {
      const raw = JSON.stringify(webhookBody(notice));
      // Signed at each attempt: a retry an hour later carries a fresh timestamp, within the tolerance.
      const headers = {
        [SIGNATURE_HEADER]: signWebhook(opts.secret, Math.floor(now() / 1000), raw),
        [DELIVERY_HEADER]: notice.deliveryId,
        [EVENT_HEADER]: webhookEventType(notice),
      };
      return classifyAnswer(await postJson(agent, opts.url, raw, headers, opts.timeoutMs));
    },
    close: () => agent.close(),
  };
}
