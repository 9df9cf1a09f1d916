-- Checkout stops writing pg-boss's job table itself. Migration 006's holdfast_place_order inserted the
-- payment job with a copy of pg-boss 10's insert; from here it calls holdfast_enqueue_payment_job(data,
-- singleton_key), which the queue adapter (src/platform/queue/job-queue.ts) installs at start-up from the
-- statement pg-boss's send() runs at the installed version, so an upgrade of pg-boss changes it with
-- pg-boss. Still one statement, one transaction, one round trip (decision 0011). The queue name is no
-- longer a parameter: the enqueue function names its queue. PL/pgSQL resolves the enqueue function at
-- first call, after the queue module has installed it.
DROP FUNCTION holdfast_place_order(text, text, jsonb, uuid, text, uuid, text, jsonb, text, integer, text, jsonb);

CREATE FUNCTION holdfast_place_order(
  p_key text,
  p_request_hash text,
  p_response jsonb,
  p_order_id uuid,
  p_access_token_hash text,
  p_cart_id uuid,
  p_email text,
  p_shipping_address jsonb,
  p_payment_method text,
  p_reservation_ttl_seconds integer,
  p_job_data jsonb
) RETURNS TABLE (replayed boolean, response jsonb)
LANGUAGE plpgsql AS $$
DECLARE
  v_prior record;
  v_cart record;
  v_line record;
  v_line_count integer;
BEGIN
  -- 1. Claim the key. A concurrent request with the same key waits on this row until the first commits
  -- (then replays) or rolls back (then claims it).
  INSERT INTO idempotency_records (scope, key, request_hash, response_status, response_body)
  VALUES ('checkout', p_key, p_request_hash, 202, p_response) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    SELECT r.request_hash, r.response_body INTO v_prior
    FROM idempotency_records r WHERE r.scope = 'checkout' AND r.key = p_key;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CHECKOUT_IDEMPOTENCY_KEY_IN_FLIGHT';
    END IF;
    IF v_prior.request_hash <> p_request_hash THEN
      RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'IDEMPOTENCY_KEY_REUSED';
    END IF;
    RETURN QUERY SELECT true, v_prior.response_body;
    RETURN;
  END IF;

  -- 2. Lock the cart (concurrent checkouts of one cart serialise here) and validate it.
  SELECT c.id, c.currency, c.checked_out_at INTO v_cart FROM carts c WHERE c.id = p_cart_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CART_NOT_FOUND';
  END IF;
  IF v_cart.checked_out_at IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CART_CHECKED_OUT';
  END IF;
  SELECT count(*) INTO v_line_count FROM cart_lines l WHERE l.cart_id = p_cart_id;
  IF v_line_count = 0 THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CHECKOUT_CART_EMPTY';
  END IF;
  -- The first line (in the cart's order) whose product is no longer for sale is the one named.
  FOR v_line IN
    SELECT l.product_id FROM cart_lines l JOIN products p ON p.id = l.product_id
    WHERE l.cart_id = p_cart_id AND NOT p.active ORDER BY l.added_at, l.product_id LIMIT 1
  LOOP
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CHECKOUT_PRODUCT_UNAVAILABLE',
      DETAIL = json_build_object('productId', v_line.product_id)::text;
  END LOOP;

  -- 3. Reserve stock with a conditional update per line, in product id order so two orders for the same
  -- products always lock their stock rows in the same order (no deadlock); never oversells.
  FOR v_line IN
    SELECT l.product_id, l.quantity FROM cart_lines l WHERE l.cart_id = p_cart_id ORDER BY l.product_id
  LOOP
    UPDATE stock_levels SET reserved = reserved + v_line.quantity, updated_at = now()
    WHERE product_id = v_line.product_id AND on_hand - reserved >= v_line.quantity;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'OUT_OF_STOCK',
        DETAIL = json_build_object('productId', v_line.product_id, 'requested', v_line.quantity)::text;
    END IF;
  END LOOP;
  INSERT INTO stock_reservations (order_id, product_id, quantity, expires_at)
  SELECT p_order_id, l.product_id, l.quantity, now() + make_interval(secs => p_reservation_ttl_seconds)
  FROM cart_lines l WHERE l.cart_id = p_cart_id;

  -- 4. The order, its lines with a snapshot of the current prices, and its first event. One statement,
  -- so the order's total and its lines are computed from the same read of the prices.
  WITH lines AS (
    SELECT p.id AS product_id, p.sku, p.title, p.price_amount, l.quantity
    FROM cart_lines l JOIN products p ON p.id = l.product_id WHERE l.cart_id = p_cart_id),
  o AS (
    INSERT INTO orders (id, status, access_token_hash, email, shipping_address, payment_method, currency,
      subtotal_amount, total_amount, cart_id, idempotency_key)
    SELECT p_order_id, 'pending_payment', p_access_token_hash, p_email, p_shipping_address, p_payment_method,
      v_cart.currency, sum(price_amount * quantity), sum(price_amount * quantity), p_cart_id, p_key
    FROM lines),
  e AS (
    INSERT INTO order_events (order_id, type, from_status, to_status, data)
    VALUES (p_order_id, 'order.created', NULL, 'pending_payment', jsonb_build_object('cartId', p_cart_id)))
  INSERT INTO order_lines (order_id, product_id, sku, title, unit_price_amount, quantity, line_total_amount)
  SELECT p_order_id, product_id, sku, title, price_amount, quantity, price_amount * quantity FROM lines;

  -- 5. The cart accepts no more changes.
  UPDATE carts SET checked_out_at = now(), updated_at = now() WHERE id = p_cart_id;

  -- 6. The payment job, through the function the queue adapter installs from pg-boss's own send()
  -- statement (src/platform/queue/job-queue.ts), keyed by the order id.
  IF holdfast_enqueue_payment_job(p_job_data, p_order_id::text) IS NULL THEN
    -- Not a shopper's mistake: pg-boss skipped the job (the queue refused it).
    RAISE EXCEPTION 'the payment queue refused the job of order %', p_order_id;
  END IF;

  RETURN QUERY SELECT false, p_response;
END;
$$;
