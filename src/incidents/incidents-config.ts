// The incidents context's configuration slice: where notifications go (Slack, PagerDuty, a signed
// webhook), the escalation policy file, and the console address that every notification links back to.
// A TypeBox schema plus its environment variable names, in the shape of src/platform/config/config.ts, so
// the one typed configuration can compose it (docs/configuration.md is generated from that).
import { Type } from 'typebox';
import { defineConfigSlice, type SliceConfig } from '../platform/config/config.ts';

/** PagerDuty's documented endpoint for alert events (Events API v2, "Send an Alert Event"). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const INCIDENTS_PROPERTIES = {
  slackWebhookUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Slack incoming webhook URL incidents are posted to; unset: no Slack notifications' })),
  // Integration keys of PagerDuty services (and of rulesets) are 32 characters ("Send an Alert Event").
  pagerdutyRoutingKey: Type.Optional(Type.String({ minLength: 32, maxLength: 32, description: 'PagerDuty Events API v2 integration key (routing_key, 32 characters); unset: no PagerDuty events' })),
  pagerdutyEventsUrl: Type.String({ pattern: '^https?://', default: PAGERDUTY_EVENTS_URL, description: 'PagerDuty Events API v2 endpoint (tests point it at a local receiver)' }),
  notifyWebhookUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'URL that receives every incident notification as signed JSON (Holdfast-Signature); unset: no webhook' })),
  notifyWebhookSecret: Type.Optional(Type.String({ minLength: 16, description: 'HMAC-SHA256 secret that signs webhook notifications (at least 16 characters; required with notifyWebhookUrl)' })),
  escalationPolicyFile: Type.Optional(Type.String({ minLength: 1, description: 'JSON file of the escalation policy (docs/incident-response.md); unset: every configured channel is paged at once, once' })),
  consoleUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Address of the ops console as people reach it (notifications link to <consoleUrl>/ops/incidents/<id>); unset: the shop URL' })),
  notifyTimeoutMs: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000, description: 'Longest one notification request may take before it counts as failed and is retried' }),
};

/** Environment variable -> key of the slice. */
export const INCIDENTS_ENV_VARS = {
  HOLDFAST_SLACK_WEBHOOK_URL: 'slackWebhookUrl',
  HOLDFAST_PAGERDUTY_ROUTING_KEY: 'pagerdutyRoutingKey',
  HOLDFAST_PAGERDUTY_EVENTS_URL: 'pagerdutyEventsUrl',
  HOLDFAST_NOTIFY_WEBHOOK_URL: 'notifyWebhookUrl',
  HOLDFAST_NOTIFY_WEBHOOK_SECRET: 'notifyWebhookSecret',
  HOLDFAST_ESCALATION_POLICY_FILE: 'escalationPolicyFile',
  HOLDFAST_CONSOLE_URL: 'consoleUrl',
  HOLDFAST_NOTIFY_TIMEOUT_MS: 'notifyTimeoutMs',
} as const satisfies Record<string, keyof typeof INCIDENTS_PROPERTIES>;

/** The incidents' slice of the one configuration (src/app/holdfast-config.ts composes it). */
export const incidentsConfig = defineConfigSlice(INCIDENTS_PROPERTIES, INCIDENTS_ENV_VARS);

export type IncidentsConfig = SliceConfig<typeof incidentsConfig>;

/** The slice as one schema (checking a value of the slice on its own). */
export const IncidentsConfigSchema = Type.Object(INCIDENTS_PROPERTIES, { additionalProperties: false });

/** The notification channels Holdfast can deliver to; escalation policies name them as targets. */
export const CHANNEL_NAMES = ['slack', 'pagerduty', 'webhook'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

/** The channels this configuration turns on, in a fixed order. */
export function configuredChannelNames(config: Pick<IncidentsConfig, 'slackWebhookUrl' | 'pagerdutyRoutingKey' | 'notifyWebhookUrl'>): ChannelName[] {
  const on: ChannelName[] = [];
  if (config.slackWebhookUrl) on.push('slack');
  if (config.pagerdutyRoutingKey) on.push('pagerduty');
  if (config.notifyWebhookUrl) on.push('webhook');
  return on;
}

/**
 * Rules across keys that a schema cannot say: a webhook without a secret would send unsigned bodies its
 * receiver cannot trust, and a secret without a URL is a typo. Each problem names its variable.
 */
export function incidentsConfigProblems(config: Pick<IncidentsConfig, 'notifyWebhookUrl' | 'notifyWebhookSecret'>): string[] {
  const problems: string[] = [];
  if (config.notifyWebhookUrl && !config.notifyWebhookSecret) {
    problems.push('notifyWebhookSecret (HOLDFAST_NOTIFY_WEBHOOK_SECRET): required when notifyWebhookUrl (HOLDFAST_NOTIFY_WEBHOOK_URL) is set, so receivers can verify what they get');
  }
  if (config.notifyWebhookSecret && !config.notifyWebhookUrl) {
    problems.push('notifyWebhookUrl (HOLDFAST_NOTIFY_WEBHOOK_URL): not set, but notifyWebhookSecret (HOLDFAST_NOTIFY_WEBHOOK_SECRET) is: set both or neither');
  }
  return problems;
}

/**
 * Where notifications link to: the configured console address, else this server's own address (a wildcard
 * listening address is no place to link to; localhost at least works on the machine itself).
 */
export function consoleBaseUrl(config: Pick<IncidentsConfig, 'consoleUrl'> & { host: string; port: number }): string {
  if (config.consoleUrl) return config.consoleUrl;
  const host = ['0.0.0.0', '::', '[::]'].includes(config.host) ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** The console page of one incident, as every notification links to it. */
export function incidentConsoleUrl(consoleBaseUrl: string, incidentId: string): string {
  return `${consoleBaseUrl.replace(/\/+$/, '')}/ops/incidents/${encodeURIComponent(incidentId)}`;
}
