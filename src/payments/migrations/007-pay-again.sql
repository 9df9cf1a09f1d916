-- Paying a declined order again with another card. After a decline the provider's PaymentIntent is back
-- in requires_payment_method and is confirmed again with the new payment method (Stripe's flow), so the
-- order keeps one intent per provider. An attempt that confirms an existing intent records which one
-- BEFORE it is sent: a worker that finds such an attempt unresolved repeats the same confirm with the
-- same Idempotency-Key; NULL means the attempt creates its own intent.
ALTER TABLE payment_attempts ADD COLUMN confirms_intent_id text;
