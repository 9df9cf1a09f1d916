-- Commerce core: catalog, inventory, carts, orders, idempotency records.
-- This first migration predates the split of the schema by context and spans the tables of catalog
-- (products), inventory (stock_levels, stock_reservations), cart (carts, cart_lines), orders (orders,
-- order_lines, order_events) and checkout (idempotency_records). It stays whole, and with the orders,
-- which own most of it: its id is recorded in every existing database, and a split would re-run it.
-- Later migrations live with the context that owns their tables.
-- Money is always an integer amount in minor units plus an ISO 4217 currency code.

-- array_to_string is only STABLE in general; for text[] it is immutable, which a generated column needs.
CREATE FUNCTION holdfast_words(text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT array_to_string($1, ' ') $$;

CREATE TABLE products (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug            text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
  sku             text NOT NULL UNIQUE CHECK (length(sku) BETWEEN 1 AND 64),
  title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description     text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
  price_amount    bigint NOT NULL CHECK (price_amount >= 0 AND price_amount <= 100000000),
  currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  images          text[] NOT NULL DEFAULT '{}',
  categories      text[] NOT NULL DEFAULT '{}',
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  search          tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
                    setweight(to_tsvector('english', coalesce(holdfast_words(categories), '')), 'B') ||
                    setweight(to_tsvector('english', coalesce(description, '')), 'C')
                  ) STORED
);
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_listing_idx ON products (slug) WHERE active;

-- On-hand stock and the part of it held by open reservations. available = on_hand - reserved.
CREATE TABLE stock_levels (
  product_id  uuid PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
  on_hand     integer NOT NULL CHECK (on_hand >= 0),
  reserved    integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT stock_never_oversold CHECK (reserved <= on_hand)
);

CREATE TABLE carts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  currency    char(3) NOT NULL DEFAULT 'USD',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  checked_out_at timestamptz
);

CREATE TABLE cart_lines (
  cart_id     uuid NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
  product_id  uuid NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 99),
  added_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE orders (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number             bigserial UNIQUE,
  status             text NOT NULL,
  access_token_hash  text NOT NULL,
  email              text NOT NULL,
  shipping_address   jsonb NOT NULL,
  payment_method     text NOT NULL,
  currency           char(3) NOT NULL,
  subtotal_amount    bigint NOT NULL CHECK (subtotal_amount >= 0),
  total_amount       bigint NOT NULL CHECK (total_amount >= 0),
  cart_id            uuid NOT NULL,
  idempotency_key    text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC);
CREATE INDEX orders_email_idx ON orders (lower(email));
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);

-- The price snapshot taken at checkout: later price changes never alter an order.
CREATE TABLE order_lines (
  order_id           uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id         uuid NOT NULL,
  sku                text NOT NULL,
  title              text NOT NULL,
  unit_price_amount  bigint NOT NULL CHECK (unit_price_amount >= 0),
  quantity           integer NOT NULL CHECK (quantity > 0),
  line_total_amount  bigint NOT NULL CHECK (line_total_amount >= 0),
  PRIMARY KEY (order_id, product_id)
);

CREATE TABLE order_events (
  id           bigserial PRIMARY KEY,
  order_id     uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  type         text NOT NULL,
  from_status  text,
  to_status    text,
  data         jsonb NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- Stock held for an order between checkout and payment. Released on payment failure, cancellation or
-- expiry; committed (deducted from on_hand) when the order is paid.
-- The order FK is checked at commit: checkout reserves stock before it writes the order, so a sold-out
-- cart fails before anything else is written.
CREATE TABLE stock_reservations (
  id          bigserial PRIMARY KEY,
  order_id    uuid NOT NULL REFERENCES orders(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  product_id  uuid NOT NULL REFERENCES products(id),
  quantity    integer NOT NULL CHECK (quantity > 0),
  status      text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'committed', 'released')),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (order_id, product_id)
);
CREATE INDEX stock_reservations_expiry_idx ON stock_reservations (expires_at) WHERE status = 'held';

-- Idempotency records: same key + same request replays the stored response (Stripe's semantics).
CREATE TABLE idempotency_records (
  scope            text NOT NULL,
  key              text NOT NULL,
  request_hash     text NOT NULL,
  response_status  integer NOT NULL,
  response_body    jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at);
