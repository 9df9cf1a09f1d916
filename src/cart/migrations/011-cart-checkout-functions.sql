-- What checkout needs of a cart, as functions of the cart's own: checkout's function (holdfast_place_order)
-- calls them by name instead of reading and writing carts and cart_lines itself.

-- Locks the cart (concurrent checkouts of one cart serialise here) and returns its currency. Raises
-- SQLSTATE HF001 CART_NOT_FOUND or CART_CHECKED_OUT (checkout maps them to the cart's errors).
CREATE FUNCTION cart_lock_for_checkout(p_cart_id uuid) RETURNS char(3)
LANGUAGE plpgsql AS $$
DECLARE
  v_cart record;
BEGIN
  SELECT c.currency, c.checked_out_at INTO v_cart FROM carts c WHERE c.id = p_cart_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CART_NOT_FOUND';
  END IF;
  IF v_cart.checked_out_at IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'HF001', MESSAGE = 'CART_CHECKED_OUT';
  END IF;
  RETURN v_cart.currency;
END;
$$;

-- The cart's lines in the cart's order (as added), each with its product's current SKU, title, price and
-- whether it is still for sale: one read, from which checkout validates and takes its price snapshot.
CREATE FUNCTION cart_lines_for_checkout(p_cart_id uuid)
RETURNS TABLE (product_id uuid, quantity integer, sku text, title text, unit_price bigint, active boolean)
LANGUAGE sql STABLE AS $$
  SELECT l.product_id, l.quantity, p.sku, p.title, p.price_amount, p.active
  FROM cart_lines l JOIN products p ON p.id = l.product_id
  WHERE l.cart_id = p_cart_id
  ORDER BY l.added_at, l.product_id
$$;

-- The cart accepts no more changes.
CREATE FUNCTION cart_close(p_cart_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE carts SET checked_out_at = now(), updated_at = now() WHERE id = p_cart_id;
END;
$$;
