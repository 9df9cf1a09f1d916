-- Capacity runs: each `holdfast loadtest capacity --record` result, appended, never edited. A run is
-- comparable with the runs before it that share its comparable_key (the scenario, the SLO, the step length
-- and the target); its comparison with the latest of them (a drop in capacity per replica of more than 10%
-- is a regression) is judged once, when the run is recorded, and kept with it.
CREATE TABLE capacity_runs (
  id                          bigserial PRIMARY KEY,
  recorded_at                 timestamptz NOT NULL DEFAULT clock_timestamp(),
  scenario                    text NOT NULL,
  target                      text NOT NULL,
  slo                         text NOT NULL,
  step_duration_seconds       double precision NOT NULL,
  comparable_key              text NOT NULL,
  version                     text NOT NULL,
  replicas                    integer NOT NULL CHECK (replicas >= 1),
  sustainable_rate            double precision CHECK (sustainable_rate >= 0),
  sustainable_requests_per_sec double precision,
  breaking_rate               double precision,
  bottleneck                  jsonb,
  deployment                  jsonb NOT NULL DEFAULT '{}'::jsonb,
  comparison                  jsonb,
  report                      jsonb
);

CREATE INDEX capacity_runs_comparable ON capacity_runs (comparable_key, id DESC);
CREATE INDEX capacity_runs_recorded_at ON capacity_runs (recorded_at DESC);
