-- Creating an order and recording its history, as functions of the orders' own: checkout's function
-- (holdfast_place_order) calls orders_create by name instead of writing orders, order_lines and
-- order_events itself, and every event goes through orders_append_event (the orders own order_events).
--
-- orders_create writes the order (pending_payment) with the price snapshot of its lines, as checkout
-- read them once (the totals and the lines come from the same prices), and its first event.

CREATE FUNCTION orders_append_event(
  p_order_id uuid,
  p_type text,
  p_from_status text,
  p_to_status text,
  p_data jsonb
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO order_events (order_id, type, from_status, to_status, data)
  VALUES (p_order_id, p_type, p_from_status, p_to_status, coalesce(p_data, '{}'));
END;
$$;

-- One statement (the order, its first event and its lines), as checkout wrote them before: the order's
-- total and its lines come from the same lines, and a checkout runs one statement here, not three.
CREATE FUNCTION orders_create(
  p_order_id uuid,
  p_access_token_hash text,
  p_email text,
  p_shipping_address jsonb,
  p_payment_method text,
  p_currency char(3),
  p_cart_id uuid,
  p_idempotency_key text,
  p_product_ids uuid[],
  p_skus text[],
  p_titles text[],
  p_unit_prices bigint[],
  p_quantities integer[]
) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH lines AS (
    SELECT t.product_id, t.sku, t.title, t.price, t.quantity
    FROM unnest(p_product_ids, p_skus, p_titles, p_unit_prices, p_quantities) AS t(product_id, sku, title, price, quantity)),
  o AS (
    INSERT INTO orders (id, status, access_token_hash, email, shipping_address, payment_method, currency,
      subtotal_amount, total_amount, cart_id, idempotency_key)
    SELECT p_order_id, 'pending_payment', p_access_token_hash, p_email, p_shipping_address, p_payment_method,
      p_currency, sum(price * quantity), sum(price * quantity), p_cart_id, p_idempotency_key
    FROM lines),
  e AS (
    INSERT INTO order_events (order_id, type, from_status, to_status, data)
    VALUES (p_order_id, 'order.created', NULL, 'pending_payment', jsonb_build_object('cartId', p_cart_id)))
  INSERT INTO order_lines (order_id, product_id, sku, title, unit_price_amount, quantity, line_total_amount)
  SELECT p_order_id, product_id, sku, title, price, quantity, price * quantity FROM lines;
END;
$$;
