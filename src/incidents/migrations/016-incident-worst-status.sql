-- The worst state an incident's components reached while it was open (Statuspage's component states), as
-- the control role measures it from the SLO burns every few seconds: the status page's 90-day history
-- shows an incident's days in that state. NULL: never measured (no control role running); the history
-- then shows degraded_performance, the least an open incident means.
ALTER TABLE incidents ADD COLUMN worst_status text
  CHECK (worst_status IN ('operational', 'under_maintenance', 'degraded_performance', 'partial_outage', 'major_outage'));
