-- Checkout's function calls the cart's, the inventory's and the orders' own SQL functions by name
-- (migrations 009, 010, 011) instead of writing their tables itself: each context owns its tables and
-- the statements that change them; checkout owns the transaction, its idempotency record and the order
-- of the steps. Same steps, same order, same locks, same rejections (SQLSTATE HF001 with the stable code),
-- still one statement and one round trip (decision 0011).
CREATE OR REPLACE FUNCTION holdfast_place_order(
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
  v_currency char(3);
  v_product_ids uuid[];
  v_quantities integer[];
  v_skus text[];
  v_titles text[];
  v_prices bigint[];
  v_unavailable uuid;
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

  -- 2. Lock the cart, then read its lines at current prices once: what is validated is what is ordered.
  v_currency := cart_lock_for_checkout(p_cart_id);
  SELECT array_agg(l.product_id), array_agg(l.quantity), array_agg(l.sku), array_agg(l.title), array_agg(l.unit_price),
         -- the first line (in the cart's order) whose product is no longer for sale is the one named
         (array_agg(l.product_id) FILTER (WHERE NOT l.active))[1]
  INTO v_product_ids, v_quantities, v_skus, v_titles, v_prices, v_unavailable
  FROM cart_lines_for_checkout(p_cart_id) l;
  IF v_product_ids IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CHECKOUT_CART_EMPTY';
  END IF;
  IF v_unavailable IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CHECKOUT_PRODUCT_UNAVAILABLE',
      DETAIL = json_build_object('productId', v_unavailable)::text;
  END IF;

  -- 3. Hold the stock until the payment deadline (never oversells; rows locked in product id order).
  PERFORM inventory_hold_stock(p_order_id, v_product_ids, v_quantities, p_reservation_ttl_seconds);

  -- 4. The order (pending_payment) with the price snapshot of its lines, and its first event.
  PERFORM orders_create(p_order_id, p_access_token_hash, p_email, p_shipping_address, p_payment_method,
    v_currency, p_cart_id, p_key, v_product_ids, v_skus, v_titles, v_prices, v_quantities);

  -- 5. The cart accepts no more changes.
  PERFORM cart_close(p_cart_id);

  -- 6. The payment job, through the function the queue installs from pg-boss's own send() statement
  -- (src/platform/queue/pg-boss-queue.ts), keyed by the order id.
  IF holdfast_enqueue_payment_job(p_job_data, p_order_id::text) IS NULL THEN
    -- Not a shopper's mistake: pg-boss skipped the job (the queue refused it).
    RAISE EXCEPTION 'the payment queue refused the job of order %', p_order_id;
  END IF;

  RETURN QUERY SELECT false, p_response;
END;
$$;
