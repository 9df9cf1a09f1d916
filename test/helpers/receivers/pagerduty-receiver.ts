// A local PagerDuty Events API v2 (`POST /v2/enqueue`), answering and deduplicating as PagerDuty documents
// (PagerDuty/developer-docs, docs/events-API-v2/): 202 `{"status":"success","message":"Event processed",
// "dedup_key":...}`; 400 `{"status":"invalid event","message":"Event object is invalid","errors":[...]}`
// for a body that breaks the required fields or limits; 429 past about 120 events a minute per routing
// key (a sliding 60 s window) or when a test scripts it; 500 when scripted.
//
// Alerts are deduplicated like PagerDuty's: a trigger whose (routing_key, dedup_key) has an open alert
// adds to it; acknowledge and resolve act on the open alert and are dropped when there is none; after a
// resolve, a trigger with the same key opens a new alert. A trigger without dedup_key gets a new UUID.
import { randomUUID } from 'node:crypto';
import { ScriptedReceiver, parseJson, type Answer } from './scripted-receiver.ts';

export const PAGERDUTY_PATH = '/v2/enqueue';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers },
});
export const PAGERDUTY_THROTTLED: Answer = json(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' });
export const PAGERDUTY_SERVER_ERROR: Answer = json(500, { status: 'error', message: 'Internal Server Error' });

export interface ReceivedEvent {
  routing_key: string;
  event_action: 'trigger' | 'acknowledge' | 'resolve';
  dedup_key: string;
  payload?: { summary: string; source: string; severity: string; component?: string; custom_details?: Record<string, unknown>; timestamp?: string };
  links?: { href: string; text?: string }[];
  [key: string]: unknown;
}

export interface PagerDutyAlert {
  routingKey: string;
  dedupKey: string;
  status: 'triggered' | 'acknowledged' | 'resolved';
  /** the triggers that opened or joined this alert */
  triggers: number;
  /** every event applied to it, in order */
  log: ReceivedEvent['event_action'][];
  summary: string;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];

/** The errors PagerDuty would list for this event (empty: valid). */
export function pagerDutyEventErrors(raw: string): string[] {
  if (Buffer.byteLength(raw) > 512 * 1024) return ['Event object is larger than 512 KB'];
  const e = parseJson(raw) as Record<string, unknown> | undefined;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return ['Event object is not valid JSON'];
  const errors: string[] = [];
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32) errors.push("'routing_key' must be a 32 character string");
  if (!ACTIONS.includes(e.event_action as string)) errors.push("'event_action' is invalid (must be one of: trigger acknowledge resolve)");
  if (e.dedup_key !== undefined && (typeof e.dedup_key !== 'string' || e.dedup_key.length === 0 || e.dedup_key.length > 255)) errors.push("'dedup_key' must be a string of at most 255 characters");
  if ((e.event_action === 'acknowledge' || e.event_action === 'resolve') && e.dedup_key === undefined) errors.push("'dedup_key' is required for acknowledge and resolve events");
  if (e.event_action === 'trigger') {
    const p = e.payload as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object') errors.push("'payload' is missing or is not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0) errors.push("'payload.summary' is missing or blank");
      else if ([...p.summary].length > 1024) errors.push("'payload.summary' must be at most 1024 characters");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing or blank");
      if (!SEVERITIES.includes(p.severity as string)) errors.push("'payload.severity' is invalid (must be one of: critical error warning info)");
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp)))) errors.push("'payload.timestamp' is not an ISO 8601 timestamp");
      if (p.custom_details !== undefined && (typeof p.custom_details !== 'object' || p.custom_details === null)) errors.push("'payload.custom_details' must be an object");
    }
  }
  if (e.links !== undefined && (!Array.isArray(e.links) || e.links.some((l) => typeof (l as { href?: unknown })?.href !== 'string'))) errors.push("'links' must be objects with an 'href'");
  if (e.images !== undefined && (!Array.isArray(e.images) || e.images.some((i) => !String((i as { src?: unknown })?.src).startsWith('https://')))) errors.push("'images' must be objects with an HTTPS 'src'");
  return errors;
}

export class PagerDutyReceiver extends ScriptedReceiver {
  /** Accepted events (202), in order. */
  readonly events: ReceivedEvent[] = [];
  readonly alerts: PagerDutyAlert[] = [];
  /** When events were accepted, per routing key (for the 60 s window). */
  readonly #acceptedAt = new Map<string, number[]>();

  constructor(opts: { eventsPerMinute?: number } = {}) {
    const limit = opts.eventsPerMinute ?? 120;
    super((req) => {
      if (req.method !== 'POST' || req.path !== PAGERDUTY_PATH) return json(404, { status: 'not found', message: 'Not Found' });
      const errors = pagerDutyEventErrors(req.body);
      if (errors.length) return json(400, { status: 'invalid event', message: 'Event object is invalid', errors });
      const event = JSON.parse(req.body) as ReceivedEvent;
      const window = (this.#acceptedAt.get(event.routing_key) ?? []).filter((t) => t > req.at - 60_000);
      if (window.length >= limit) {
        this.#acceptedAt.set(event.routing_key, window);
        return PAGERDUTY_THROTTLED;
      }
      window.push(req.at);
      this.#acceptedAt.set(event.routing_key, window);
      event.dedup_key ??= randomUUID();
      this.events.push(event);
      this.#apply(event);
      return json(202, { status: 'success', message: 'Event processed', dedup_key: event.dedup_key });
    });
  }

  #apply(event: ReceivedEvent): void {
    const open = this.alerts.find((a) => a.routingKey === event.routing_key && a.dedupKey === event.dedup_key && a.status !== 'resolved');
    if (event.event_action === 'trigger') {
      if (open) {
        open.triggers++;
        open.log.push('trigger');
      } else {
        this.alerts.push({ routingKey: event.routing_key, dedupKey: event.dedup_key, status: 'triggered', triggers: 1, log: ['trigger'], summary: event.payload!.summary });
      }
      return;
    }
    if (!open) return; // acknowledge/resolve without an open alert are dropped
    open.log.push(event.event_action);
    open.status = event.event_action === 'acknowledge' ? 'acknowledged' : 'resolved';
  }

  /** Accepted events of one dedup key and action. */
  eventsOf(dedupKey: string, action?: ReceivedEvent['event_action']): ReceivedEvent[] {
    return this.events.filter((e) => e.dedup_key === dedupKey && (!action || e.event_action === action));
  }

  get eventsUrl(): string { return `${this.url}${PAGERDUTY_PATH}`; }
}
