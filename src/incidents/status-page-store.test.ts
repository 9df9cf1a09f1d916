// The status page's records on a real PostgreSQL database: incidents of the window with their public
// updates and root-cause time, and components' states set by hand, read into computeStatusPage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/test-db.ts';
import { defaultEscalationPolicy } from './escalation.ts';
import { openIncident, resolveIncident, updateIncident } from './incident-store.ts';
import { computeStatusPage, statusApiBody } from './status-page.ts';
import { addStatusUpdate, clearStatusOverride, loadStatusRecords, setStatusOverride } from './status-page-store.ts';

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
    { name: 'storefront', status: 'operational' }, { name: 'search', status: 'partial_outage' },
    { name: 'checkout', status: 'operational' }, { name: 'payments', status: 'degraded_performance' },
  ]);
  assert.deepEqual(page.incidents.map((i) => [i.components, i.status]), [[['payments'], 'identified'], [['checkout'], 'resolved']]);

  await clearStatusOverride(db.pool, 'search', T0 + 180_000, { source: 'test' });
  const later = await loadStatusRecords(db.pool, T0 + 240_000);
  assert.equal(computeStatusPage({ now: T0 + 240_000, burns: [], recordsSince: null, ...later }).components.find((c) => c.name === 'search')!.status, 'operational');
});
