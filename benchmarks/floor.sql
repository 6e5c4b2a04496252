-- The least any DuckDB path from raw JSON to the orders and items tables can do: each payload
-- parsed once by the connector's nz_payload (sql/parse_rules.sql, run first), cast without any
-- of its checks, and written into two tables with no key, no upsert, no issues, no history and no
-- products. Run by benchmarks/normalize.py to show what bounds raw JSON -> tables on this
-- machine; nothing in the connector runs it.
SET preserve_insertion_order = false;

CREATE TEMP TABLE floor_parsed AS
SELECT
    order_id,
    window_date,
    nz_payload(payload) AS j
FROM raw_orders;

CREATE TABLE floor_orders AS
SELECT
    order_id AS id,
    j.order_number,
    j.order_source,
    TRY_CAST(j.contact_id AS BIGINT) AS contact_id,
    j.order_name,
    j.receiver_name,
    j.receiver_address,
    j.receiver_phone,
    TRY_CAST(j.subtotal_price AS DECIMAL(18, 2)) AS subtotal_price,
    TRY_CAST(j.total_discount AS DECIMAL(18, 2)) AS total_discount,
    TRY_CAST(j.shipping_fee AS DECIMAL(18, 2)) AS shipping_fee,
    TRY_CAST(j.total_tax AS DECIMAL(18, 2)) AS total_tax,
    TRY_CAST(j.total_price AS DECIMAL(18, 2)) AS total_price,
    j.financial_status,
    j.fulfillment_status,
    j.return_status,
    j.note,
    j.extra_info,
    try_strptime(j.order_created_at, '%Y-%m-%d %H:%M:%S') AS order_created_at,
    try_strptime(j.order_updated_at, '%Y-%m-%d %H:%M:%S') AS order_updated_at,
    try_strptime(j.created_at, '%Y-%m-%d %H:%M:%S') AS created_at,
    try_strptime(j.updated_at, '%Y-%m-%d %H:%M:%S') AS updated_at,
    window_date,
    len(j.items) AS item_count
FROM floor_parsed;

CREATE TABLE floor_items AS
SELECT
    order_id,
    position::INTEGER AS position,
    TRY_CAST(item.id AS BIGINT) AS id,
    TRY_CAST(item.product_id AS BIGINT) AS product_id,
    TRY_CAST(item.quantity AS INTEGER) AS quantity,
    TRY_CAST(item.total_price_before_discounts AS DECIMAL(18, 2)) AS total_price_before_discounts,
    TRY_CAST(item.total_discount AS DECIMAL(18, 2)) AS total_discount,
    TRY_CAST(item.total_price_after_discounts AS DECIMAL(18, 2)) AS total_price_after_discounts,
    item.product.name AS product_name,
    item.product.sku AS product_sku,
    try_strptime(item.created_at, '%Y-%m-%d %H:%M:%S') AS created_at,
    try_strptime(item.updated_at, '%Y-%m-%d %H:%M:%S') AS updated_at,
    window_date
FROM (
    SELECT order_id, window_date, unnest(j.items) AS item, generate_subscripts(j.items, 1) AS position
    FROM floor_parsed
);

DROP TABLE floor_parsed;

SELECT (SELECT count(*) FROM floor_orders), (SELECT count(*) FROM floor_items);
