// The incidents context's SQL, as named queries (src/platform/db/database.ts): incidents, their timeline,
// the notification outbox and the channels' token buckets. Times are always parameters (the caller's
// clock), never now(), so the delivery schedule can be tested without waiting and every replica agrees on
// what "due" means up to clock skew.
import type { NamedQuery } from '../platform/db/database.ts';

const INCIDENT_COLUMNS = `id, title, severity, component, source, state, root_cause, owner, details, escalation_policy,
  update_sequence, triggered_at, acknowledged_at, acknowledged_by, resolved_at`;

const NOTIFICATION_COLUMNS = `id, incident_id, channel, transition, kind, escalation_level, escalation_loop, state,
  occurred_at, due_at, lease_until, attempts, last_status, last_answer, finished_at`;

/** Rows of the same incident and channel are delivered in the order they were written. */
const NO_EARLIER_UNFINISHED = `NOT EXISTS (SELECT 1 FROM incident_notifications e
  WHERE e.incident_id = n.incident_id AND e.channel = n.channel AND e.id < n.id AND e.state IN ('pending', 'sending'))`;

/** Rows made moot before they were sent are recorded in the timeline (updates excepted: coalescing them is routine). */
const TIMELINE_OF_UNSENT = `INSERT INTO incident_timeline (incident_id, at, kind, summary, data)
  SELECT incident_id, $2::timestamptz, 'notification', channel || ': ' || transition || ' not sent: ' || last_answer,
         jsonb_build_object('channel', channel, 'transition', transition, 'state', state)
  FROM unsent WHERE kind <> 'update'`;

