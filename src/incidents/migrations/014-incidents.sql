-- Incidents (src/incidents, docs/incident-response.md): incidents and their timelines, the durable outbox
-- of notifications, each notification channel's rate budget, and what the public status page shows
-- beyond what it computes (operators' incident updates and manual component states).

-- One incident: alerts that share a cause or component join it while it is open.
CREATE TABLE incidents (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  severity           text NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
  -- The affected part (alert service): payments, payments -> provider, storefront, database, ...
  component          text NOT NULL,
  -- The system that reported it (PagerDuty's payload.source): the control role, or Alertmanager.
  source             text NOT NULL,
  state              text NOT NULL DEFAULT 'triggered' CHECK (state IN ('triggered', 'acknowledged', 'resolved')),
  root_cause         text,
  owner              text,
  details            jsonb NOT NULL DEFAULT '{}',
  -- The escalation policy in force when the incident triggered: changing the policy file does not
  -- reshuffle an escalation already under way.
  escalation_policy  jsonb NOT NULL,
  -- Counts updates (root cause found or changed, severity changed): each is notified as update:<n>.
  update_sequence    integer NOT NULL DEFAULT 0,
  triggered_at       timestamptz NOT NULL,
  acknowledged_at    timestamptz,
  acknowledged_by    text,
  resolved_at        timestamptz,
  CHECK (acknowledged_at IS NULL OR acknowledged_at >= triggered_at),
  CHECK (resolved_at IS NULL OR resolved_at >= triggered_at),
  CHECK ((state = 'resolved') = (resolved_at IS NOT NULL)),
  CHECK (state <> 'acknowledged' OR acknowledged_at IS NOT NULL)
);
CREATE INDEX incidents_open_idx ON incidents (triggered_at) WHERE state <> 'resolved';
CREATE INDEX incidents_triggered_idx ON incidents (triggered_at DESC);

-- The alerts an incident is made of: the first opened it, related ones joined it (same component, or the
-- same root cause, within the correlation window). The incident resolves itself when the last one resolves.
-- alert_key is the alert as its detector names it (the control role's alert id, alertmanager:<fingerprint>).
CREATE TABLE incident_alerts (
  incident_id  uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  alert_key    text NOT NULL CHECK (length(alert_key) BETWEEN 1 AND 300),
  name         text NOT NULL,
  component    text NOT NULL,
  -- the root-cause finding's top candidate when the alert fired (payment-provider, database, ...), if any
  cause        text,
  -- who raised it: the control role, alertmanager
  source       text NOT NULL,
  state        text NOT NULL DEFAULT 'firing' CHECK (state IN ('firing', 'resolved')),
  fired_at     timestamptz NOT NULL,
  resolved_at  timestamptz,
  PRIMARY KEY (alert_key, incident_id)
);
CREATE INDEX incident_alerts_incident_idx ON incident_alerts (incident_id, fired_at);

-- Everything that happened to an incident, in order: alerts firing and resolving, root-cause findings,
-- notifications and their answers, escalations, acknowledgement, notes, change events, resolution.
CREATE TABLE incident_timeline (
  id           bigserial PRIMARY KEY,
  incident_id  uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  at           timestamptz NOT NULL,
  kind         text NOT NULL,
  summary      text NOT NULL,
  data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX incident_timeline_incident_idx ON incident_timeline (incident_id, at, id);

-- The outbox: one row per transition per channel, written in the transaction that changes the incident,
-- so a notification is never lost with a crash and never written twice by a replay (the unique key).
-- Delivery claims due rows (FOR UPDATE SKIP LOCKED), marks them `sending` with a lease, sends, and records
-- the answer: delivered, failed (given up), or pending again with the next attempt's time. A deliverer
-- that dies mid-send leaves a `sending` row whose lease runs out; another deliverer takes it over.
-- superseded: replaced before it was sent (a newer update; an acknowledgement overtaken by the resolution;
-- a page to an incident already acknowledged or resolved). skipped: the channel was never told of the
-- incident, so there is nothing to acknowledge or resolve there.
CREATE TABLE incident_notifications (
  id                bigserial PRIMARY KEY,
  incident_id       uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  channel           text NOT NULL,
  transition        text NOT NULL,
  kind              text NOT NULL CHECK (kind IN ('page', 'update', 'acknowledge', 'resolve')),
  escalation_level  integer,
  escalation_loop   integer,
  state             text NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'superseded', 'skipped')),
  -- When the transition happened; the notice says so whenever it is finally delivered.
  occurred_at       timestamptz NOT NULL,
  -- Not before: the first attempt, then each retry's backoff.
  due_at            timestamptz NOT NULL,
  lease_until       timestamptz,
  attempts          integer NOT NULL DEFAULT 0,
  last_status       integer,
  last_answer       text,
  finished_at       timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (incident_id, transition, channel)
);
CREATE INDEX incident_notifications_due_idx ON incident_notifications (channel, due_at) WHERE state IN ('pending', 'sending');
CREATE INDEX incident_notifications_order_idx ON incident_notifications (incident_id, channel, id);

-- A token bucket per channel, shared by every deliverer (every control replica): a burst of incidents,
-- or a flapping signal, cannot send a channel more than its rate limit.
CREATE TABLE incident_channel_budgets (
  channel      text PRIMARY KEY,
  tokens       double precision NOT NULL,
  refilled_at  timestamptz NOT NULL
);

-- The public status page: updates written by operators (or accepted drafts) for an incident, in
-- Statuspage's incident states.
CREATE TABLE status_page_updates (
  id           bigserial PRIMARY KEY,
  incident_id  uuid NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  status       text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
  body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
  author       text,
  created_at   timestamptz NOT NULL
);
CREATE INDEX status_page_updates_incident_idx ON status_page_updates (incident_id, created_at);

-- A component's state set by hand (planned maintenance, an outage the signals do not see), from starts_at
-- until ends_at (NULL: until cleared). Kept after it ends: the 90-day history shows it.
CREATE TABLE status_page_overrides (
  id         bigserial PRIMARY KEY,
  component  text NOT NULL CHECK (component IN ('storefront', 'search', 'checkout', 'payments')),
  status     text NOT NULL CHECK (status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  set_by     text,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz,
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX status_page_overrides_component_idx ON status_page_overrides (component, starts_at DESC);

-- The SLO burns the control role measures, as the status page reads them in whichever role serves it
-- (the storefront's): one row per journey and objective, rewritten every few seconds; a row not updated
-- for a minute is stale (no control role running) and ignored.
CREATE TABLE status_page_burns (
  journey     text NOT NULL,
  objective   text NOT NULL CHECK (objective IN ('availability', 'latency')),
  target      double precision NOT NULL,
  short_burn  double precision NOT NULL,
  firing      boolean NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (journey, objective)
);

-- When the status page's records begin: earlier days of its history are "no data", never "operational".
CREATE TABLE status_page_records (records_since timestamptz NOT NULL);
INSERT INTO status_page_records VALUES (now());
