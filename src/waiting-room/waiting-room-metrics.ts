// The waiting room's metrics (names in the telemetry contract), on the registry every role exports.
import client from 'prom-client';
import { registry } from '../platform/observability/metrics.ts';
import { METRICS } from '../telemetry/index.ts';

export const waitingRoomActiveUsers = new client.Gauge({
  name: METRICS.waitingRoomActiveUsers.name,
  help: 'Shoppers in the shop as of this replica\'s last synchronisation (all replicas together)',
  registers: [registry],
});

export const waitingRoomQueuedUsers = new client.Gauge({
  name: METRICS.waitingRoomQueuedUsers.name,
  help: 'Shoppers waiting in the queue as of this replica\'s last synchronisation (all replicas together)',
  registers: [registry],
});

export const waitingRoomAdmitted = new client.Counter({
  name: METRICS.waitingRoomAdmitted.name,
  help: 'Shoppers this replica let in while the room was on: straight in (new) or from the queue',
  labelNames: ['how'] as const,
  registers: [registry],
});

export const waitingRoomWaitSeconds = new client.Histogram({
  name: METRICS.waitingRoomWaitSeconds.name,
  help: 'How long shoppers let in from the queue waited',
  buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1200, 3600],
  registers: [registry],
});

export const waitingRoomQueued = new client.Counter({
  name: METRICS.waitingRoomQueuedResponses.name,
  help: 'Requests this replica answered with the waiting page or its JSON form, by form (page, json, closed)',
  labelNames: ['form'] as const,
  registers: [registry],
});
