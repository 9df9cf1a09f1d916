// The notification outbox on a real PostgreSQL database, delivering to local receivers over real sockets:
// exactly one notification per transition per channel, across retries, replays, concurrent deliverers and
// a deliverer that dies mid-send; escalation and acknowledgement; coalescing; the channels' token buckets;
// and a hanging channel that delays no other.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { SlackReceiver, SLACK_RATE_LIMITED, SLACK_ROLLUP_ERROR } from '../../test/helpers/receivers/slack-receiver.ts';
import { PagerDutyReceiver, PAGERDUTY_SERVER_ERROR, PAGERDUTY_THROTTLED } from '../../test/helpers/receivers/pagerduty-receiver.ts';
import { WebhookReceiver } from '../../test/helpers/receivers/webhook-receiver.ts';
import { createSlackChannel } from './channels/slack-channel.ts';
import { createPagerDutyChannel } from './channels/pagerduty-channel.ts';
import { createWebhookChannel } from './channels/webhook-channel.ts';
import type { IncidentNotice, NotificationChannel } from './channels/notification.ts';
import { defaultEscalationPolicy, type EscalationPolicy } from './escalation.ts';
import {
  acceptsOf, deliverDueNotifications, NotificationDeliverer, notificationStats, retryDelayMs, syncIncidentNotifications,
  syncTriggeredIncidents, type DeliveryOptions,
} from './outbox.ts';
import {
  acknowledgeIncident, getIncident, incidentNotifications, incidentTimeline, openIncident, resolveIncident, updateIncident,
} from './incident-store.ts';

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SECRET = 'whsec_outbox_test_0123456789';
const T0 = Date.parse('2026-11-27T14:02:11Z');

let db: TestDatabase;
let slack: SlackReceiver;
let pd: PagerDutyReceiver;
let hook: WebhookReceiver;
let channels: NotificationChannel[];
let clock = T0;
const at = (seconds: number) => { clock = T0 + seconds * 1000; return clock; };

before(async () => {
  db = await createTestDatabase();
  slack = await new SlackReceiver().start();
  pd = await new PagerDutyReceiver().start();
  hook = await new WebhookReceiver(SECRET, { nowMs: () => clock }).start();
  channels = [
    createSlackChannel({ webhookUrl: slack.webhookUrl, timeoutMs: 5000 }),
    createPagerDutyChannel({ eventsUrl: pd.eventsUrl, routingKey: ROUTING_KEY, timeoutMs: 5000 }),
    createWebhookChannel({ url: hook.url, secret: SECRET, timeoutMs: 5000, nowMs: () => clock }),
  ];
});
after(async () => {
  await Promise.all(channels.map((c) => c.close()));
  await Promise.all([slack.stop(), pd.stop(), hook.stop()]);
  await db.drop();
});
beforeEach(async () => {
  // Each test starts with full buckets and no rows of earlier tests in its way.
  await db.pool.query('TRUNCATE incidents, incident_channel_budgets CASCADE');
  at(0);
});

const opts: DeliveryOptions = { consoleBaseUrl: 'https://shop.example.com', clock: () => clock, random: () => 1 };
const accepts = () => acceptsOf(channels);
const channel = (name: string) => channels.find((c) => c.name === name)!;
/** One delivery pass on every channel at the current clock. */
const deliverAll = () => Promise.all(channels.map((c) => deliverDueNotifications(db.pool, c, opts)));
const open = (policy: EscalationPolicy = defaultEscalationPolicy(['slack', 'pagerduty', 'webhook']), title = 'Payment provider calls slow') =>
  openIncident(db.pool, { title, severity: 'critical', component: 'payments', source: 'holdfast-control', policy, at: clock }, accepts());
const states = async (incidentId: string) => (await incidentNotifications(db.pool, incidentId)).map((n) => `${n.channel} ${n.transition} ${n.state}${n.attempts > 1 ? ` x${n.attempts}` : ''}`);

