-- Installation-wide settings shared by every role and replica (e.g. the admin token's hash).
CREATE TABLE settings (
  key         text PRIMARY KEY,
  value       text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
