-- The staged rows the normalize applies: per order id, its latest raw row (an id can sit in two
-- windows when its order_created_at moved: the latest fetch wins), and that row's items.
-- Later normalize_*.sql files read only these nz_* temp tables and views.
CREATE OR REPLACE TEMP TABLE nz_latest AS
SELECT order_id, arg_max(window_date, (fetched_at, window_date)) AS window_date
FROM staging.orders
WHERE order_id IN (SELECT order_id FROM nz_affected)
GROUP BY order_id;

-- Only the narrow columns later steps read more than once are copied: copying the wide rows
-- (1M orders, 3M items) cost more than the joins below, and spilled under the memory limit.
-- Picked by a join on the narrow keys: a window function over the staged rows costs 3x.
CREATE OR REPLACE TEMP VIEW nz_staged_orders AS
SELECT s.*
FROM staging.orders AS s
SEMI JOIN nz_latest AS k ON s.order_id = k.order_id AND s.window_date = k.window_date;

CREATE OR REPLACE TEMP TABLE nz_orders AS
SELECT
    order_id,
    window_date,
    fetched_at,
    financial_status,
    fulfillment_status,
    return_status,
    item_count,
    item_shapes,
    raw,
    nonstring_fields,
    items_not_a_list
FROM nz_staged_orders;

CREATE OR REPLACE TEMP VIEW nz_items AS
SELECT i.*
FROM staging.items AS i
SEMI JOIN nz_latest AS k ON i.order_id = k.order_id AND i.window_date = k.window_date;
