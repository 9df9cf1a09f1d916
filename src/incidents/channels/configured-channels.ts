// The channels a configuration turns on, built once per process; each owns its HTTP connections.
import type { IncidentsConfig } from '../incidents-config.ts';
import type { NotificationChannel } from './notification.ts';
import { createPagerDutyChannel } from './pagerduty-channel.ts';
import { createSlackChannel } from './slack-channel.ts';
import { createWebhookChannel } from './webhook-channel.ts';

export function createConfiguredChannels(config: IncidentsConfig): NotificationChannel[] {
  const timeoutMs = config.notifyTimeoutMs;
  const channels: NotificationChannel[] = [];
  if (config.slackWebhookUrl) channels.push(createSlackChannel({ webhookUrl: config.slackWebhookUrl, timeoutMs }));
  if (config.pagerdutyRoutingKey) {
    channels.push(createPagerDutyChannel({ eventsUrl: config.pagerdutyEventsUrl, routingKey: config.pagerdutyRoutingKey, timeoutMs }));
  }
  if (config.notifyWebhookUrl && config.notifyWebhookSecret) {
    channels.push(createWebhookChannel({ url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret, timeoutMs }));
  }
  return channels;
}