export const IncidentQueries = {
  insert: {
    name: 'incidents.insert',
    text: `INSERT INTO incidents (title, severity, component, source, root_cause, details, escalation_policy, triggered_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${INCIDENT_COLUMNS}`,
  },
  get: { name: 'incidents.get', text: `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = $1` },
  getForUpdate: { name: 'incidents.get_for_update', text: `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = $1 FOR UPDATE` },
  getMany: { name: 'incidents.get_many', text: `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE id = ANY($1::uuid[])` },
  triggered: { name: 'incidents.triggered', text: `SELECT id FROM incidents WHERE state = 'triggered' ORDER BY triggered_at` },
  acknowledge: {
    name: 'incidents.acknowledge',
    text: `UPDATE incidents SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3
           WHERE id = $1 AND state = 'triggered' RETURNING ${INCIDENT_COLUMNS}`,
  },
  resolve: {
    name: 'incidents.resolve',
    text: `UPDATE incidents SET state = 'resolved', resolved_at = GREATEST($2::timestamptz, triggered_at)
           WHERE id = $1 AND state <> 'resolved' RETURNING ${INCIDENT_COLUMNS}`,
  },
  /** Root cause or severity changed: the next update number. */
  update: {
    name: 'incidents.update',
    text: `UPDATE incidents SET root_cause = COALESCE($2, root_cause), severity = COALESCE($3, severity),
             update_sequence = update_sequence + 1
           WHERE id = $1 AND state <> 'resolved' RETURNING ${INCIDENT_COLUMNS}`,
  },
  assign: { name: 'incidents.assign', text: `UPDATE incidents SET owner = $2 WHERE id = $1 RETURNING ${INCIDENT_COLUMNS}` },
  list: {
    name: 'incidents.list',
    text: `SELECT ${INCIDENT_COLUMNS} FROM incidents WHERE ($1::text IS NULL OR state = $1)
           ORDER BY triggered_at DESC, id LIMIT $2`,
  },

  // --- alerts and their incidents ---
  /** One correlation decision at a time (every control replica): two alerts of one fault open one incident. */
  lockCorrelation: { name: 'incidents.lock_correlation', text: `SELECT pg_advisory_xact_lock(hashtext('holdfast.incidents.correlation'))` },
  /** Open incidents with the components and causes of their alerts, and their latest alert. */
  openWithAlerts: {
    name: 'incidents.open_with_alerts',
    text: `SELECT i.id, i.component, i.triggered_at,
                  COALESCE(array_agg(DISTINCT a.component) FILTER (WHERE a.component IS NOT NULL), '{}') AS components,
                  COALESCE(array_agg(DISTINCT a.cause) FILTER (WHERE a.cause IS NOT NULL), '{}') AS causes,
                  GREATEST(i.triggered_at, max(a.fired_at), max(a.resolved_at)) AS last_activity_at
           FROM incidents i LEFT JOIN incident_alerts a ON a.incident_id = i.id
           WHERE i.state <> 'resolved' GROUP BY i.id ORDER BY i.triggered_at DESC`,
  },
  addAlert: {
    name: 'incidents.add_alert',
    text: `INSERT INTO incident_alerts (incident_id, alert_key, name, component, cause, source, fired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT DO NOTHING RETURNING incident_id`,
  },
  /**
   * A detector that starts afresh (the control role restarted) will never report the end of the alerts
   * it raised before: they are closed, and the incidents they belong to stay open for new alerts to join.
   */
  closeAlertsOfSource: {
    name: 'incidents.close_alerts_of_source',
    text: `UPDATE incident_alerts SET state = 'resolved', resolved_at = $2 WHERE source = $1 AND state = 'firing' AND fired_at < $2
           RETURNING incident_id, alert_key, name, component`,
  },
  /** Open incidents with no firing alert and no alert activity since $1: nothing will resolve them otherwise. */
  openWithoutFiringAlerts: {
    name: 'incidents.open_without_firing_alerts',
    text: `SELECT i.id FROM incidents i
           WHERE i.state <> 'resolved' AND i.triggered_at < $1
             AND EXISTS (SELECT 1 FROM incident_alerts a WHERE a.incident_id = i.id)
             AND NOT EXISTS (SELECT 1 FROM incident_alerts a WHERE a.incident_id = i.id AND (a.state = 'firing' OR a.resolved_at >= $1))`,
  },
  /** The open incident an alert belongs to. */
  incidentOfAlert: {
    name: 'incidents.incident_of_alert',
    text: `SELECT a.incident_id FROM incident_alerts a JOIN incidents i ON i.id = a.incident_id
           WHERE a.alert_key = $1 AND i.state <> 'resolved' ORDER BY a.fired_at DESC LIMIT 1`,
  },
  resolveAlert: {
    name: 'incidents.resolve_alert',
    text: `UPDATE incident_alerts SET state = 'resolved', resolved_at = $2 WHERE alert_key = $1 AND state = 'firing' RETURNING incident_id`,
  },
  firingAlertCount: {
    name: 'incidents.firing_alert_count',
    text: `SELECT count(*)::int AS n FROM incident_alerts WHERE incident_id = $1 AND state = 'firing'`,
  },
  alertsOf: {
    name: 'incidents.alerts_of',
    text: `SELECT alert_key, name, component, cause, state, fired_at, resolved_at FROM incident_alerts WHERE incident_id = $1 ORDER BY fired_at, alert_key`,
  },

  appendTimeline: {
    name: 'incidents.append_timeline',
    text: `INSERT INTO incident_timeline (incident_id, at, kind, summary, data) VALUES ($1, $2, $3, $4, $5)`,
  },
  timeline: {
    name: 'incidents.timeline',
    text: `SELECT id, at, kind, summary, data FROM incident_timeline WHERE incident_id = $1 ORDER BY at, id`,
  },

  // --- the status page's SLO burns ---
  saveBurns: {
    name: 'incidents.save_status_burns',
    text: `INSERT INTO status_page_burns (journey, objective, target, short_burn, firing, updated_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::bool[]) AS b, (SELECT $6::timestamptz) AS t
           ON CONFLICT (journey, objective) DO UPDATE SET target = EXCLUDED.target, short_burn = EXCLUDED.short_burn,
             firing = EXCLUDED.firing, updated_at = EXCLUDED.updated_at`,
  },
  freshBurns: {
    name: 'incidents.fresh_status_burns',
    text: `SELECT journey, objective, target, short_burn, firing FROM status_page_burns WHERE updated_at >= $1 ORDER BY journey, objective`,
  },
  openIncidentComponents: { name: 'incidents.open_incident_components', text: `SELECT id, component FROM incidents WHERE state <> 'resolved'` },
  /** Raises each incident's worst state to the one given when that is worse (the states from best to worst in $3). */
  raiseWorstStatus: {
    name: 'incidents.raise_worst_status',
    text: `UPDATE incidents i SET worst_status = w.status
           FROM unnest($1::uuid[], $2::text[]) AS w(id, status)
           WHERE i.id = w.id AND i.state <> 'resolved'
             AND (i.worst_status IS NULL OR array_position($3::text[], i.worst_status) < array_position($3::text[], w.status))`,
  },
  recordsSince: { name: 'incidents.status_records_since', text: `SELECT min(records_since) AS since FROM status_page_records` },

  // --- the outbox ---
  enqueue: {
    name: 'incidents.enqueue_notifications',
    text: `INSERT INTO incident_notifications (incident_id, channel, transition, kind, escalation_level, escalation_loop, occurred_at, due_at)
           SELECT $1, channel, transition, kind, level, loop, occurred_at, GREATEST(occurred_at, not_before)
           FROM unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::timestamptz[], $8::timestamptz[])
             WITH ORDINALITY AS p(channel, transition, kind, level, loop, occurred_at, not_before, ord)
           -- Rows already written are left out before the insert rather than by ON CONFLICT alone: the
           -- unique check on a row a deliverer is updating waits for that deliverer's transaction, which
           -- itself waits for the incident row this caller holds locked (its timeline's foreign key): a
           -- deadlock, and the deliverer's answer lost until its lease ran out.
           WHERE NOT EXISTS (SELECT 1 FROM incident_notifications e
             WHERE e.incident_id = $1 AND e.transition = p.transition AND e.channel = p.channel)
           -- in the order planned: per incident and channel, rows go out in id order
           ORDER BY p.ord
           ON CONFLICT (incident_id, transition, channel) DO NOTHING
           RETURNING ${NOTIFICATION_COLUMNS}`,
  },
  notificationsOf: {
    name: 'incidents.notifications_of',
    text: `SELECT ${NOTIFICATION_COLUMNS} FROM incident_notifications WHERE incident_id = $1 ORDER BY id`,
  },
  /**
   * When each channel was last sent an update of this incident (for spacing updates out). A waiting update
   * does not count: the next one replaces it and keeps its place.
   */
  lastUpdates: {
    name: 'incidents.last_updates',
    text: `SELECT channel, max(due_at) AS due_at FROM incident_notifications
           WHERE incident_id = $1 AND kind = 'update' AND state IN ('sending', 'delivered', 'failed') GROUP BY channel`,
  },
  /** A page still waiting when the incident was acknowledged or resolved will page nobody usefully. */
  supersedeMootPages: {
    name: 'incidents.supersede_moot_pages',
    text: `WITH unsent AS (
             UPDATE incident_notifications n
             SET state = 'superseded', finished_at = $2, lease_until = NULL,
                 last_answer = 'the incident was ' || i.state || ' before this page was sent'
             FROM incidents i
             WHERE n.incident_id = i.id AND n.channel = $1 AND n.state = 'pending' AND n.kind = 'page' AND i.state <> 'triggered'
             RETURNING n.incident_id, n.channel, n.transition, n.kind, n.state, n.last_answer)
           ${TIMELINE_OF_UNSENT}`,
  },
  /**
   * Coalescing: a waiting update is replaced by any later update, acknowledgement or resolution of the
   * same incident on the same channel (every notice says the incident's current state); a waiting
   * acknowledgement by the resolution.
   */
  supersedeReplaced: {
    name: 'incidents.supersede_replaced',
    text: `WITH unsent AS (
             UPDATE incident_notifications n
             SET state = 'superseded', finished_at = $2, lease_until = NULL, last_answer = 'replaced by a later notification'
             WHERE n.channel = $1 AND n.state = 'pending' AND n.kind IN ('update', 'acknowledge')
               AND EXISTS (SELECT 1 FROM incident_notifications l
                 WHERE l.incident_id = n.incident_id AND l.channel = n.channel AND l.id > n.id
                   AND l.state NOT IN ('superseded', 'skipped')
                   AND (l.kind = 'resolve' OR (n.kind = 'update' AND l.kind IN ('update', 'acknowledge'))))
             RETURNING n.incident_id, n.channel, n.transition, n.kind, n.state, n.last_answer)
           ${TIMELINE_OF_UNSENT}`,
  },
  /** Nothing to acknowledge, update or resolve on a channel whose pages all went unsent or failed. */
  skipNeverTold: {
    name: 'incidents.skip_never_told',
    text: `WITH unsent AS (
             UPDATE incident_notifications n
             SET state = 'skipped', finished_at = $2, last_answer = 'the channel was never told of this incident'
             WHERE n.channel = $1 AND n.state = 'pending' AND n.kind <> 'page'
               AND NOT EXISTS (SELECT 1 FROM incident_notifications p
                 WHERE p.incident_id = n.incident_id AND p.channel = n.channel AND p.kind = 'page'
                   AND p.state IN ('pending', 'sending', 'delivered'))
             RETURNING n.incident_id, n.channel, n.transition, n.kind, n.state, n.last_answer)
           ${TIMELINE_OF_UNSENT}`,
  },
  ensureBudget: {
    name: 'incidents.ensure_budget',
    text: `INSERT INTO incident_channel_budgets (channel, tokens, refilled_at) VALUES ($1, $2, $3) ON CONFLICT (channel) DO NOTHING`,
  },
  /** The bucket's tokens at $2 (refilled at $3 a second up to $4), locked until the claim commits. */
  lockBudget: {
    name: 'incidents.lock_budget',
    text: `SELECT LEAST($4::float8, tokens + GREATEST(0, EXTRACT(EPOCH FROM ($2::timestamptz - refilled_at))) * $3::float8) AS available
           FROM incident_channel_budgets WHERE channel = $1 FOR UPDATE`,
  },
  spendBudget: {
    name: 'incidents.spend_budget',
    text: `UPDATE incident_channel_budgets SET tokens = $2, refilled_at = GREATEST(refilled_at, $3) WHERE channel = $1`,
  },
  /**
   * Takes up to $3 due rows of a channel: waiting and due, or `sending` with a lease that ran out (its
   * deliverer died). A row waits while an earlier row of its incident and channel is unfinished. Rows
   * another deliverer is claiming are skipped, not waited for.
   */
  claim: {
    name: 'incidents.claim_notifications',
    text: `WITH due AS (
             SELECT n.id FROM incident_notifications n
             WHERE n.channel = $1
               AND ((n.state = 'pending' AND n.due_at <= $2) OR (n.state = 'sending' AND n.lease_until <= $2))
               AND ${NO_EARLIER_UNFINISHED}
             ORDER BY n.due_at, n.id
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
           UPDATE incident_notifications n SET state = 'sending', attempts = n.attempts + 1, lease_until = $4
           FROM due WHERE n.id = due.id
           RETURNING ${NOTIFICATION_COLUMNS.split(', ').map((c) => `n.${c.trim()}`).join(', ')}`,
  },
  /** Records an attempt's answer, unless the row was taken over meanwhile (its lease ran out). */
  recordAnswer: {
    name: 'incidents.record_answer',
    text: `UPDATE incident_notifications
           SET state = $3, last_status = $4, last_answer = $5, due_at = COALESCE($6, due_at),
               finished_at = CASE WHEN $3 IN ('delivered', 'failed') THEN $7::timestamptz END, lease_until = NULL
           WHERE id = $1 AND attempts = $2 AND state = 'sending'
           RETURNING id`,
  },
  // --- the status page ---
  /** Incidents open now or touching the last $2 days before $1, with when a root cause was first recorded. */
  statusIncidents: {
    name: 'incidents.status_incidents',
    text: `SELECT i.id, i.severity, i.component, i.state, i.root_cause, i.triggered_at, i.resolved_at, i.worst_status,
             (SELECT min(t.at) FROM incident_timeline t WHERE t.incident_id = i.id AND t.data ? 'rootCause') AS root_cause_at
           FROM incidents i
           WHERE i.state <> 'resolved' OR i.resolved_at > $1::timestamptz - make_interval(days => $2)
           ORDER BY i.triggered_at`,
  },
  statusUpdates: {
    name: 'incidents.status_updates',
    text: `SELECT incident_id, status, body, author, created_at FROM status_page_updates
           WHERE incident_id = ANY($1::uuid[]) ORDER BY created_at, id`,
  },
  addStatusUpdate: {
    name: 'incidents.add_status_update',
    text: `INSERT INTO status_page_updates (incident_id, status, body, author, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
  },
  statusOverrides: {
    name: 'incidents.status_overrides',
    text: `SELECT id, component, status, reason, set_by, starts_at, ends_at FROM status_page_overrides
           WHERE ends_at IS NULL OR ends_at > $1::timestamptz - make_interval(days => $2) ORDER BY starts_at, id`,
  },
  setStatusOverride: {
    name: 'incidents.set_status_override',
    text: `INSERT INTO status_page_overrides (component, status, reason, set_by, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, component, status, reason, set_by, starts_at, ends_at`,
  },
  /** One override write per component at a time, across every control replica. */
  lockStatusComponent: { name: 'incidents.lock_status_component', text: `SELECT pg_advisory_xact_lock(hashtext('holdfast.status_page.' || $1::text))` },
  /**
   * Ends the component's overrides in force at $2. One that began at that very instant ends a millisecond
   * later (a row must end after it starts); a newer one, recorded after it, wins meanwhile.
   */
  endStatusOverrides: {
    name: 'incidents.end_status_overrides',
    text: `UPDATE status_page_overrides SET ends_at = GREATEST($2::timestamptz, starts_at + interval '1 millisecond')
           WHERE component = $1 AND starts_at <= $2 AND (ends_at IS NULL OR ends_at > $2)`,
  },

  /** Rows per channel and state, for metrics and the console. */
  stats: {
    name: 'incidents.notification_stats',
    text: `SELECT channel, state, count(*)::int AS n, min(due_at) FILTER (WHERE state = 'pending') AS oldest_due
           FROM incident_notifications GROUP BY channel, state ORDER BY channel, state`,
  },
} satisfies Record<string, NamedQuery>;
