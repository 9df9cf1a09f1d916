// Incident response end to end, with Holdfast deployed as in production (one process per role) and every
// notification channel pointed at a local receiver that answers like the real service over a real socket:
// under light checkout traffic, psp.latency (the README's example, 2000 ms) opens one incident within
// 15 s; PagerDuty gets exactly one trigger and Slack one "Triggered" message; nobody acknowledges, so level
// two (the signed webhook) is paged after its delay; acknowledging stops the escalation (the policy would
// page level one again); clearing the fault resolves the incident and PagerDuty gets exactly one resolve.
// Meanwhile the public /api/status shows payments degraded (or worse) within 15 s, and operational again.
// Each receiver first answers 429 or 500: the notification is retried and never arrives twice.
// detection: light
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startRoleDeployment, type RoleDeployment } from '../helpers/role-processes.ts';
import { startShopperLoad, type ShopperLoad } from '../helpers/control-load.ts';
import { admin, clearFault, setFault } from '../helpers/shop.ts';
import { PagerDutyReceiver, PAGERDUTY_SERVER_ERROR } from '../helpers/receivers/pagerduty-receiver.ts';
import { SlackReceiver, SLACK_RATE_LIMITED } from '../helpers/receivers/slack-receiver.ts';
import { WebhookReceiver, WEBHOOK_UNAVAILABLE } from '../helpers/receivers/webhook-receiver.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SECRET = 'incident-webhook-secret-0123456789';
/** level one waits this long for an acknowledgement before level two; level two as long before the repeat */
const DELAY_SECONDS = 12;

let shop: RoleDeployment;
let load: ShopperLoad;
let dir: string;
const pagerduty = new PagerDutyReceiver();
const slack = new SlackReceiver();
const webhook = new WebhookReceiver(SECRET);

