-- Replace the issues of these windows and of every staged order with what the staged payloads
-- show now. Only orders and items staged with their raw text (`raw`, `raw_item` not NULL)
-- can have parse issues.
-- observed_at is the fetch time of the payload that carried the value, so running normalize
-- again over unchanged raw rows reproduces the same rows.
CREATE OR REPLACE TEMP TABLE nz_issues AS
WITH
suspects AS (
    SELECT order_id, window_date, fetched_at, raw, nonstring_fields, items_not_a_list, item_shapes
    FROM nz_orders
    WHERE raw IS NOT NULL
),
money AS (
    UNPIVOT (
        SELECT
            order_id,
            window_date,
            fetched_at,
            raw.subtotal_price,
            raw.total_discount,
            raw.shipping_fee,
            raw.total_tax,
            raw.total_price
        FROM suspects
    )
    ON subtotal_price, total_discount, shipping_fee, total_tax, total_price
    INTO NAME field VALUE raw_value
),
stamps AS (
    UNPIVOT (
        SELECT
            order_id,
            window_date,
            fetched_at,
            raw.order_created_at,
            raw.order_updated_at,
            raw.created_at,
            raw.updated_at
        FROM suspects
    )
    ON order_created_at, order_updated_at, created_at, updated_at
    INTO NAME field VALUE raw_value
),
nonstring AS (
    SELECT order_id, window_date, fetched_at, unnest(nonstring_fields) AS field, raw
    FROM suspects
    WHERE len(nonstring_fields) > 0
),
listed_items AS (
    SELECT
        order_id,
        window_date,
        fetched_at,
        unnest(range(len(item_shapes)))::INTEGER AS position,
        unnest(item_shapes) AS shape
    FROM suspects
    WHERE item_shapes IS NOT NULL
),
item_values AS (
    UNPIVOT (
        SELECT
            order_id,
            window_date,
            fetched_at,
            position,
            raw_item.id AS "id",
            raw_item.product_id AS "product_id",
            raw_item.quantity AS "quantity",
            raw_item.product.id AS "product.id",
            raw_item.total_price_before_discounts AS "total_price_before_discounts",
            raw_item.total_discount AS "total_discount",
            raw_item.total_price_after_discounts AS "total_price_after_discounts",
            raw_item.product.price AS "product.price",
            raw_item.created_at AS "created_at",
            raw_item.updated_at AS "updated_at"
        FROM nz_items
        WHERE raw_item IS NOT NULL
    )
    ON COLUMNS(* EXCLUDE (order_id, window_date, fetched_at, position))
    INTO NAME field VALUE raw_value
),
item_problems AS (
    SELECT
        order_id,
        window_date,
        fetched_at,
        position,
        field,
        raw_value,
        CASE
            WHEN field IN ('id', 'product_id', 'product.id') AND nz_int(raw_value) IS NULL
                THEN 'invalid_integer'
            WHEN field = 'quantity' AND nz_int32(raw_value) IS NULL THEN 'invalid_integer'
            WHEN field IN (
                'total_price_before_discounts', 'total_discount',
                'total_price_after_discounts', 'product.price'
            ) AND nz_money(raw_value) IS NULL THEN 'invalid_decimal'
            WHEN field IN ('created_at', 'updated_at') AND nz_ts(raw_value) IS NULL
                THEN 'invalid_timestamp'
        END AS problem
    FROM item_values
    WHERE NOT nz_blank(raw_value)
)
SELECT order_id, window_date, field, raw_value, 'invalid_decimal' AS problem, fetched_at
FROM money
WHERE nz_bad(nz_money(raw_value), raw_value)
UNION ALL
SELECT order_id, window_date, field, raw_value, 'invalid_timestamp', fetched_at
FROM stamps
WHERE nz_bad(nz_ts(raw_value), raw_value)
UNION ALL
SELECT order_id, window_date, 'order_created_at', raw.order_created_at, 'missing', fetched_at
FROM suspects
WHERE nz_blank(raw.order_created_at)
UNION ALL
SELECT order_id, window_date, 'order_created_at', raw.order_created_at, 'outside_window',
    fetched_at
FROM suspects
WHERE CAST(nz_ts(raw.order_created_at) AS DATE) <> window_date
UNION ALL
SELECT order_id, window_date, 'contact_id', raw.contact_id, 'invalid_integer', fetched_at
FROM suspects
WHERE nz_bad(nz_int(raw.contact_id), raw.contact_id)
UNION ALL
SELECT order_id, window_date, field,
    CASE field
        WHEN 'order_source' THEN raw.order_source
        WHEN 'order_number' THEN raw.order_number
        WHEN 'order_name' THEN raw.order_name
        WHEN 'receiver_name' THEN raw.receiver_name
        WHEN 'receiver_address' THEN raw.receiver_address
        WHEN 'receiver_phone' THEN raw.receiver_phone
        WHEN 'financial_status' THEN raw.financial_status
        WHEN 'fulfillment_status' THEN raw.fulfillment_status
        WHEN 'return_status' THEN raw.return_status
        WHEN 'note' THEN raw.note
        WHEN 'extra_info' THEN raw.extra_info
    END,
    'not_a_string',
    fetched_at
FROM nonstring
UNION ALL
SELECT order_id, window_date, 'items', items_not_a_list, 'not_a_list', fetched_at
FROM suspects
WHERE items_not_a_list IS NOT NULL
UNION ALL
-- No items list at all: the order's items are unknown (the order keeps the items it had).
SELECT order_id, window_date, 'items', NULL, 'missing', fetched_at
FROM suspects
WHERE raw.items IS NULL AND items_not_a_list IS NULL
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].' || field, raw_value, problem, fetched_at
FROM item_problems
WHERE problem IS NOT NULL
UNION ALL
SELECT order_id, window_date, 'items[' || position || ']', shape.item_text, 'not_an_object',
    fetched_at
FROM listed_items
WHERE shape.item_type NOT IN ('OBJECT', 'NULL')
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product', shape.product_text,
    'not_an_object', fetched_at
FROM listed_items
WHERE shape.item_type = 'OBJECT' AND shape.product_type NOT IN ('OBJECT', 'NULL')
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product.name',
    json_extract_string(shape.product_text, '$.name'), 'not_a_string', fetched_at
FROM listed_items
WHERE nz_container(shape.name_type)
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product.sku',
    json_extract_string(shape.product_text, '$.sku'), 'not_a_string', fetched_at
FROM listed_items
WHERE nz_container(shape.sku_type)
UNION ALL
SELECT o.order_id, o.window_date, 'financial_status', o.financial_status, 'unknown_enum',
    o.fetched_at
FROM nz_orders AS o
JOIN financial_statuses AS d ON d.code = o.financial_status AND NOT d.is_known
UNION ALL
SELECT o.order_id, o.window_date, 'fulfillment_status', o.fulfillment_status, 'unknown_enum',
    o.fetched_at
FROM nz_orders AS o
JOIN fulfillment_statuses AS d ON d.code = o.fulfillment_status AND NOT d.is_known
UNION ALL
SELECT o.order_id, o.window_date, 'return_status', o.return_status, 'unknown_enum', o.fetched_at
FROM nz_orders AS o
JOIN return_statuses AS d ON d.code = o.return_status AND NOT d.is_known;

DELETE FROM order_data_issues
WHERE list_contains($days::DATE[], window_date)
    OR order_id IN (SELECT order_id FROM nz_affected);

INSERT INTO order_data_issues (order_id, window_date, field, raw_value, problem, observed_at)
SELECT order_id, window_date, field, raw_value, problem, fetched_at
FROM nz_issues
ORDER BY order_id, field;
