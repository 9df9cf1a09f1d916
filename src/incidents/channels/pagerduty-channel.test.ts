// The PagerDuty channel against a local Events API v2 over real sockets: the events it builds (fields and
// documented limits), deduplication by incident id, and how each documented answer is classified.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PagerDutyReceiver, PAGERDUTY_SERVER_ERROR, PAGERDUTY_THROTTLED, pagerDutyEventErrors } from '../../../test/helpers/receivers/pagerduty-receiver.ts';
import { sampleNotice } from '../../../test/helpers/incident-notices.ts';
import { createPagerDutyChannel, pagerDutyEvent, PAGERDUTY_429_RETRY_MS } from './pagerduty-channel.ts';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
let pd: PagerDutyReceiver;
before(async () => { pd = await new PagerDutyReceiver().start(); });
after(async () => { await pd.stop(); });

const channelFor = (routingKey = ROUTING_KEY) => createPagerDutyChannel({ eventsUrl: pd.eventsUrl, routingKey, timeoutMs: 5000 });

test('a page is a trigger keyed by the incident id, with summary, source, severity, component, details and a link back', () => {
  const notice = sampleNotice();
  const event = pagerDutyEvent(notice, ROUTING_KEY)!;
  assert.equal(event.event_action, 'trigger');
  assert.equal(event.dedup_key, notice.incident.id);
  assert.equal(event.routing_key, ROUTING_KEY);
  assert.deepEqual({ ...event.payload, custom_details: undefined }, {
    summary: '[payments -> provider] Payment provider calls slow: p95 2.04 s (baseline 0.08 s) (root cause: provider: latency 2.04 s vs 0.08 s baseline; psp.latency was set 4 s before the first signal)',
    source: 'holdfast-control', severity: 'critical', timestamp: notice.incident.triggeredAt, component: 'payments -> provider',
    group: 'holdfast', custom_details: undefined,
  });
  assert.equal(event.payload!.custom_details!.incident_id, notice.incident.id);
  assert.equal(event.payload!.custom_details!.escalation_level, 1);
  assert.equal(event.payload!.custom_details!.currentSeconds, 2.04);
  assert.deepEqual(event.links, [{ href: notice.consoleUrl, text: 'Incident in the Holdfast console' }]);
  assert.deepEqual(pagerDutyEventErrors(JSON.stringify(event)), []);
});

test('acknowledge and resolve carry only the routing and dedup keys; an update is not sent', () => {
  const id = sampleNotice().incident.id;
  assert.deepEqual(pagerDutyEvent(sampleNotice({ kind: 'acknowledge' }), ROUTING_KEY), { routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: id });
  assert.deepEqual(pagerDutyEvent(sampleNotice({ kind: 'resolve' }), ROUTING_KEY), { routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: id });
  assert.equal(pagerDutyEvent(sampleNotice({ kind: 'update', transition: 'update:1' }), ROUTING_KEY), null);
  assert.equal(channelFor().accepts('update'), false);
});

test('an over-long summary and oversized details stay within PagerDuty limits and are accepted', async () => {
  const notice = sampleNotice({ incident: { title: 'y'.repeat(5000), details: { dump: 'z'.repeat(600 * 1024) } } });
  const event = pagerDutyEvent(notice, ROUTING_KEY)!;
  assert.equal([...event.payload!.summary].length, 1024);
  assert.ok(Buffer.byteLength(JSON.stringify(event)) <= 512 * 1024);
  assert.match(String(event.payload!.custom_details!.details_omitted), /larger than PagerDuty allows \(512 KB\)/);
  const channel = channelFor();
  try {
    const result = await channel.send(notice);
    assert.equal(result.outcome, 'delivered', JSON.stringify(result));
  } finally {
    await channel.close();
  }
});

test('trigger, escalation, acknowledge and resolve land on one alert; a trigger after the resolve opens a new one', async () => {
  const id = 'a1b2c3d4-0000-4000-8000-000000000001';
  const channel = channelFor();
  try {
    const sent = [];
    sent.push(await channel.send(sampleNotice({ incident: { id } })));
    sent.push(await channel.send(sampleNotice({ incident: { id }, level: 1, loop: 0, transition: 'page:1:0' })));
    sent.push(await channel.send(sampleNotice({ incident: { id, state: 'acknowledged' }, kind: 'acknowledge' })));
    sent.push(await channel.send(sampleNotice({ incident: { id, state: 'resolved' }, kind: 'resolve' })));
    for (const r of sent) assert.deepEqual(r, { outcome: 'delivered', status: 202, answer: `Event processed (dedup_key ${id})` });
    const alerts = pd.alerts.filter((a) => a.dedupKey === id);
    assert.deepEqual(alerts.map((a) => ({ status: a.status, triggers: a.triggers, log: a.log })), [
      { status: 'resolved', triggers: 2, log: ['trigger', 'trigger', 'acknowledge', 'resolve'] },
    ]);
    await channel.send(sampleNotice({ incident: { id } }));
    assert.deepEqual(pd.alerts.filter((a) => a.dedupKey === id).map((a) => a.status), ['resolved', 'triggered']);
  } finally {
    await channel.close();
  }
});

test('answers: 429 retried no sooner than PagerDuty advises, 5xx retried, 400 given up with PagerDuty errors', async () => {
  const channel = channelFor();
  try {
    pd.answerNext(1, PAGERDUTY_THROTTLED);
    const throttled = await channel.send(sampleNotice());
    assert.equal(throttled.outcome, 'retry');
    assert.equal((throttled as { retryAfterMs: number }).retryAfterMs, PAGERDUTY_429_RETRY_MS);
    pd.answerNext(1, { ...PAGERDUTY_THROTTLED, headers: { 'content-type': 'application/json', 'retry-after': '90' } });
    assert.equal((await channel.send(sampleNotice()) as { retryAfterMs: number }).retryAfterMs, 90_000);
    pd.answerNext(1, PAGERDUTY_SERVER_ERROR);
    assert.equal((await channel.send(sampleNotice())).outcome, 'retry');
    pd.answerNext(1, { status: 503, body: '' });
    assert.equal((await channel.send(sampleNotice())).outcome, 'retry');
  } finally {
    await channel.close();
  }
  const wrongKey = channelFor('too-short');
  try {
    assert.deepEqual(await wrongKey.send(sampleNotice()), {
      outcome: 'give-up', status: 400, reason: "HTTP 400 Event object is invalid: 'routing_key' must be a 32 character string",
    });
  } finally {
    await wrongKey.close();
  }
});

test('the receiver throttles past 120 events a minute per routing key, as PagerDuty does', async () => {
  const limited = await new PagerDutyReceiver({ eventsPerMinute: 3 }).start();
  const channel = createPagerDutyChannel({ eventsUrl: limited.eventsUrl, routingKey: ROUTING_KEY, timeoutMs: 5000 });
  try {
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await channel.send(sampleNotice())).outcome);
    assert.deepEqual(outcomes, ['delivered', 'delivered', 'delivered', 'retry']);
  } finally {
    await channel.close();
    await limited.stop();
  }
});