before(async () => {
  await Promise.all([pagerduty.start(), slack.start(), webhook.start()]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'holdfast-escalation-'));
  const policyFile = path.join(dir, 'escalation-policy.json');
  await writeFile(policyFile, JSON.stringify({
    name: 'payments on-call', repeat: 1,
    levels: [{ targets: ['pagerduty', 'slack'], delaySeconds: DELAY_SECONDS }, { targets: ['webhook'], delaySeconds: DELAY_SECONDS }],
  }));
  shop = await startRoleDeployment({
    HOLDFAST_PAGERDUTY_ROUTING_KEY: ROUTING_KEY, HOLDFAST_PAGERDUTY_EVENTS_URL: pagerduty.eventsUrl,
    HOLDFAST_SLACK_WEBHOOK_URL: slack.webhookUrl,
    HOLDFAST_NOTIFY_WEBHOOK_URL: `${webhook.url}/holdfast`, HOLDFAST_NOTIFY_WEBHOOK_SECRET: SECRET,
    HOLDFAST_ESCALATION_POLICY_FILE: policyFile,
  });
  load = await startShopperLoad(shop, 1, 300);
});
after(async () => {
  await load?.stop();
  await shop?.stop();
  await Promise.all([pagerduty.stop(), slack.stop(), webhook.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface IncidentSummary { id: string; state: string; component: string; triggeredAt: string }

const ops = (method: string, url: string, body?: unknown) => admin(shop.opsUrl, shop.adminToken, method, url, body);
async function incidentsSince(t: number): Promise<IncidentSummary[]> {
  const res = await ops('GET', '/api/ops/incidents?limit=200');
  assert.equal(res.status, 200, res.text);
  return (res.json.items as IncidentSummary[]).filter((i) => Date.parse(i.triggeredAt) >= t - 1000);
}
/** the incident the test follows, once it exists (its timeline is printed when a wait fails) */
let watched: string | undefined;
async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      // what the incident went through so far says why (a notification's attempts, the escalation)
      if (watched) {
        const timeline = (await ops('GET', `/api/ops/incidents/${watched}`)).json.timeline as { at: string; kind: string; summary: string }[] | undefined;
        process.stdout.write(`[incidents] timeline so far:\n${(timeline ?? []).map((e) => `  ${e.at} ${e.kind}: ${e.summary}`).join('\n')}\n`);
      }
      // what each receiver was asked and answered, and what the control role (which delivers) logged
      for (const [name, r] of [['pagerduty', pagerduty], ['slack', slack], ['webhook', webhook]] as const) {
        process.stdout.write(`[incidents] ${name} requests: ${r.requests.map((q) => `${new Date(q.at).toISOString()} ${q.status}`).join(', ') || 'none'}\n`);
      }
      const busy = await shop.db.pool.query(`SELECT pid, application_name, state, wait_event_type, wait_event, now() - query_start AS running, left(query, 200) AS query
        FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`);
      process.stdout.write(`[incidents] busy database sessions: ${JSON.stringify(busy.rows)}\n`);
      const notes = await shop.db.pool.query(`SELECT channel, transition, kind, state, attempts, due_at, lease_until, last_status FROM incident_notifications ORDER BY id`);
      process.stdout.write(`[incidents] notification rows: ${JSON.stringify(notes.rows)}\n`);
      const control = shop.processes.find((p) => p.role === 'control');
      process.stdout.write(`[incidents] control role's output (end):\n${control?.output().slice(-6000) ?? ''}\n`);
      throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    }
    await sleep(250);
  }
}
const triggersOf = (id: string) => pagerduty.eventsOf(id, 'trigger');
// An incident opened before the fault (a false alarm while the detector learns its baseline) may have
// told the same receivers: only what concerns the incident of the fault counts.
const slackOf = (id: string) => slack.posted.filter((m) => JSON.stringify(m.blocks).includes(id));
const slackTriggered = (id: string) => slackOf(id).filter((m) => m.text.startsWith('Triggered:'));
const webhookOf = (id: string) => [...webhook.deliveries.values()].filter((d) => (d.body.incident as { id?: string } | undefined)?.id === id);

test('psp.latency: one incident, one page each, level two after its delay, ack stops escalation, one resolve; 429 and 500 retried, never duplicated', { timeout: 300_000 }, async () => {
  // the detector needs a baseline
  await sleep(25_000);
  const before = await incidentsSince(Date.now() - 600_000);
  if (before.length) process.stdout.write(`[incidents] before the fault: ${before.map((i) => `${i.component} (${i.state}): ${(i as IncidentSummary & { title?: string }).title ?? ""}`).join('; ')}\n`);
  // every channel's first answer is a refusal worth retrying
  pagerduty.answerNext(1, PAGERDUTY_SERVER_ERROR);
  slack.answerNext(1, SLACK_RATE_LIMITED(1));
  webhook.answerNext(1, { ...WEBHOOK_UNAVAILABLE, status: 500 });
  webhook.answerNext(1, { status: 429, body: '{"error":"slow down"}', headers: { 'content-type': 'application/json', 'retry-after': '1' } });

  const faultAt = Date.now();
  await setFault(shop.url, shop.adminToken, 'psp.latency', { latencyMs: 2000 });
  const incident = await until('an incident after psp.latency was set', 15_000, async () => (await incidentsSince(faultAt))[0]);
  const secondsToIncident = (Date.now() - faultAt) / 1000;
  watched = incident.id;
  process.stdout.write(`[incidents] incident ${incident.id} (${incident.component}) ${secondsToIncident.toFixed(1)} s after the fault was set\n`);
  assert.match(incident.component, /payments/);
  // the public status page (storefront role) shows payments degraded or worse within 15 s of the incident
  const statusOf = async () => ((await admin(shop.url, '', 'GET', '/api/status')).json.components as { name: string; status: string }[]).find((c) => c.name === 'payments')!.status;
  const degraded = await until('payments not operational on /api/status', 15_000, async () => { const s = await statusOf(); return s === 'operational' ? undefined : s; });
  process.stdout.write(`[incidents] /api/status: payments ${degraded} ${((Date.now() - Date.parse(incident.triggeredAt)) / 1000).toFixed(1)} s after the incident triggered\n`);

  // level one: PagerDuty and Slack, each after one refused attempt
  await until('PagerDuty trigger', 15_000, () => (triggersOf(incident.id).length ? true : undefined));
  await until('Slack message', 15_000, () => (slackTriggered(incident.id).length ? true : undefined));
  const triggeredAt = Date.parse((await ops('GET', `/api/ops/incidents/${incident.id}`)).json.triggeredAt);
  // (on a busy machine level one's retries can take longer than the delay: then level two may already be
  // here, and the check below, on the time it arrived, is the one that counts)
  if ((Date.now() - triggeredAt) / 1000 < DELAY_SECONDS - 0.5) assert.equal(webhookOf(incident.id).length, 0, 'level two is not paged before its delay');

  // level two after its delay: the webhook, after a 500 and a 429
  const escalation = await until('level two (webhook)', DELAY_SECONDS * 1000 + 20_000, () => webhookOf(incident.id).find((d) => d.type === 'incident.escalated'));
  const escalatedAfter = (escalation.at - triggeredAt) / 1000;
  assert.ok(escalatedAfter >= DELAY_SECONDS - 0.5, `level two after ${escalatedAfter.toFixed(1)} s (delay ${DELAY_SECONDS} s)`);
  assert.equal((escalation.body.incident as { id: string }).id, incident.id);

  // acknowledging stops escalation: the repeat of level one (due DELAY_SECONDS after level two) never comes
  const ack = await ops('POST', `/api/ops/incidents/${incident.id}/acknowledge`, { by: 'on-call' });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.json.state, 'acknowledged');
  await until('PagerDuty acknowledge', 15_000, () => (pagerduty.eventsOf(incident.id, 'acknowledge').length ? true : undefined));
  await sleep(DELAY_SECONDS * 1000 + 3000);
  assert.equal(triggersOf(incident.id).length, 1, 'exactly one PagerDuty trigger: no repeat after the acknowledgement');

  // the only incident of this fault (its other alerts joined it)
  assert.deepEqual((await incidentsSince(faultAt)).map((i) => i.id), [incident.id]);

  // clearing the fault resolves the incident (its alerts resolve), and every channel told gets one resolve
  await clearFault(shop.url, shop.adminToken, 'psp.latency');
  const clearedAt = Date.now();
  await until('incident resolved after the fault was cleared', 150_000, async () => ((await ops('GET', `/api/ops/incidents/${incident.id}`)).json.state === 'resolved' ? true : undefined));
  process.stdout.write(`[incidents] resolved ${((Date.now() - clearedAt) / 1000).toFixed(1)} s after the fault was cleared\n`);
  await until('payments operational on /api/status after the resolution', 20_000, async () => ((await statusOf()) === 'operational' ? true : undefined));
  await until('PagerDuty resolve', 15_000, () => (pagerduty.eventsOf(incident.id, 'resolve').length ? true : undefined));
  await until('webhook resolve', 15_000, () => (webhookOf(incident.id).some((d) => d.type === 'incident.resolved') ? true : undefined));
  await sleep(3000);

  const detail = (await ops('GET', `/api/ops/incidents/${incident.id}`)).json;
  const kinds = detail.timeline.map((e: { kind: string }) => e.kind);
  process.stdout.write(`[incidents] timeline:\n${detail.timeline.map((e: { at: string; kind: string; summary: string }) => `  ${e.at} ${e.kind}: ${e.summary}`).join('\n')}\n`);
  assert.equal(triggersOf(incident.id).length, 1, 'one trigger');
  assert.equal(pagerduty.eventsOf(incident.id, 'resolve').length, 1, 'one resolve');
  assert.deepEqual(pagerduty.alerts.filter((a) => a.dedupKey === incident.id).map((a) => a.log), [['trigger', 'acknowledge', 'resolve']]);
  assert.equal(slackTriggered(incident.id).length, 1, `one Slack "Triggered" message: ${slackOf(incident.id).map((m) => m.text.slice(0, 40)).join(' | ')}`);
  assert.equal(slackOf(incident.id).filter((m) => m.text.startsWith('Resolved:')).length, 1);
  assert.deepEqual(webhook.duplicates, [], 'no webhook delivery twice');
  assert.deepEqual(webhook.rejected, [], 'every webhook delivery correctly signed');
  // every refused attempt was retried: the refusals are in the receivers' logs, followed by the accepted one
  assert.ok(pagerduty.requests.some((r) => r.status === 500) && slack.requests.some((r) => r.status === 429));
  assert.ok(webhook.requests.some((r) => r.status === 500) && webhook.requests.some((r) => r.status === 429));
  for (const kind of ['triggered', 'alert.firing', 'rca', 'notification', 'escalation', 'acknowledged', 'alert.resolved', 'resolved', 'change']) {
    assert.ok(kinds.includes(kind), `${kind} in the timeline`);
  }
  assert.ok(detail.timeline.some((e: { kind: string; summary: string }) => e.kind === 'change' && /psp\.latency/.test(e.summary)), 'the fault being set is in the timeline');
  // the root-cause finding says what changed just before the first signal
  assert.match(detail.rootCause, /change: fault psp\.latency set \(latencyMs 2000\) (\d+ s before|at) the first signal/, detail.rootCause);
  assert.ok(secondsToIncident <= 15);
});