test('a triggered incident reaches each channel exactly once, and replaying its notifications adds nothing', async () => {
  const { incident, notifications } = await open();
  assert.deepEqual(notifications.map((n) => n.channel), ['slack', 'pagerduty', 'webhook']);
  // A crash after the commit and a replay of the same step (or another replica doing it): nothing new.
  assert.equal((await syncIncidentNotifications(db.pool, incident, at(5), accepts())).length, 0);
  await deliverAll();
  await deliverAll();
  assert.deepEqual(await states(incident.id), ['slack page:0:0 delivered', 'pagerduty page:0:0 delivered', 'webhook page:0:0 delivered']);
  assert.deepEqual(pd.alerts.filter((a) => a.dedupKey === incident.id).map((a) => a.log), [['trigger']]);
  assert.equal(slack.posted.filter((m) => m.text.includes(incident.id)).length, 1);
  assert.equal(hook.deliveries.get(`${incident.id}/page:0:0`)?.type, 'incident.triggered');
  assert.deepEqual(hook.duplicates, []);
  const timeline = await incidentTimeline(db.pool, incident.id);
  assert.deepEqual(timeline.map((e) => e.kind), ['triggered', 'notification', 'notification', 'notification']);
  assert.match(timeline.find((e) => e.summary.startsWith('pagerduty'))!.summary, /^pagerduty: page delivered \(HTTP 202: Event processed \(dedup_key /);
});

test('429 and 500 are retried after a backoff, honouring Retry-After, and arrive once; a 400 is never retried', async () => {
  const { incident } = await open(defaultEscalationPolicy(['slack', 'pagerduty']));
  slack.answerNext(1, SLACK_RATE_LIMITED(20));
  slack.answerNext(1, SLACK_ROLLUP_ERROR);
  pd.answerNext(1, PAGERDUTY_THROTTLED);
  pd.answerNext(1, PAGERDUTY_SERVER_ERROR);
  const slackBefore = slack.requests.length;
  const pdBefore = pd.requests.length;
  await deliverAll();
  const rows = await incidentNotifications(db.pool, incident.id);
  // Slack asked for 20 s; PagerDuty's 429 advice is 30 s; the backoff's own first wait is 1 s.
  assert.deepEqual(rows.map((r) => [r.channel, r.state, (r.due_at.getTime() - clock) / 1000]), [['slack', 'pending', 20], ['pagerduty', 'pending', 30]]);
  await deliverAll(); // nothing is due yet
  assert.equal(slack.requests.length - slackBefore, 1);
  at(20); await deliverAll(); // slack: 500
  at(30); await deliverAll(); // pagerduty: 500; slack waits its 2nd backoff (2 s ceiling: due at 22 s) -> delivered now
  at(40); await deliverAll(); // pagerduty delivered
  at(50); await deliverAll();
  assert.deepEqual(await states(incident.id), ['slack page:0:0 delivered x3', 'pagerduty page:0:0 delivered x3']);
  assert.equal(slack.requests.length - slackBefore, 3);
  assert.equal(pd.requests.length - pdBefore, 3);
  assert.deepEqual(pd.alerts.filter((a) => a.dedupKey === incident.id).map((a) => a.triggers), [1]);

  // A receiver that refuses the event as sent: one request, then the row is failed for good.
  const badKey = createPagerDutyChannel({ eventsUrl: pd.eventsUrl, routingKey: 'not-a-routing-key', timeoutMs: 5000 });
  try {
    const second = await open(defaultEscalationPolicy(['pagerduty']), 'Checkout errors');
    const requestsBefore = pd.requests.length;
    for (const s of [60, 120, 600]) { at(s); await deliverDueNotifications(db.pool, badKey, opts); }
    assert.equal(pd.requests.length - requestsBefore, 1);
    const [row] = await incidentNotifications(db.pool, second.incident.id);
    assert.equal(row!.state, 'failed');
    assert.match(row!.last_answer!, /'routing_key' must be a 32 character string/);
    assert.match((await incidentTimeline(db.pool, second.incident.id)).at(-1)!.summary, /failed: HTTP 400 .*not retried/);
  } finally {
    await badKey.close();
  }
});

test('retries give up after the last attempt, and the backoff doubles up to its ceiling', async () => {
  assert.deepEqual([1, 2, 3, 10, 20].map((n) => retryDelayMs(n, null, undefined, () => 1)), [1000, 2000, 4000, 300_000, 300_000]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(n, null, undefined, () => 0)), [500, 1000, 2000]);
  assert.equal(retryDelayMs(1, 30_000), 30_000);
  const { incident } = await open(defaultEscalationPolicy(['slack']));
  slack.answerNext(3, SLACK_ROLLUP_ERROR);
  const backoff = { initialMs: 1000, maxMs: 2000, maxAttempts: 3 };
  for (let s = 0; s <= 10; s++) { at(s); await deliverDueNotifications(db.pool, channel('slack'), { ...opts, backoff }); }
  assert.deepEqual(await states(incident.id), ['slack page:0:0 failed x3']);
  assert.match((await incidentTimeline(db.pool, incident.id)).at(-1)!.summary, /gave up after 3 attempts/);
});

test('without acknowledgement the next level is paged after its delay; acknowledging stops escalation; resolving tells each channel told', async () => {
  const policy: EscalationPolicy = { repeat: 1, levels: [{ targets: ['pagerduty', 'slack'], delaySeconds: 60 }, { targets: ['webhook'], delaySeconds: 60 }] };
  const { incident } = await open(policy);
  await deliverAll();
  at(59); assert.equal(await syncTriggeredIncidents(db.pool, clock, accepts()), 0);
  at(60); assert.equal(await syncTriggeredIncidents(db.pool, clock, accepts()), 1);
  await deliverAll();
  assert.equal(hook.deliveries.get(`${incident.id}/page:1:0`)?.type, 'incident.escalated');
  at(70); await acknowledgeIncident(db.pool, incident.id, 'ana', clock, accepts());
  at(500); assert.equal(await syncTriggeredIncidents(db.pool, clock, accepts()), 0); // no repeat after the acknowledgement
  await deliverAll();
  at(600); await resolveIncident(db.pool, incident.id, clock, accepts(), 'psp.latency cleared');
  await deliverAll();
  assert.deepEqual(await states(incident.id), [
    'pagerduty page:0:0 delivered', 'slack page:0:0 delivered', 'webhook page:1:0 delivered',
    'slack acknowledge delivered', 'pagerduty acknowledge delivered', 'webhook acknowledge delivered',
    'slack resolve delivered', 'pagerduty resolve delivered', 'webhook resolve delivered',
  ]);
  assert.deepEqual(pd.alerts.filter((a) => a.dedupKey === incident.id).map((a) => [a.status, a.log]), [['resolved', ['trigger', 'acknowledge', 'resolve']]]);
  const timeline = await incidentTimeline(db.pool, incident.id);
  assert.ok(timeline.some((e) => e.kind === 'escalation' && e.summary === 'Not acknowledged: escalated to level 2; paging webhook'));
  assert.deepEqual(timeline.filter((e) => ['triggered', 'escalation', 'acknowledged', 'resolved'].includes(e.kind)).map((e) => e.kind), ['triggered', 'escalation', 'acknowledged', 'resolved']);
});

test('what became moot before it was sent is not sent: a page to an acknowledged incident, news for a channel never told', async () => {
  const { incident } = await open(defaultEscalationPolicy(['slack', 'pagerduty']));
  pd.answerNext(1, PAGERDUTY_SERVER_ERROR);
  const pdBefore = pd.requests.length;
  await deliverAll(); // slack told; pagerduty's trigger waits for its retry
  at(10); await acknowledgeIncident(db.pool, incident.id, 'ana', clock, accepts());
  at(20); await resolveIncident(db.pool, incident.id, clock, accepts());
  await deliverAll();
  assert.deepEqual(await states(incident.id), [
    'slack page:0:0 delivered', 'pagerduty page:0:0 superseded',
    'slack acknowledge superseded', 'pagerduty acknowledge superseded', 'slack resolve delivered', 'pagerduty resolve skipped',
  ]);
  // PagerDuty saw the one trigger that failed, and nothing after it.
  assert.equal(pd.requests.length - pdBefore, 1);
  const summaries = (await incidentTimeline(db.pool, incident.id)).map((e) => e.summary);
  assert.ok(summaries.includes('pagerduty: page:0:0 not sent: the incident was resolved before this page was sent'), summaries.join('\n'));
});

test('per incident and channel, notifications go out in order: an update waits for the page still being retried', async () => {
  const { incident } = await open(defaultEscalationPolicy(['slack']));
  slack.answerNext(1, SLACK_ROLLUP_ERROR);
  const before = slack.posted.length;
  await deliverAll(); // the page fails; its retry is due in 1 s
  await updateIncident(db.pool, incident.id, { rootCause: 'provider latency' }, clock, accepts(), 30_000);
  await deliverAll(); // the update is due, but the page is not out yet
  assert.equal(slack.posted.length, before);
  at(1); await deliverAll();
  at(2); await deliverAll();
  assert.deepEqual(slack.posted.slice(before).map((m) => m.text.split(':')[0]), ['Triggered', 'Updated']);
});

test('updates are coalesced per incident: a flapping root cause reaches a channel at most once per interval', async () => {
  const { incident } = await open(defaultEscalationPolicy(['slack', 'pagerduty']));
  await deliverAll();
  const before = slack.posted.length;
  for (let i = 0; i < 20; i++) {
    at(1 + i);
    await updateIncident(db.pool, incident.id, { rootCause: i % 2 ? 'provider latency' : 'database queries' }, clock, accepts(), 30_000);
    await deliverAll();
  }
  at(60);
  while ((await deliverDueNotifications(db.pool, channel('slack'), opts)).claimed > 0) { /* until nothing is due */ }
  const updates = slack.posted.slice(before);
  // The first update at once, then the latest one after the interval; PagerDuty takes no updates.
  assert.equal(updates.length, 2);
  assert.match(updates[1]!.text, /Root cause: provider latency/);
  assert.ok((await incidentNotifications(db.pool, incident.id)).every((n) => n.channel === 'slack' || n.kind === 'page'));
  assert.equal((await getIncident(db.pool, incident.id))!.update_sequence, 20);
});

test("a channel's token bucket caps how much it is sent, however many incidents open at once", async () => {
  const limited: NotificationChannel = { ...channel('webhook'), rateLimit: { perSecond: 1, burst: 2 } };
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push((await open(defaultEscalationPolicy(['webhook']), `Incident ${i}`)).incident.id);
  const pass = async () => (await deliverDueNotifications(db.pool, limited, opts)).delivered;
  assert.deepEqual([await pass(), await pass()], [2, 0]);
  at(1); assert.equal(await pass(), 1);
  at(1.5); assert.equal(await pass(), 0);
  at(10); assert.equal(await pass(), 2); // refilled to the burst, not beyond
  assert.deepEqual((await notificationStats(db.pool)).filter((s) => s.channel === 'webhook').map((s) => [s.state, s.n]), [['delivered', 5]]);
});

test('concurrent deliverers never send one row twice, and a deliverer that dies mid-send is taken over once its lease runs out', async () => {
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await open(defaultEscalationPolicy(['webhook']), `Concurrent ${i}`)).incident.id);
  const duplicatesBefore = hook.duplicates.length;
  const passes = await Promise.all([1, 2, 3].map(() => deliverDueNotifications(db.pool, channel('webhook'), { ...opts, batchSize: 4 })));
  assert.equal(passes.reduce((n, p) => n + p.delivered, 0), 6);
  for (const id of ids) assert.ok(hook.deliveries.has(`${id}/page:0:0`));
  assert.equal(hook.duplicates.length, duplicatesBefore);

  // A deliverer claims the trigger and hangs (as if its process froze); another takes over after the lease
  // and is still sending when the first one's late answer comes back: only the current attempt is recorded.
  const { incident } = await open(defaultEscalationPolicy(['pagerduty']), 'Taken over');
  const frozen = () => {
    const gate: { release?: () => void } = {};
    const ch: NotificationChannel = {
      ...channel('pagerduty'),
      send: async (notice: IncidentNotice) => { await new Promise<void>((r) => { gate.release = r; }); return channel('pagerduty').send(notice); },
    };
    return { ch, gate };
  };
  const untilSending = async (gate: { release?: () => void }) => { for (let i = 0; i < 200 && !gate.release; i++) await new Promise((r) => setTimeout(r, 25)); };
  const first = frozen();
  const stuck = deliverDueNotifications(db.pool, first.ch, { ...opts, leaseMs: 10_000 });
  await untilSending(first.gate);
  at(5); assert.equal((await deliverDueNotifications(db.pool, channel('pagerduty'), opts)).claimed, 0); // still leased
  at(11);
  const second = frozen();
  const takeover = deliverDueNotifications(db.pool, second.ch, { ...opts, leaseMs: 10_000 });
  await untilSending(second.gate);
  first.gate.release!();
  assert.deepEqual(await stuck, { claimed: 1, delivered: 0, retrying: 0, failed: 0 }); // its late answer is not recorded
  assert.deepEqual(await states(incident.id), ['pagerduty page:0:0 sending x2']);
  second.gate.release!();
  assert.deepEqual(await takeover, { claimed: 1, delivered: 1, retrying: 0, failed: 0 });
  assert.deepEqual(await states(incident.id), ['pagerduty page:0:0 delivered x2']);
  // The frozen attempt did reach PagerDuty in the end: its dedup_key keeps it one alert.
  assert.deepEqual(pd.alerts.filter((a) => a.dedupKey === incident.id).map((a) => a.status), ['triggered']);
});

