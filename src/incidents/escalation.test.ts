// Escalation policies: the file format and its checks, and the pure schedule of pages, acknowledgements
// and resolutions an incident produces as time passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../platform/config/config.ts';
import {
  configuredEscalationPolicy, defaultEscalationPolicy, nextEscalationAt, pageSchedule, plannedNotifications, plannedUpdate,
  readEscalationPolicyFile, type EscalationClock, type EscalationPolicy,
} from './escalation.ts';

const T0 = Date.parse('2026-11-27T14:02:11Z');
const s = (seconds: number) => T0 + seconds * 1000;

/** On-call pattern: chat and the pager first; after 5 min the team's webhook (a second rota); twice more. */
const POLICY: EscalationPolicy = {
  name: 'payments on-call', repeat: 2,
  levels: [{ targets: ['slack', 'pagerduty'], delaySeconds: 300 }, { targets: ['webhook'], delaySeconds: 600 }],
};
const triggered: EscalationClock = { state: 'triggered', triggeredAt: T0, acknowledgedAt: null, resolvedAt: null };
const brief = (list: { channel: string; transition: string; dueAt: number }[]) => list.map((n) => `${n.channel} ${n.transition} +${(n.dueAt - T0) / 1000}s`);

test('level k of loop r is paged at t0 + r x (sum of all delays) + the delays before k', () => {
  assert.deepEqual(pageSchedule(POLICY).map((p) => [p.level, p.loop, p.offsetMs / 1000]), [
    [0, 0, 0], [1, 0, 300], [0, 1, 900], [1, 1, 1200], [0, 2, 1800], [1, 2, 2100],
  ]);
});

test('without acknowledgement the levels are paged as they fall due, then repeated, then nothing more', () => {
  assert.deepEqual(brief(plannedNotifications(POLICY, triggered, s(0))), ['slack page:0:0 +0s', 'pagerduty page:0:0 +0s']);
  assert.deepEqual(brief(plannedNotifications(POLICY, triggered, s(299))).length, 2);
  assert.deepEqual(brief(plannedNotifications(POLICY, triggered, s(300))).slice(2), ['webhook page:1:0 +300s']);
  assert.deepEqual(brief(plannedNotifications(POLICY, triggered, s(5000))).slice(-3), ['slack page:0:2 +1800s', 'pagerduty page:0:2 +1800s', 'webhook page:1:2 +2100s']);
  assert.equal(plannedNotifications(POLICY, triggered, s(5000)).length, 9);
  assert.equal(nextEscalationAt(POLICY, triggered, s(10)), s(300));
  assert.equal(nextEscalationAt(POLICY, triggered, s(1800)), s(2100));
  assert.equal(nextEscalationAt(POLICY, triggered, s(2100)), null);
});

test('acknowledging stops escalation and tells each channel that was paged, once', () => {
  const acked: EscalationClock = { ...triggered, state: 'acknowledged', acknowledgedAt: s(120) };
  const later = plannedNotifications(POLICY, acked, s(4000));
  assert.deepEqual(brief(later), ['slack page:0:0 +0s', 'pagerduty page:0:0 +0s', 'slack acknowledge +120s', 'pagerduty acknowledge +120s']);
  assert.equal(nextEscalationAt(POLICY, acked, s(130)), null);
  // The same inputs give the same list: inserting it again adds nothing.
  assert.deepEqual(plannedNotifications(POLICY, acked, s(4000)), later);
  // An acknowledgement at the very moment a level falls due wins: that level is not paged.
  const atTheDelay: EscalationClock = { ...triggered, state: 'acknowledged', acknowledgedAt: s(300) };
  assert.ok(!brief(plannedNotifications(POLICY, atTheDelay, s(400))).some((n) => n.startsWith('webhook')));
});

test('resolving sends the resolution to every channel that was told, and only to them', () => {
  const escalatedThenResolved: EscalationClock = { ...triggered, state: 'resolved', resolvedAt: s(700) };
  const all = brief(plannedNotifications(POLICY, escalatedThenResolved, s(800)));
  assert.deepEqual(all.filter((n) => n.includes('resolve')), ['slack resolve +700s', 'pagerduty resolve +700s', 'webhook resolve +700s']);
  const resolvedEarly: EscalationClock = { ...triggered, state: 'resolved', resolvedAt: s(60) };
  assert.deepEqual(brief(plannedNotifications(POLICY, resolvedEarly, s(4000))).filter((n) => n.includes('resolve')), ['slack resolve +60s', 'pagerduty resolve +60s']);
  const ackedThenResolved: EscalationClock = { ...triggered, state: 'resolved', acknowledgedAt: s(30), resolvedAt: s(90) };
  assert.deepEqual(brief(plannedNotifications(POLICY, ackedThenResolved, s(100))), [
    'slack page:0:0 +0s', 'pagerduty page:0:0 +0s', 'slack acknowledge +30s', 'pagerduty acknowledge +30s', 'slack resolve +90s', 'pagerduty resolve +90s',
  ]);
});

