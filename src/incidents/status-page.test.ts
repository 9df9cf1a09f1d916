// The public status page: component states from SLO burns, incidents and manual overrides; public
// incidents and their updates; 90 days of history; the /api/status body; the storefront banner; the HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  computeStatusPage, incidentStatusNow, statusApiBody, statusComponentsOf, statusFromBurn, storefrontBanner,
  type ComponentStatusValue, type SloBurnInput, type StatusIncidentInput, type StatusInputs,
} from './status-page.ts';
import { renderStatusPage, renderStorefrontBanner } from './status-page-view.ts';

const NOW = Date.parse('2026-11-27T14:05:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const quiet: StatusInputs = { now: NOW, burns: [], incidents: [], overrides: [], recordsSince: '2026-10-01T00:00:00Z' };
const pspLatency: StatusIncidentInput = {
  id: 'inc-1', severity: 'critical', component: 'payments -> provider', state: 'triggered', rootCause: null,
  triggeredAt: '2026-11-27T14:02:11Z', resolvedAt: null, updates: [],
};
const stateOf = (inputs: StatusInputs) => Object.fromEntries(computeStatusPage(inputs).components.map((c) => [c.name, c.status]));
const burn = (b: Partial<SloBurnInput>): SloBurnInput => ({ journey: 'checkout', objective: 'availability', target: 0.999, shortBurn: 0, firing: false, ...b });

test('with nothing wrong every component is operational', () => {
  const page = computeStatusPage(quiet);
  assert.deepEqual(stateOf(quiet), { storefront: 'operational', search: 'operational', checkout: 'operational', payments: 'operational' });
  assert.deepEqual(page.overall, { status: 'operational', text: 'All systems operational' });
  assert.deepEqual(page.incidents, []);
});

test('an open payments incident makes payments degraded at least, and resolving it makes them operational again', () => {
  assert.equal(stateOf({ ...quiet, incidents: [pspLatency] }).payments, 'degraded_performance');
  assert.equal(stateOf({ ...quiet, incidents: [pspLatency] }).checkout, 'operational');
  const resolved = { ...pspLatency, state: 'resolved' as const, resolvedAt: '2026-11-27T14:04:30Z' };
  assert.equal(stateOf({ ...quiet, incidents: [resolved] }).payments, 'operational');
  // The database touches everything.
  assert.deepEqual(statusComponentsOf('database'), ['storefront', 'search', 'checkout', 'payments']);
  assert.deepEqual(statusComponentsOf('route:/api/checkout'), ['storefront']);
  assert.deepEqual(statusComponentsOf('something else'), []);
});

test('SLO burns: a firing latency objective is degraded, availability a partial or (half failing) major outage', () => {
  assert.equal(statusFromBurn(burn({ objective: 'latency', target: 0.99, shortBurn: 40, firing: true })), 'degraded_performance');
  assert.equal(statusFromBurn(burn({ shortBurn: 100, firing: true })), 'partial_outage'); // 10% failing
  assert.equal(statusFromBurn(burn({ shortBurn: 600, firing: true })), 'major_outage'); // 60% failing
  assert.equal(statusFromBurn(burn({ shortBurn: 600, firing: false })), 'operational');
  const page = computeStatusPage({ ...quiet, burns: [burn({ shortBurn: 100, firing: true }), burn({ journey: 'payment', objective: 'latency', target: 0.95, shortBurn: 12, firing: true })], incidents: [pspLatency] });
  const byName = Object.fromEntries(page.components.map((c) => [c.name, c]));
  assert.equal(byName.checkout!.status, 'partial_outage');
  assert.deepEqual(byName.checkout!.reasons, ['checkout availability SLO burning 100.0x its budget']);
  assert.equal(byName.payments!.status, 'degraded_performance');
  assert.deepEqual(byName.payments!.reasons, ['payment latency SLO burning 12.0x its budget', 'open incident inc-1']);
  assert.deepEqual(page.overall, { status: 'partial_outage', text: 'Some systems are partly unavailable' });
});

test('a manual state replaces the computed one while it lasts', () => {
  const maintenance = { component: 'search' as const, status: 'under_maintenance' as const, reason: 'index rebuild', startsAt: '2026-11-27T14:00:00Z', endsAt: '2026-11-27T15:00:00Z' };
  const page = computeStatusPage({ ...quiet, overrides: [maintenance] });
  assert.deepEqual(page.components.find((c) => c.name === 'search'), {
    name: 'search', status: 'under_maintenance', source: 'manual', until: '2026-11-27T15:00:00Z', reasons: ['set by hand: index rebuild'],
  });
  assert.deepEqual(statusApiBody(page).components[1], { name: 'search', status: 'under_maintenance', source: 'manual', until: '2026-11-27T15:00:00Z' });
  assert.match(renderStatusPage(page), /<li data-component="search">.*Under maintenance.*Set by our team until <time datetime="2026-11-27T15:00:00Z">27 Nov 2026, 15:00 UTC<\/time>\./s);
  assert.doesNotMatch(renderStatusPage(page), /index rebuild/, 'the reason is for operators');
  assert.equal(stateOf({ ...quiet, now: Date.parse('2026-11-27T15:00:00Z'), overrides: [maintenance] }).search, 'operational');
  const allClear = { component: 'payments' as const, status: 'operational' as const, reason: 'false alarm', startsAt: '2026-11-27T14:03:00Z', endsAt: null };
  assert.equal(stateOf({ ...quiet, incidents: [pspLatency], overrides: [allClear] }).payments, 'operational');
  // two set at the same instant: the one recorded last wins
  const outage = { ...allClear, status: 'major_outage' as const, reason: 'provider down' };
  assert.equal(stateOf({ ...quiet, overrides: [allClear, outage] }).payments, 'major_outage');
  assert.equal(stateOf({ ...quiet, overrides: [outage, allClear] }).payments, 'operational');
});

test('public incidents use the operators\' updates, else drafts from the incident, never the internal wording', () => {
  const investigating = computeStatusPage({ ...quiet, incidents: [pspLatency] }).incidents[0]!;
  assert.deepEqual({ ...investigating, updates: investigating.updates.map((u) => [u.status, u.drafted]) }, {
    id: 'inc-1', name: 'Service disruption: Payments', status: 'investigating', impact: 'major', components: ['payments'],
    startedAt: pspLatency.triggeredAt, resolvedAt: null, updates: [['investigating', true]],
  });
  assert.equal(investigating.updates[0]!.body, 'We are investigating: payments are slow to be confirmed; orders are safe and will be confirmed.');
  const identified = computeStatusPage({ ...quiet, incidents: [{ ...pspLatency, rootCause: 'provider: latency 2.04 s vs 0.08 s; psp.latency set', rootCauseAt: '2026-11-27T14:02:40Z' }] }).incidents[0]!;
  assert.equal(identified.status, 'identified');
  assert.equal(identified.updates[0]!.at, '2026-11-27T14:02:40Z');
  assert.ok(!JSON.stringify(identified).includes('psp.latency'));

  const written: StatusIncidentInput = {
    ...pspLatency, state: 'resolved', resolvedAt: '2026-11-27T14:04:30Z',
    updates: [
      { status: 'monitoring', body: 'Payments are back to normal speed; we are watching.', createdAt: '2026-11-27T14:04:00Z', author: 'ana' },
      { status: 'identified', body: 'Our payment provider is slow to answer.', createdAt: '2026-11-27T14:03:00Z' },
    ],
  };
  const page = computeStatusPage({ ...quiet, incidents: [written] });
  assert.deepEqual(page.incidents[0]!.updates.map((u) => [u.status, u.at, u.drafted]), [
    ['resolved', '2026-11-27T14:04:30Z', true], ['monitoring', '2026-11-27T14:04:00Z', false], ['identified', '2026-11-27T14:03:00Z', false],
  ]);
  // Resolved incidents stay listed for a week.
  assert.equal(computeStatusPage({ ...quiet, now: NOW + 8 * 86_400_000, incidents: [written] }).incidents.length, 0);
});

test('90 days of history: no data before the records begin, incidents and maintenance on their days', () => {
  const dayMs = 86_400_000;
  const lastWeek: StatusIncidentInput = { ...pspLatency, id: 'inc-0', component: 'checkout', state: 'resolved', triggeredAt: iso(NOW - 7 * dayMs), resolvedAt: iso(NOW - 7 * dayMs + 600_000), worstStatus: 'partial_outage' };
  const page = computeStatusPage({
    ...quiet, incidents: [lastWeek, pspLatency],
    overrides: [{ component: 'search', status: 'under_maintenance', reason: 'reindex', startsAt: iso(NOW - 2 * dayMs), endsAt: iso(NOW - 2 * dayMs + 3_600_000) }],
  });
  const checkout = page.history.find((h) => h.name === 'checkout')!.days;
  assert.equal(checkout.length, 90);
  assert.equal(checkout.at(-1)!.date, '2026-11-27');
  assert.equal(checkout[0]!.date, '2026-08-30');
  assert.deepEqual(checkout.filter((d) => d.status === null).length, 32); // 30 Aug .. 30 Sep: before the records
  assert.deepEqual(checkout.find((d) => d.date === '2026-11-20'), { date: '2026-11-20', status: 'partial_outage', incidentIds: ['inc-0'] });
  assert.equal(page.history.find((h) => h.name === 'payments')!.days.at(-1)!.status, 'degraded_performance');
  assert.equal(page.history.find((h) => h.name === 'search')!.days.at(-3)!.status, 'under_maintenance');
  assert.ok(computeStatusPage({ ...quiet, recordsSince: null }).history.every((h) => h.days.every((d) => d.status === null)));
});

test('/api/status is {components: [{name, status, source}], incidents: [...]}', () => {
  const body = statusApiBody(computeStatusPage({ ...quiet, incidents: [pspLatency] }));
  assert.deepEqual(body.components, [
    { name: 'storefront', status: 'operational', source: 'automatic' }, { name: 'search', status: 'operational', source: 'automatic' },
    { name: 'checkout', status: 'operational', source: 'automatic' }, { name: 'payments', status: 'degraded_performance', source: 'automatic' },
  ]);
  assert.deepEqual(body.incidents.map((i) => [i.id, i.status]), [['inc-1', 'investigating']]);
  assert.deepEqual(Object.keys(body), ['generatedAt', 'components', 'incidents']);
});

test('the storefront banner shows while checkout or payments are degraded, and says the order is safe', () => {
  const state = (payments: string, checkout = 'operational') => [{ name: 'payments', status: payments }, { name: 'checkout', status: checkout }] as { name: string; status: 'operational' }[];
  assert.equal(storefrontBanner(state('operational')), null);
  assert.deepEqual(storefrontBanner(state('degraded_performance')), { component: 'payments', status: 'degraded_performance', message: 'Payments are slow right now; your order is safe and will be confirmed.' });
  assert.equal(storefrontBanner(state('degraded_performance', 'major_outage'))!.component, 'checkout');
  const snippet = renderStorefrontBanner(storefrontBanner(state('degraded_performance')));
  assert.equal(snippet, '<div class="notice info status-banner" role="status"><p>Payments are slow right now; your order is safe and will be confirmed. <a href="/status">Service status</a></p></div>');
  assert.equal(renderStorefrontBanner(null), '');
});

test('the HTML page: no scripts, landmarks, every state in words, operator text escaped, history summarised', () => {
  const incident = { ...pspLatency, updates: [{ status: 'identified' as const, body: 'Provider slow <script>alert(1)</script>', createdAt: '2026-11-27T14:03:00Z' }] };
  const page = renderStatusPage(computeStatusPage({ ...quiet, incidents: [incident] }));
  assert.ok(!/<script/i.test(page), 'no script element, and operator text cannot add one');
  assert.ok(page.includes('Provider slow &lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.match(page, /<html lang="en">/);
  for (const landmark of ['<header', '<main id="main"', '<footer', '<h1>Service status</h1>']) assert.ok(page.includes(landmark), landmark);
  assert.match(page, /<p class="overall s-degraded_performance" role="status">Some systems are slower than usual<\/p>/);
  assert.match(page, /<h3>Payments<\/h3><span class="state s-degraded_performance">Degraded performance<\/span>/);
  assert.match(page, /<h2 id="open-heading">Current incidents<\/h2>/);
  assert.match(page, /<strong>Identified<\/strong> \(<time datetime="2026-11-27T14:03:00Z">27 Nov 2026, 14:03 UTC<\/time>\)/);
  assert.match(page, /No incidents in the 58 recorded days of the last 90\./); // storefront: records since 1 Oct
  assert.match(page, /1 of the 58 recorded days of the last 90 had trouble\./); // payments: today
});

test('the banner table in docs/incident-response.md says what the storefront shows', async () => {
  const doc = await readFile(new URL('../../docs/incident-response.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (payments|checkout) \| ([a-z ]+) \| (.+) \|$/gm)];
  assert.equal(rows.length, 8);
  for (const [, component, state, message] of rows) {
    const status = state!.replace(/ /g, '_') as ComponentStatusValue;
    const banner = storefrontBanner([{ name: component!, status }]);
    assert.equal(banner?.message, message, `${component} ${state}`);
  }
});

test("an open incident's state now: degraded at least, worse when an SLO of its components' journeys burns", () => {
  const burn = (journey: string, objective: 'availability' | 'latency', shortBurn: number) => ({ journey, objective, target: 0.99, shortBurn, firing: shortBurn > 14 });
  assert.equal(incidentStatusNow('payments -> provider', []), 'degraded_performance');
  assert.equal(incidentStatusNow('payments -> provider', [burn('payment', 'availability', 20)]), 'partial_outage');
  assert.equal(incidentStatusNow('payments -> provider', [burn('payment', 'availability', 60)]), 'major_outage');
  assert.equal(incidentStatusNow('payments -> provider', [burn('search', 'availability', 60)]), 'degraded_performance', 'another journey says nothing of it');
  assert.equal(incidentStatusNow('database', [burn('search', 'availability', 20)]), 'partial_outage', 'the database touches every component');
});