test('a channel that hangs delays no other channel', async () => {
  const hanging = createSlackChannel({ webhookUrl: slack.webhookUrl, timeoutMs: 4000 });
  const deliverer = new NotificationDeliverer({ ...opts, clock: Date.now, pool: db.pool, channels: [hanging, channel('pagerduty')], pollMs: 100 });
  try {
    clock = Date.now();
    slack.answerNext(1, { status: 200, body: 'ok', delayMs: 6000 });
    const slackBefore = slack.requests.length;
    const { incident } = await openIncident(db.pool, {
      title: 'Hanging Slack', severity: 'error', component: 'payments', source: 'holdfast-control', policy: defaultEscalationPolicy(['slack', 'pagerduty']), at: clock,
    }, acceptsOf([hanging, channel('pagerduty')]));
    deliverer.start();
    deliverer.wake();
    const pdDelivered = async () => (await states(incident.id)).includes('pagerduty page:0:0 delivered');
    for (let i = 0; i < 100 && !(await pdDelivered()); i++) await new Promise((r) => setTimeout(r, 50));
    // PagerDuty has its trigger, delivered and recorded, while Slack's request is still unanswered.
    assert.equal(pd.eventsOf(incident.id, 'trigger').length, 1);
    assert.deepEqual(await states(incident.id), ['slack page:0:0 sending', 'pagerduty page:0:0 delivered']);
    assert.equal(slack.requests.length, slackBefore);
  } finally {
    await deliverer.stop();
    await hanging.close();
  }
});

