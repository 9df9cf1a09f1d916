-- Change events: what changed in the shop and when (a fault set or cleared, a setting changed, a process
-- started or stopped, a new version, a scaling decision, a waiting-room state change). Incidents and
-- root-cause findings read them ("psp.latency was set 4 s before the first signal"); every writer NOTIFYs
-- holdfast_changes with the new id so a listener sees a change at once. Rows older than the retention are
-- purged by the changes module.
CREATE TABLE change_events (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind        text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  subject     text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
  summary     text NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
  source      text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX change_events_at ON change_events (at);
