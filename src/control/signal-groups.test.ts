// Which scraped series feed which component: the database is judged by the shop's own queries, never by
// the queries Holdfast runs because an alert fired (incident response, change log) or an operator acted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupSamples, isOperationsQuery } from './signal-groups.ts';
import { METRICS } from '../telemetry/index.ts';
import type { PromSample } from '../platform/observability/prometheus-text.ts';

const DB = METRICS.dbQueryDuration.name;
const query = (name: string, count: number, seconds: number): PromSample[] => [
  { name: `${DB}_bucket`, labels: { query: name, le: '0.005' }, value: seconds <= 0.005 ? count : 0 },
  { name: `${DB}_bucket`, labels: { query: name, le: '+Inf' }, value: count },
  { name: `${DB}_sum`, labels: { query: name }, value: count * seconds },
  { name: `${DB}_count`, labels: { query: name }, value: count },
];

test('incident-response queries are not database evidence; the shop\'s queries are', () => {
  const groups = groupSamples([...query('cart.line_count', 40, 0.002), ...query('incidents.get', 5, 0.02), ...query('changes.insert', 2, 0.02)], []);
  assert.equal(groups.get('database')?.count, 40, 'only the shop\'s 40 queries make up the database component');
  assert.equal(groups.get('database')?.sum, 40 * 0.002);
  assert.ok(groups.has('query:cart.line_count'));
  assert.equal(groups.has('query:incidents.get'), false, 'an incident\'s own query is no candidate root cause');
  assert.equal(groups.has('query:changes.insert'), false);
});

test('operations queries are told by their context, not by a word anywhere in the name', () => {
  assert.equal(isOperationsQuery('incidents.status_updates'), true);
  assert.equal(isOperationsQuery('capacity.latest'), true);
  assert.equal(isOperationsQuery('orders.get_incidents'), false);
  assert.equal(isOperationsQuery('checkout.place_order'), false);
  assert.equal(isOperationsQuery('unnamed'), false);
});
