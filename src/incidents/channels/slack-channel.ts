// Slack incoming webhooks: one message per transition, in Block Kit `blocks` with a `text` fallback
// (Slack shows `text` in notifications and where blocks cannot be drawn). Answers, from Slack's "Improving
// error conditions for Incoming Webhooks" (api.slack.com/changelog/2016-05-17): 200 `ok`; 400
// invalid_payload / user_not_found, 403 action_prohibited, 404 channel_not_found / no_service (the
// webhook was removed), 410 channel_is_archived: never retried; 429 rate_limited with Retry-After, and
// 500 rollup_error: retried.
import type { Agent } from 'undici';
import {
  channelAgent, classifyAnswer, elapsedText, postJson, transitionHeadline, truncate,
  type ChannelRateLimit, type DeliveryResult, type IncidentNotice, type NotificationChannel, type NotificationKind,
} from './notification.ts';

// Block Kit limits: a header's plain_text at most 150 characters, a section's text 3000, a field 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };

export interface SlackMessage {
  /** The fallback: notifications, screen readers and clients without Block Kit read this. */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
}

/** Slack's mrkdwn treats &, < and > as control characters: they must be escaped in text from outside. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const SEVERITY_MARK: Record<string, string> = { critical: ':red_circle:', error: ':large_orange_circle:', warning: ':large_yellow_circle:', info: ':large_blue_circle:' };
const KIND_MARK: Record<NotificationKind, string> = { page: ':rotating_light:', update: ':information_source:', acknowledge: ':eyes:', resolve: ':white_check_mark:' };

/** Slack renders `<!date^unix^format|fallback>` in each reader's own time zone. */
function slackDate(iso: string): string {
  return `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time_secs}|${iso}>`;
}

/** The message for one transition: what happened, how bad, where, why (so far), and the way to the console. */
export function slackMessage(notice: IncidentNotice): SlackMessage {
  const inc = notice.incident;
  const headline = transitionHeadline(notice);
  const duration = notice.kind === 'resolve' ? elapsedText(inc.triggeredAt, inc.resolvedAt) : null;
  const rootCause = inc.rootCause ?? 'not identified yet';
  const text = truncate(
    `${headline}: [${inc.severity}] ${inc.component}: ${inc.title}. Root cause: ${rootCause}.`
    + `${duration ? ` Lasted ${duration}.` : ''} ${notice.consoleUrl}`, SECTION_MAX);
  const fields: TextObject[] = [
    { type: 'mrkdwn', text: `*Severity*\n${SEVERITY_MARK[inc.severity] ?? ''} ${inc.severity}` },
    { type: 'mrkdwn', text: truncate(`*Component*\n${slackEscape(inc.component)}`, FIELD_MAX) },
    { type: 'mrkdwn', text: `*Started*\n${slackDate(inc.triggeredAt)}` },
    { type: 'mrkdwn', text: `*State*\n${inc.state}${duration ? ` after ${duration}` : ''}` },
    ...(inc.owner ? [{ type: 'mrkdwn' as const, text: truncate(`*Owner*\n${slackEscape(inc.owner)}`, FIELD_MAX) }] : []),
  ];
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${headline}: ${inc.title}`, HEADER_MAX), emoji: true } },
    { type: 'section', fields },
    { type: 'section', text: { type: 'mrkdwn', text: truncate(`*Root cause*\n${inc.rootCause ? slackEscape(inc.rootCause) : '_not identified yet_'}`, SECTION_MAX) } },
    // A link, not a button: a button in an incoming webhook message needs an app with interactivity.
    { type: 'section', text: { type: 'mrkdwn', text: `${KIND_MARK[notice.kind]} <${notice.consoleUrl}|Open incident ${slackEscape(inc.id)} in the Holdfast console>` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(`Incident ${slackEscape(inc.id)} · ${slackEscape(inc.source)} · ${notice.transition} at ${slackDate(notice.occurredAt)}`, SECTION_MAX) }] },
  ];
  return { text, blocks, unfurl_links: false };
}

export interface SlackChannelOptions {
  webhookUrl: string;
  timeoutMs: number;
  /** Slack allows about one message a second per webhook, with short bursts. */
  rateLimit?: ChannelRateLimit;
}

export function createSlackChannel(opts: SlackChannelOptions): NotificationChannel {
  const agent: Agent = channelAgent();
  return {
    name: 'slack',
    timeoutMs: opts.timeoutMs,
    rateLimit: opts.rateLimit ?? { perSecond: 1, burst: 3 },
    accepts: () => true,
    async send(notice: IncidentNotice): Promise<DeliveryResult> {
      const outcome = await postJson(agent, opts.webhookUrl, JSON.stringify(slackMessage(notice)), {}, opts.timeoutMs);
      return classifyAnswer(outcome);
    },
    close: () => agent.close(),
  };
}
