// The Slack channel against a local incoming webhook over real sockets: the message it builds, and how it
// reads each answer Slack documents.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SlackReceiver, SLACK_RATE_LIMITED, SLACK_ROLLUP_ERROR } from '../../../test/helpers/receivers/slack-receiver.ts';
import { sampleNotice } from '../../../test/helpers/incident-notices.ts';
import { freePort } from '../../../test/helpers/free-port.ts';
import { createSlackChannel, slackMessage } from './slack-channel.ts';

let slack: SlackReceiver;
before(async () => { slack = await new SlackReceiver().start(); });
after(async () => { await slack.stop(); });

test('the message has blocks with a text fallback naming severity, summary, root cause and the console link', () => {
  const notice = sampleNotice();
  const message = slackMessage(notice);
  assert.match(message.text, /^Triggered: \[critical\] payments -> provider: Payment provider calls slow/);
  assert.ok(message.text.includes('psp.latency was set 4 s before the first signal'));
  assert.ok(message.text.endsWith(notice.consoleUrl));
  const all = JSON.stringify(message.blocks);
  assert.equal(message.blocks[0]!.type, 'header');
  assert.ok(all.includes('*Severity*') && all.includes('critical'));
  assert.ok(all.includes('*Root cause*') && all.includes('psp.latency was set 4 s'));
  assert.ok(all.includes(`<${notice.consoleUrl}|Open incident ${notice.incident.id} in the Holdfast console>`));
  // The component arrow is text from outside: Slack's control characters are escaped.
  assert.ok(all.includes('payments -&gt; provider'));
  // an owner, once assigned, is one more field
  assert.ok(!all.includes('*Owner*'));
  assert.ok(JSON.stringify(slackMessage(sampleNotice({ incident: { owner: 'ana <on call>' } })).blocks).includes('*Owner*\\nana &lt;on call&gt;'));
});

test('a title too long for a header block is cut to 150 characters, and Slack posts it', async () => {
  const notice = sampleNotice({ incident: { title: `Checkout slow ${'x'.repeat(400)}`, rootCause: null } });
  const message = slackMessage(notice);
  const header = message.blocks[0] as { text: { text: string } };
  assert.equal([...header.text.text].length, 150);
  assert.ok(JSON.stringify(message.blocks).includes('_not identified yet_'));
  const channel = createSlackChannel({ webhookUrl: slack.webhookUrl, timeoutMs: 5000 });
  try {
    const result = await channel.send(notice);
    assert.deepEqual(result, { outcome: 'delivered', status: 200, answer: 'ok' });
    assert.equal(slack.posted.at(-1)!.text, message.text);
  } finally {
    await channel.close();
  }
});

test('each transition says what happened: escalation, acknowledgement, resolution with its duration', () => {
  assert.match(slackMessage(sampleNotice({ level: 1, loop: 0, transition: 'page:1:0' })).text, /^Escalated to level 2:/);
  assert.match(slackMessage(sampleNotice({ kind: 'acknowledge', incident: { state: 'acknowledged', acknowledgedBy: 'ana' } })).text, /^Acknowledged by ana:/);
  const resolved = slackMessage(sampleNotice({ kind: 'resolve', incident: { state: 'resolved', resolvedAt: '2026-11-27T14:06:23.000Z' } }));
  assert.match(resolved.text, /^Resolved: .* Lasted 4 min 12 s\./);
});

test('answers: 200 delivered; 429 retried after Retry-After; 500 and no answer retried; 400 and 404 given up', async () => {
  const channel = createSlackChannel({ webhookUrl: slack.webhookUrl, timeoutMs: 1500 });
  try {
    slack.answerNext(1, SLACK_RATE_LIMITED(7));
    assert.deepEqual(await channel.send(sampleNotice()), { outcome: 'retry', status: 429, retryAfterMs: 7000, reason: 'HTTP 429: rate_limited' });
    slack.answerNext(1, SLACK_ROLLUP_ERROR);
    assert.deepEqual(await channel.send(sampleNotice()), { outcome: 'retry', status: 500, retryAfterMs: null, reason: 'HTTP 500: rollup_error' });
    slack.answerNext(1, { status: 200, body: 'ok', delayMs: 3000 });
    const late = await channel.send(sampleNotice());
    assert.equal(late.outcome, 'retry');
    assert.match((late as { reason: string }).reason, /no answer within 1500 ms/);
    assert.equal((await channel.send(sampleNotice())).outcome, 'delivered');
  } finally {
    await channel.close();
  }
  const revoked = createSlackChannel({ webhookUrl: `${slack.url}/services/T0/B0/revoked`, timeoutMs: 1500 });
  try {
    assert.deepEqual(await revoked.send(sampleNotice()), { outcome: 'give-up', status: 404, reason: 'HTTP 404: no_service' });
  } finally {
    await revoked.close();
  }
  slack.answerNext(1, { status: 400, body: 'invalid_payload', headers: { 'content-type': 'text/html' } });
  const channel2 = createSlackChannel({ webhookUrl: slack.webhookUrl, timeoutMs: 1500 });
  try {
    assert.deepEqual(await channel2.send(sampleNotice()), { outcome: 'give-up', status: 400, reason: 'HTTP 400: invalid_payload' });
  } finally {
    await channel2.close();
  }
});

test('a refused connection is retried', async () => {
  const channel = createSlackChannel({ webhookUrl: `http://127.0.0.1:${await freePort()}/hook`, timeoutMs: 1500 });
  try {
    const result = await channel.send(sampleNotice());
    assert.equal(result.outcome, 'retry');
    assert.match((result as { reason: string }).reason, /network error: ECONNREFUSED/);
  } finally {
    await channel.close();
  }
});
