-- The ops console's sign-in sessions (src/ops-console, docs/ops-console.md). The cookie carries a random
-- session id; only its SHA-256 is stored, so a copy of this table signs nobody in. Each session has its own
-- CSRF token, which every state-changing form of the console must send back.
CREATE TABLE ops_console_sessions (
  id_sha256   text PRIMARY KEY,
  csrf_token  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX ops_console_sessions_expiry ON ops_console_sessions (expires_at);
