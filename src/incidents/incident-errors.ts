// Stable error codes of the incidents API.
import { defineErrors } from '../platform/errors/domain-error.ts';

export const IncidentErrors = defineErrors('incidents', {
  INCIDENT_NOT_FOUND: { kind: 'not_found', message: 'No incident with that id; GET /api/ops/incidents lists them.' },
  INCIDENT_NOT_TRIGGERED: { kind: 'conflict', message: 'Only a triggered incident can be acknowledged: this one is already acknowledged or resolved.' },
  INCIDENT_ALREADY_RESOLVED: { kind: 'conflict', message: 'The incident is already resolved.' },
  STATUS_UPDATE_AFTER_RESOLUTION: { kind: 'conflict', message: 'The incident is resolved: only a `resolved` status update may follow the resolution.' },
  STATUS_COMPONENT_NOT_FOUND: { kind: 'not_found', message: 'No status page component of that name: storefront, search, checkout or payments.' },
  STATUS_OVERRIDE_EXPIRY_INVALID: { kind: 'invalid', message: 'Give expiresAt (a time in the future) or durationMinutes, not both.' },
  ALERTMANAGER_PAYLOAD_INVALID: { kind: 'invalid', message: 'Not an Alertmanager webhook payload (version "4").' },
});
