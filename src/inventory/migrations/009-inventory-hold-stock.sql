-- Holding stock for an order, as a function of inventory's own: checkout's function (holdfast_place_order)
-- calls it by name instead of writing stock_levels and stock_reservations itself. The statements are the
-- ones checkout ran, in the same order and with the same locks.
--
-- Each line is a conditional update of its stock row: it succeeds only when enough unreserved stock
-- remains, so concurrent buyers serialise on the row and can never oversell (the table's CHECK
-- reserved <= on_hand backs that up). Rows are updated in product id order, so two orders for the same
-- products always lock their stock rows in the same order (no deadlock). Not enough stock raises
-- SQLSTATE HF001 OUT_OF_STOCK with the product and quantity as JSON in DETAIL (checkout maps it to
-- inventory's OUT_OF_STOCK error). The reservations expire at the order's payment deadline.
CREATE FUNCTION inventory_hold_stock(
  p_order_id uuid,
  p_product_ids uuid[],
  p_quantities integer[],
  p_hold_seconds integer
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_line record;
BEGIN
  FOR v_line IN
    SELECT t.product_id, t.quantity FROM unnest(p_product_ids, p_quantities) AS t(product_id, quantity) ORDER BY t.product_id
  LOOP
    UPDATE stock_levels SET reserved = reserved + v_line.quantity, updated_at = now()
    WHERE product_id = v_line.product_id AND on_hand - reserved >= v_line.quantity;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'OUT_OF_STOCK',
        DETAIL = json_build_object('productId', v_line.product_id, 'requested', v_line.quantity)::text;
    END IF;
  END LOOP;
  INSERT INTO stock_reservations (order_id, product_id, quantity, expires_at)
  SELECT p_order_id, t.product_id, t.quantity, now() + make_interval(secs => p_hold_seconds)
  FROM unnest(p_product_ids, p_quantities) AS t(product_id, quantity);
END;
$$;
