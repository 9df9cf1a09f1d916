// The status page's records on a real PostgreSQL database: incidents of the window with their public
// updates and root-cause time, and components' states set by hand, read into computeStatusPage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { defaultEscalationPolicy } from './escalation.ts';
import { openIncident, resolveIncident, updateIncident } from './incident-store.ts';
import { computeStatusPage, statusApiBody } from './status-page.ts';
import { addStatusUpdate, clearStatusOverride, loadStatusInputs, loadStatusRecords, recordIncidentWorstStatuses, setStatusOverride } from './status-page-store.ts';
import { renderStatusPage } from './status-page-view.ts';
import { changesBetween } from '../changes/index.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => { await db.drop(); });

const T0 = Date.parse('2026-11-27T14:02:11Z');
const DAY = 86_400_000;
const noChannels = () => false;

test('open and recent incidents with their updates and manual states make the page; old ones drop out', async () => {
  const open = (at: number, component: string) => openIncident(db.pool, {
    title: 'x', severity: 'critical', component, source: 'holdfast-control', policy: defaultEscalationPolicy([]), at,
  }, noChannels);
  const old = (await open(T0 - 100 * DAY, 'checkout')).incident;
  await resolveIncident(db.pool, old.id, T0 - 100 * DAY + 60_000, noChannels);
  const lastWeek = (await open(T0 - 7 * DAY, 'checkout')).incident;
  await resolveIncident(db.pool, lastWeek.id, T0 - 7 * DAY + 600_000, noChannels);
  const now = (await open(T0, 'payments -> provider')).incident;
  await updateIncident(db.pool, now.id, { rootCause: 'provider latency' }, T0 + 29_000, noChannels);
  await addStatusUpdate(db.pool, now.id, { status: 'identified', body: 'Our payment provider is slow to answer.', author: 'ana', at: T0 + 60_000 });
  await setStatusOverride(db.pool, { component: 'search', status: 'under_maintenance', reason: 'reindex', setBy: 'ana', startsAt: T0 - DAY, source: 'test' });
  await setStatusOverride(db.pool, { component: 'search', status: 'partial_outage', reason: 'index corrupt', startsAt: T0 - 3_600_000, source: 'test' });

  const records = await loadStatusRecords(db.pool, T0 + 120_000);
  assert.deepEqual(records.incidents.map((i) => i.id), [lastWeek.id, now.id]);
  const current = records.incidents[1]!;
  assert.equal(current.rootCauseAt, new Date(T0 + 29_000).toISOString());
  assert.deepEqual(current.updates, [{ status: 'identified', body: 'Our payment provider is slow to answer.', author: 'ana', createdAt: new Date(T0 + 60_000).toISOString() }]);
  // Setting a new state ended the one in force.
  assert.deepEqual(records.overrides.map((o) => [o.status, o.endsAt]), [['under_maintenance', new Date(T0 - 3_600_000).toISOString()], ['partial_outage', null]]);

  const page = computeStatusPage({ now: T0 + 120_000, burns: [], recordsSince: new Date(T0 - 30 * DAY).toISOString(), ...records });
  assert.deepEqual(statusApiBody(page).components, [
    { name: 'storefront', status: 'operational', source: 'automatic' }, { name: 'search', status: 'partial_outage', source: 'manual' },
    { name: 'checkout', status: 'operational', source: 'automatic' }, { name: 'payments', status: 'degraded_performance', source: 'automatic' },
  ]);
  assert.deepEqual(page.incidents.map((i) => [i.components, i.status]), [[['payments'], 'identified'], [['checkout'], 'resolved']]);

  assert.equal(await clearStatusOverride(db.pool, 'search', T0 + 180_000, { source: 'test', clearedBy: 'ana' }), 1);
  assert.equal(await clearStatusOverride(db.pool, 'search', T0 + 190_000, { source: 'test' }), 0, 'nothing left to clear');
  // each override set and cleared is a change event (the one with nothing to clear is not)
  const changes = await changesBetween(db.pool, { from: new Date(0), to: new Date(Date.now() + 60_000), limit: 50 });
  assert.deepEqual(changes.filter((c) => c.subject === 'status-page:search').map((c) => [c.kind, c.summary]), [
    ['status_page.override_set', 'status page: search set to under_maintenance by hand (ana) until cleared: reindex'],
    ['status_page.override_set', 'status page: search set to partial_outage by hand until cleared: index corrupt'],
    ['status_page.override_cleared', 'status page: search back to automatic (ana)'],
  ]);
  const later = await loadStatusRecords(db.pool, T0 + 240_000);
  assert.equal(computeStatusPage({ now: T0 + 240_000, burns: [], recordsSince: null, ...later }).components.find((c) => c.name === 'search')!.status, 'operational');
});