test('a channel that takes no updates (PagerDuty) is left out of them; updates go to channels paged so far', () => {
  const noUpdatesOnPager = (channel: string, kind: string) => !(channel === 'pagerduty' && kind === 'update');
  assert.deepEqual(plannedUpdate(POLICY, triggered, s(10), 1, noUpdatesOnPager).map((n) => `${n.channel} ${n.transition}`), ['slack update:1']);
  assert.deepEqual(plannedUpdate(POLICY, triggered, s(400), 2).map((n) => n.channel), ['slack', 'pagerduty', 'webhook']);
  assert.deepEqual(plannedUpdate(POLICY, { ...triggered, state: 'resolved', resolvedAt: s(5) }, s(10), 3), []);
});

test('with no policy file every configured channel is paged at the first level, once', () => {
  const policy = configuredEscalationPolicy({}, ['slack', 'pagerduty']);
  assert.deepEqual(policy, defaultEscalationPolicy(['slack', 'pagerduty']));
  assert.deepEqual(brief(plannedNotifications(policy, triggered, s(100_000))), ['slack page:0:0 +0s', 'pagerduty page:0:0 +0s']);
  assert.deepEqual(plannedNotifications(defaultEscalationPolicy([]), triggered, s(10)), []);
});

test('a policy file is read with defaults and checked: every problem listed, each at its place', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-policy-'));
  try {
    const good = path.join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ levels: [{ targets: ['pagerduty'], delaySeconds: 120 }, { targets: ['slack'] }] }));
    assert.deepEqual(readEscalationPolicyFile(good, ['slack', 'pagerduty']), { repeat: 0, levels: [{ targets: ['pagerduty'], delaySeconds: 120 }, { targets: ['slack'] }] });

    const bad = path.join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ repeat: 1, levels: [{ targets: ['pagerduty'] }, { targets: ['webhook'], delaySeconds: 60 }] }));
    assert.throws(() => readEscalationPolicyFile(bad, ['slack', 'pagerduty']), (err: ConfigError) => {
      assert.deepEqual(err.problems, [
        `levels[0].delaySeconds (in ${bad}, HOLDFAST_ESCALATION_POLICY_FILE): required: level 2 follows`,
        `levels[1].targets[0] (in ${bad}, HOLDFAST_ESCALATION_POLICY_FILE): "webhook" is not configured (configured: slack, pagerduty)`,
      ]);
      return true;
    });

    const wrongShape = path.join(dir, 'shape.json');
    await writeFile(wrongShape, JSON.stringify({ levels: [{ targets: ['email'], delaySeconds: 0 }], loops: 2 }));
    assert.throws(() => readEscalationPolicyFile(wrongShape, ['slack']), (err: ConfigError) => {
      const text = err.problems.join('\n');
      assert.match(text, /levels\[0\]\.targets\[0\].*email/);
      assert.match(text, /levels\[0\]\.delaySeconds/);
      assert.match(text, /loops/);
      return true;
    });

    const notJson = path.join(dir, 'broken.json');
    await writeFile(notJson, '{ levels: ');
    assert.throws(() => readEscalationPolicyFile(notJson, ['slack']), /escalationPolicyFile \(in .*broken\.json, HOLDFAST_ESCALATION_POLICY_FILE\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the example policy in docs/incident-response.md is valid and escalates as the text there says', async () => {
  const doc = await readFile(new URL('../../docs/incident-response.md', import.meta.url), 'utf8');
  const example = /## Escalation policies[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)![1]!;
  const dir = await mkdtemp(path.join(tmpdir(), 'holdfast-policy-'));
  try {
    const file = path.join(dir, 'policy.json');
    await writeFile(file, example);
    const policy = readEscalationPolicyFile(file, ['slack', 'pagerduty', 'webhook']);
    const t0 = Date.parse('2026-11-27T14:02:00Z');
    const clockOf = (state: EscalationClock['state'], acknowledgedAt: number | null = null): EscalationClock => ({ state, triggeredAt: t0, acknowledgedAt, resolvedAt: null });
    const pages = plannedNotifications(policy, clockOf('triggered'), t0 + 3_600_000).map((n) => `${new Date(n.dueAt).toISOString().slice(11, 16)} ${n.channel}`);
    assert.deepEqual(pages, ['14:02 slack', '14:02 pagerduty', '14:07 webhook', '14:17 slack', '14:17 pagerduty', '14:22 webhook']);
    const acked = plannedNotifications(policy, clockOf('acknowledged', Date.parse('2026-11-27T14:05:00Z')), t0 + 3_600_000);
    assert.deepEqual(acked.map((n) => `${n.kind} ${n.channel}`), ['page slack', 'page pagerduty', 'acknowledge slack', 'acknowledge pagerduty']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
