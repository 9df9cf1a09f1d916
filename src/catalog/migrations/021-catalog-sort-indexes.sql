-- The listing's other orders (price, newest) read the active products in index order and stop after a
-- page, instead of sorting every active product for each uncached page: the same columns, in the same
-- direction, as the ORDER BY of catalog.by_price_asc / by_price_desc (one index read either way) and
-- catalog.newest. The demo catalog has 1,200 products; the seed allows a million.
-- (In the migration's transaction: no CONCURRENTLY; the lock holds back product writes, which are the
-- admin's, for the build.)
CREATE INDEX products_price_idx ON products (price_amount, id) WHERE active;
CREATE INDEX products_newest_idx ON products (created_at DESC, id DESC) WHERE active;
