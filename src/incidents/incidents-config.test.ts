// The incidents configuration slice: its environment names, defaults and checks, and the channels a
// configuration turns on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { schemaProblems } from '../platform/config/schema-problems.ts';
import {
  configuredChannelNames, consoleBaseUrl, incidentConsoleUrl, incidentsConfigProblems, IncidentsConfigSchema, INCIDENTS_ENV_VARS, PAGERDUTY_EVENTS_URL,
  type IncidentsConfig,
} from './incidents-config.ts';
import { createConfiguredChannels } from './channels/configured-channels.ts';

const withDefaults = (value: Record<string, unknown>) => Value.Default(IncidentsConfigSchema, value) as IncidentsConfig;

test('every key has exactly one environment variable, with the names the docs use', () => {
  assert.deepEqual(new Set(Object.values(INCIDENTS_ENV_VARS)), new Set(Object.keys(IncidentsConfigSchema.properties)));
  for (const name of ['HOLDFAST_SLACK_WEBHOOK_URL', 'HOLDFAST_PAGERDUTY_ROUTING_KEY', 'HOLDFAST_PAGERDUTY_EVENTS_URL', 'HOLDFAST_NOTIFY_WEBHOOK_URL', 'HOLDFAST_NOTIFY_WEBHOOK_SECRET']) {
    assert.ok(name in INCIDENTS_ENV_VARS, name);
  }
});

test('defaults: PagerDuty\'s endpoint, a 10 s time limit, and no channel at all', () => {
  const config = withDefaults({});
  assert.deepEqual(schemaProblems(IncidentsConfigSchema, config), []);
  assert.equal(config.pagerdutyEventsUrl, PAGERDUTY_EVENTS_URL);
  assert.equal(PAGERDUTY_EVENTS_URL, 'https://events.pagerduty.com/v2/enqueue');
  assert.equal(config.notifyTimeoutMs, 10_000);
  assert.deepEqual(configuredChannelNames(config), []);
  assert.deepEqual(createConfiguredChannels(config), []);
});

test('bad values are named at their place, secrets are checked in pairs', () => {
  const problems = schemaProblems(IncidentsConfigSchema, withDefaults({ pagerdutyRoutingKey: 'short', slackWebhookUrl: 'hooks.slack.com/x', notifyTimeoutMs: 5 })).map((p) => p.at);
  assert.deepEqual(problems.sort(), ['notifyTimeoutMs', 'pagerdutyRoutingKey', 'slackWebhookUrl']);
  assert.equal(incidentsConfigProblems({ notifyWebhookUrl: 'https://example.com/hook' }).length, 1);
  assert.match(incidentsConfigProblems({ notifyWebhookUrl: 'https://example.com/hook' })[0]!, /HOLDFAST_NOTIFY_WEBHOOK_SECRET.*required/);
  assert.match(incidentsConfigProblems({ notifyWebhookSecret: 'x'.repeat(16) })[0]!, /HOLDFAST_NOTIFY_WEBHOOK_URL/);
  assert.deepEqual(incidentsConfigProblems({ notifyWebhookUrl: 'https://example.com/hook', notifyWebhookSecret: 'x'.repeat(16) }), []);
});

test('each configured channel is built, in a fixed order; the console link is absolute', async () => {
  const config = withDefaults({
    slackWebhookUrl: 'https://hooks.slack.com/services/T0/B0/x', pagerdutyRoutingKey: 'R'.repeat(32),
    notifyWebhookUrl: 'https://example.com/hook', notifyWebhookSecret: 'whsec_0123456789abcdef',
  });
  assert.deepEqual(configuredChannelNames(config), ['slack', 'pagerduty', 'webhook']);
  const channels = createConfiguredChannels(config);
  try {
    assert.deepEqual(channels.map((c) => c.name), ['slack', 'pagerduty', 'webhook']);
  } finally {
    await Promise.all(channels.map((c) => c.close()));
  }
  assert.equal(incidentConsoleUrl('https://shop.example.com/', 'abc'), 'https://shop.example.com/ops/incidents/abc');
  // unset: this server's address, never a wildcard one nobody can open
  assert.equal(consoleBaseUrl({ consoleUrl: 'https://ops.example.com', host: '0.0.0.0', port: 3000 }), 'https://ops.example.com');
  assert.equal(consoleBaseUrl({ host: 'localhost', port: 3000 }), 'http://localhost:3000');
  assert.equal(consoleBaseUrl({ host: '0.0.0.0', port: 8080 }), 'http://localhost:8080');
  assert.equal(consoleBaseUrl({ host: '::', port: 8080 }), 'http://localhost:8080');
  assert.equal(consoleBaseUrl({ host: '::1', port: 8080 }), 'http://[::1]:8080');
});
