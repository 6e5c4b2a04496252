-- Every order id these windows hold now or held at the last normalize.
CREATE OR REPLACE TEMP TABLE nz_affected AS
SELECT order_id FROM raw_orders WHERE list_contains($days::DATE[], window_date)
UNION
SELECT id FROM orders WHERE list_contains($days::DATE[], window_date);

-- Raw rows of those orders without a staged row (landed before staging existed, or their
-- staging at landing failed): stage_raw.sql stages them next. Landing replaces a window's raw
-- and staged rows together, so a staged row is never older than its raw row.
CREATE OR REPLACE TEMP TABLE stage_todo AS
SELECT window_date, order_id
FROM raw_orders
WHERE order_id IN (SELECT order_id FROM nz_affected)
EXCEPT
SELECT window_date, order_id
FROM staging.orders
WHERE order_id IN (SELECT order_id FROM nz_affected);
