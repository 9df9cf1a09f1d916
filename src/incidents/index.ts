// The incidents context's public surface: notification channels (Slack, PagerDuty Events v2, a signed
// webhook), escalation policies, the durable notification outbox, the Alertmanager receiver's parser,
// the public status page and the postmortem draft. See docs/incident-response.md.
export {
  IncidentsConfigSchema, INCIDENTS_ENV_VARS, PAGERDUTY_EVENTS_URL, CHANNEL_NAMES, configuredChannelNames, incidentsConfigProblems,
  incidentConsoleUrl, type IncidentsConfig, type ChannelName,
} from './incidents-config.ts';
export {
  INCIDENT_SEVERITIES, parseRetryAfter, classifyAnswer,
  type IncidentSeverity, type IncidentState, type NotificationKind, type NoticeIncident, type IncidentNotice,
  type DeliveryResult, type ChannelRateLimit, type NotificationChannel,
} from './channels/notification.ts';
export { slackMessage, createSlackChannel, type SlackMessage, type SlackChannelOptions } from './channels/slack-channel.ts';
export {
  pagerDutyEvent, pagerDutyDedupKey, createPagerDutyChannel, PAGERDUTY_LIMITS, PAGERDUTY_429_RETRY_MS,
  type PagerDutyEvent, type PagerDutyChannelOptions,
} from './channels/pagerduty-channel.ts';
export {
  webhookBody, webhookEventType, signWebhook, verifyWebhookSignature, createWebhookChannel,
  SIGNATURE_HEADER, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_TOLERANCE_SECONDS,
  type WebhookBody, type WebhookEventType, type SignatureVerdict, type WebhookChannelOptions,
} from './channels/webhook-channel.ts';
export { createConfiguredChannels } from './channels/configured-channels.ts';
