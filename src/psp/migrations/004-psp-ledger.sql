-- The payment provider simulator's ledger (the `psp` role), in its own schema: what a Stripe account
-- would hold. Several simulator accounts share these tables, told apart by account_id.
CREATE SCHEMA IF NOT EXISTS psp;

CREATE TABLE psp.payment_intents (
  -- Total order of creation: list pagination (newest first, starting_after/ending_before) follows it,
  -- because `created` has one-second resolution.
  seq                  bigserial PRIMARY KEY,
  id                   text NOT NULL UNIQUE,
  account_id           text NOT NULL,
  amount               bigint NOT NULL CHECK (amount > 0),
  amount_received      bigint NOT NULL DEFAULT 0,
  amount_refunded      bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount_received),
  currency             text NOT NULL,
  status               text NOT NULL CHECK (status IN (
                         'requires_payment_method', 'requires_confirmation', 'requires_action', 'processing',
                         'requires_capture', 'canceled', 'succeeded')),
  client_secret        text NOT NULL,
  description          text,
  metadata             jsonb NOT NULL DEFAULT '{}',
  -- The PaymentMethod attached now (a clone of the test token, as Stripe does), and the token used.
  payment_method       text,
  payment_method_token text,
  latest_charge        text,
  last_payment_error   jsonb,
  -- Create parameters echoed back on the object (payment_method_types, automatic_payment_methods, ...).
  options              jsonb NOT NULL DEFAULT '{}',
  canceled_at          bigint,
  cancellation_reason  text,
  created              bigint NOT NULL,
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_intents_account_seq ON psp.payment_intents (account_id, seq DESC);
CREATE INDEX payment_intents_metadata ON psp.payment_intents USING gin (metadata jsonb_path_ops);
-- The crash test and reconciliation ask "how many succeeded charges does order X have?".
CREATE INDEX payment_intents_succeeded_order ON psp.payment_intents ((metadata->>'order_id'), account_id)
  WHERE status = 'succeeded';
-- Search (metadata['order_id']:'...') is a case-insensitive exact match, as on Stripe.
CREATE INDEX payment_intents_order_search ON psp.payment_intents (account_id, lower(metadata->>'order_id'));

CREATE TABLE psp.refunds (
  seq                  bigserial PRIMARY KEY,
  id                   text NOT NULL UNIQUE,
  account_id           text NOT NULL,
  payment_intent_id    text NOT NULL REFERENCES psp.payment_intents (id),
  charge_id            text NOT NULL,
  amount               bigint NOT NULL CHECK (amount > 0),
  currency             text NOT NULL,
  status               text NOT NULL,
  reason               text,
  metadata             jsonb NOT NULL DEFAULT '{}',
  created              bigint NOT NULL
);
CREATE INDEX refunds_account_seq ON psp.refunds (account_id, seq DESC);
CREATE INDEX refunds_payment_intent ON psp.refunds (payment_intent_id, seq DESC);

-- Idempotency records, kept 24 hours. Written in the same transaction as the object the request created,
-- so a crash either leaves both or neither: a retry after a crash never charges twice.
CREATE TABLE psp.idempotency_keys (
  account_id           text NOT NULL,
  key                  text NOT NULL,
  method               text NOT NULL,
  path                 text NOT NULL,
  params_sha256        text NOT NULL,
  response_status      integer NOT NULL,
  response_body        text NOT NULL,
  request_id           text NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON psp.idempotency_keys (created_at);