test('the escalation tick never waits on a notification a deliverer is recording: no deadlock, no answer lost to a lease', async () => {
  const { incident } = await open();
  const [page] = await incidentNotifications(db.pool, incident.id);
  // A deliverer recording its answer: the row is updated, then (in the same transaction) the timeline entry,
  // whose foreign key needs a share lock on the incident row.
  const deliverer = await db.pool.connect();
  const tick = await db.pool.connect();
  try {
    await deliverer.query('BEGIN');
    await deliverer.query(`UPDATE incident_notifications SET last_answer = 'recording' WHERE id = $1`, [page!.id]);
    // Meanwhile the escalation tick holds the incident row and writes what its policy says is due, which
    // includes the page being recorded. It must not wait for the deliverer (who would then wait for it).
    await tick.query('BEGIN');
    await tick.query(`SET LOCAL lock_timeout = '3s'`);
    const locked = (await tick.query(`SELECT * FROM incidents WHERE id = $1 FOR UPDATE`, [incident.id])).rows[0];
    const inserted = await syncIncidentNotifications(tick, { ...locked }, at(1), accepts());
    assert.deepEqual(inserted, [], 'nothing new is due, and nothing was waited for');
    await tick.query('COMMIT');
    await deliverer.query(`INSERT INTO incident_timeline (incident_id, at, kind, summary) VALUES ($1, now(), 'notification', 'recorded')`, [incident.id]);
    await deliverer.query('COMMIT');
  } finally {
    await tick.query('ROLLBACK').catch(() => {});
    await deliverer.query('ROLLBACK').catch(() => {});
    tick.release();
    deliverer.release();
  }
});