test('90 days of history from the database: an incident 80 days ago is on its day and listed; one 95 days ago is gone', async () => {
  // records began 120 days ago (as on a shop running for months): every day of the 90 is covered
  const now = Date.parse('2026-12-02T12:00:00Z');
  await db.pool.query(`UPDATE status_page_records SET records_since = $1`, [new Date(now - 120 * DAY)]);
  const at = (daysAgo: number) => Date.parse('2026-12-02T09:00:00Z') - daysAgo * DAY;
  const incidentOn = async (daysAgo: number, component: string) => {
    const { incident } = await openIncident(db.pool, { title: 'x', severity: 'critical', component, source: 'test', policy: defaultEscalationPolicy([]), at: at(daysAgo) }, noChannels);
    await resolveIncident(db.pool, incident.id, at(daysAgo) + 45 * 60_000, noChannels);
    return incident.id;
  };
  const within = await incidentOn(80, 'storefront');
  const edge = await incidentOn(89, 'storefront');
  await incidentOn(95, 'storefront');
  await setStatusOverride(db.pool, { component: 'storefront', status: 'under_maintenance', reason: 'db upgrade', startsAt: at(60), endsAt: at(60) + 3_600_000, source: 'test' });

  const page = computeStatusPage(await loadStatusInputs(db.pool, now));
  const days = page.history.find((h) => h.name === 'storefront')!.days;
  assert.equal(days.length, 90);
  assert.equal(days[0]!.date, '2026-09-04', 'the oldest day is 89 days before today');
  assert.ok(days.every((d) => d.status !== null), 'every day is covered by records');
  const day = (daysAgo: number) => days.find((d) => d.date === new Date(at(daysAgo)).toISOString().slice(0, 10))!;
  assert.deepEqual(day(80), { date: '2026-09-13', status: 'degraded_performance', incidentIds: [within] });
  assert.deepEqual(day(89), { date: '2026-09-04', status: 'degraded_performance', incidentIds: [edge] });
  assert.equal(day(60).status, 'under_maintenance');
  assert.equal(days.filter((d) => d.status !== 'operational').length, 3, 'the incident 95 days ago is outside the 90 days');
  // the page lists the days with trouble in words
  const html = renderStatusPage(page);
  assert.match(html, /3 of the 90 recorded days of the last 90 had trouble\./);
  for (const d of ['4 Sept', '13 Sept', '3 Oct']) assert.match(html, new RegExp(`<li>${d}: `), d);
});

test("an incident's days show the worst state its components reached while it was open, recorded from the SLO burns", async () => {
  const now = Date.now();
  const open = async (component: string) => (await openIncident(db.pool, {
    title: 'x', severity: 'critical', component, source: 'test', policy: defaultEscalationPolicy([]), at: now - 600_000,
  }, noChannels)).incident.id;
  const payments = await open('payments -> provider');
  const search = await open('search');
  const burn = (journey: string, objective: 'availability' | 'latency', shortBurn: number) => ({ journey, objective, target: 0.99, shortBurn, firing: shortBurn > 14 });
  // the payment journey failing for more than half of its requests: a major outage of payments, search untouched
  await recordIncidentWorstStatuses(db.pool, [burn('payment', 'availability', 60), burn('search', 'latency', 0)]);
  // then better: the worst stays
  await recordIncidentWorstStatuses(db.pool, [burn('payment', 'latency', 20)]);
  await resolveIncident(db.pool, payments, now - 60_000, noChannels);
  // a resolved incident is not touched any more
  await recordIncidentWorstStatuses(db.pool, [burn('payment', 'availability', 20), burn('search', 'latency', 30)]);

  const records = await loadStatusRecords(db.pool, now);
  const worst = (id: string) => records.incidents.find((i) => i.id === id)!.worstStatus;
  assert.equal(worst(payments), 'major_outage');
  assert.equal(worst(search), 'degraded_performance', 'a latency objective firing: degraded');
  const page = computeStatusPage({ now, burns: [], recordsSince: new Date(now - 30 * DAY).toISOString(), ...records });
  assert.equal(page.history.find((h) => h.name === 'payments')!.days.at(-1)!.status, 'major_outage');
});
