// Which open incident an alert joins: same component family or same top cause, within the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentFamily, incidentToJoin, CORRELATION_WINDOW_MS, type OpenIncidentSummary } from './incident-correlation.ts';

const T = Date.parse('2026-12-02T03:00:00Z');
const open: OpenIncidentSummary[] = [
  { id: 'provider', components: ['payments -> provider'], causes: ['payment-provider'], lastActivityAt: T - 5_000 },
  { id: 'db', components: ['database'], causes: ['database'], lastActivityAt: T - 60_000 },
];

test('component family: the part before "->", case and spaces aside', () => {
  assert.equal(componentFamily('payments -> provider'), 'payments');
  assert.equal(componentFamily(' Storefront '), 'storefront');
});

test('the payments\' own alert joins the provider incident; an SLO burn of another component joins by its top cause', () => {
  assert.equal(incidentToJoin({ component: 'payments', cause: null, at: T }, open), 'provider');
  assert.equal(incidentToJoin({ component: 'storefront', cause: 'payment-provider', at: T }, open), 'provider');
  assert.equal(incidentToJoin({ component: 'database', cause: null, at: T }, open), 'db');
});

test('an unrelated alert, or one after the window, opens a new incident', () => {
  assert.equal(incidentToJoin({ component: 'storefront', cause: 'storefront', at: T }, open), undefined);
  assert.equal(incidentToJoin({ component: 'payments', cause: null, at: T - 5_000 + CORRELATION_WINDOW_MS + 1 }, open), undefined);
});

test('when two match, the one with the latest activity wins', () => {
  const both: OpenIncidentSummary[] = [...open, { id: 'newer', components: ['payments'], causes: [], lastActivityAt: T - 1_000 }];
  assert.equal(incidentToJoin({ component: 'payments', cause: null, at: T }, both), 'newer');
});
