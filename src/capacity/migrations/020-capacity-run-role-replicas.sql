-- Replicas per role in a capacity run ({"storefront": 2, "payments": 3}): readiness divides a run's rate
-- by the replicas of the role its bottleneck was in, and multiplies by that role's maximum. Runs recorded
-- before it have NULL (only their storefront replicas, in `replicas`, are known); `replicas` stays the
-- storefront's for every run. `notes`: what the load tester said about the run as it recorded it, e.g.
-- that the autoscaler changed the replicas while it ran.
ALTER TABLE capacity_runs
  ADD COLUMN role_replicas jsonb,
  ADD COLUMN notes jsonb NOT NULL DEFAULT '[]'::jsonb;
