-- Payments: one row per attempt to charge an order at a provider. The row is committed BEFORE the
-- provider is called and its id is the provider Idempotency-Key, so a worker that dies at any instant
-- leaves a record from which the next worker resolves the same attempt instead of charging again.

CREATE TABLE payment_attempts (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id            uuid NOT NULL REFERENCES orders(id),
  attempt_no          integer NOT NULL,
  provider            text NOT NULL,
  amount              bigint NOT NULL CHECK (amount >= 0),
  currency            char(3) NOT NULL,
  payment_method      text NOT NULL,
  -- pending: written, provider maybe called; in_doubt: sent but no definitive answer yet;
  -- not_sent: known never to have reached the provider; succeeded / declined: the provider's answer.
  status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'in_doubt', 'not_sent', 'succeeded', 'declined')),
  provider_intent_id  text,
  error_code          text,
  decline_code        text,
  error_message       text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, attempt_no)
);
-- At most one successful charge per order, enforced by the database.
CREATE UNIQUE INDEX payment_attempts_one_success ON payment_attempts (order_id) WHERE status = 'succeeded';
-- At most one attempt per order whose outcome is unknown: a new attempt (perhaps at another provider)
-- can only start once the previous one is resolved, so failover can never charge twice.
CREATE UNIQUE INDEX payment_attempts_one_unresolved ON payment_attempts (order_id) WHERE status IN ('pending', 'in_doubt');

-- A lease on the order's payment: only one worker at a time works on an order, even if the queue
-- redelivers its job (e.g. after a worker was killed and the job expired).
ALTER TABLE orders ADD COLUMN payment_lease_owner text, ADD COLUMN payment_lease_until timestamptz;

CREATE TABLE refunds (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id            uuid NOT NULL REFERENCES orders(id),
  attempt_id          uuid NOT NULL REFERENCES payment_attempts(id),
  provider            text NOT NULL,
  amount              bigint NOT NULL CHECK (amount > 0),
  provider_refund_id  text,
  reason              text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (attempt_id)
);

-- Differences found by reconciliation between the order ledger and the providers' ledgers.
CREATE TABLE reconciliation_findings (
  id             bigserial PRIMARY KEY,
  kind           text NOT NULL CHECK (kind IN ('charge_without_order', 'order_without_charge', 'amount_mismatch', 'duplicate_charge', 'unsettled_charge')),
  provider       text NOT NULL,
  order_id       uuid,
  intent_id      text,
  details        jsonb NOT NULL DEFAULT '{}',
  action         text NOT NULL CHECK (action IN ('repaired', 'refunded', 'flagged')),
  created_at     timestamptz NOT NULL DEFAULT now()
);
-- Reconciliation runs repeatedly: one finding per difference, however often it is seen.
CREATE UNIQUE INDEX reconciliation_findings_once ON reconciliation_findings
  (kind, provider, coalesce(intent_id, ''), coalesce(order_id::text, ''));
