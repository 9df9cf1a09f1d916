-- Runtime fault injection (src/faults): one row per active fault, shared by every role and replica.
-- Writers NOTIFY holdfast_faults; readers also poll, so a fault reaches every process within a second.
CREATE TABLE faults (
  name        text PRIMARY KEY,
  params      jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  -- Optional: a fault switched on for a game day switches itself off (NULL: until cleared).
  expires_at  timestamptz
);
