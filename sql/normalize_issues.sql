-- Replace the issues of these windows and of every staged order with what the staged payloads
-- show now. observed_at is the fetch time of the payload that carried the value, so running
-- normalize again over unchanged raw rows reproduces the same rows.
CREATE OR REPLACE TEMP TABLE nz_issues AS
WITH
money AS (
    UNPIVOT (
        SELECT order_id, window_date, fetched_at,
            subtotal_price, total_discount, shipping_fee, total_tax, total_price
        FROM nz_orders
    )
    ON subtotal_price, total_discount, shipping_fee, total_tax, total_price
    INTO NAME field VALUE raw_value
),
stamps AS (
    UNPIVOT (
        SELECT order_id, window_date, fetched_at,
            order_created_at, order_updated_at, created_at, updated_at
        FROM nz_orders
    )
    ON order_created_at, order_updated_at, created_at, updated_at
    INTO NAME field VALUE raw_value
),
nonstring AS (
    SELECT order_id, window_date, fetched_at, unnest(nonstring_fields) AS field,
        order_source, order_number, order_name, receiver_name, receiver_address,
        receiver_phone, financial_status, fulfillment_status, return_status, note, extra_info
    FROM nz_orders
    WHERE len(nonstring_fields) > 0
),
item_values AS (
    UNPIVOT (
        SELECT order_id, window_date, fetched_at, position,
            item.id AS "id",
            item.product_id AS "product_id",
            item.quantity AS "quantity",
            item.product.id AS "product.id",
            item.total_price_before_discounts AS "total_price_before_discounts",
            item.total_discount AS "total_discount",
            item.total_price_after_discounts AS "total_price_after_discounts",
            item.product.price AS "product.price",
            item.created_at AS "created_at",
            item.updated_at AS "updated_at"
        FROM nz_items
    )
    ON COLUMNS(* EXCLUDE (order_id, window_date, fetched_at, position))
    INTO NAME field VALUE raw_value
),
item_problems AS (
    SELECT order_id, window_date, fetched_at, position, field, raw_value,
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
WHERE NOT nz_blank(raw_value) AND nz_money(raw_value) IS NULL
UNION ALL
SELECT order_id, window_date, field, raw_value, 'invalid_timestamp', fetched_at
FROM stamps
WHERE NOT nz_blank(raw_value) AND nz_ts(raw_value) IS NULL
UNION ALL
SELECT order_id, window_date, 'order_created_at', order_created_at, 'missing', fetched_at
FROM nz_orders
WHERE nz_blank(order_created_at)
UNION ALL
SELECT order_id, window_date, 'order_created_at', order_created_at, 'outside_window', fetched_at
FROM nz_orders
WHERE CAST(nz_ts(order_created_at) AS DATE) <> window_date
UNION ALL
SELECT order_id, window_date, 'contact_id', contact_id, 'invalid_integer', fetched_at
FROM nz_orders
WHERE NOT nz_blank(contact_id) AND nz_int(contact_id) IS NULL
UNION ALL
SELECT order_id, window_date, field,
    CASE field
        WHEN 'order_source' THEN order_source
        WHEN 'order_number' THEN order_number
        WHEN 'order_name' THEN order_name
        WHEN 'receiver_name' THEN receiver_name
        WHEN 'receiver_address' THEN receiver_address
        WHEN 'receiver_phone' THEN receiver_phone
        WHEN 'financial_status' THEN financial_status
        WHEN 'fulfillment_status' THEN fulfillment_status
        WHEN 'return_status' THEN return_status
        WHEN 'note' THEN note
        WHEN 'extra_info' THEN extra_info
    END,
    'not_a_string',
    fetched_at
FROM nonstring
UNION ALL
SELECT order_id, window_date, 'items', items_not_a_list, 'not_a_list', fetched_at
FROM nz_orders
WHERE items_not_a_list IS NOT NULL
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].' || field, raw_value, problem, fetched_at
FROM item_problems
WHERE problem IS NOT NULL
UNION ALL
SELECT order_id, window_date, 'items[' || position || ']', shape.item_text, 'not_an_object',
    fetched_at
FROM nz_item_shape_issues
WHERE shape.item_type NOT IN ('OBJECT', 'NULL')
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product', shape.product_text,
    'not_an_object', fetched_at
FROM nz_item_shape_issues
WHERE shape.item_type = 'OBJECT' AND shape.product_type NOT IN ('OBJECT', 'NULL')
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product.name',
    json_extract_string(shape.product_text, '$.name'), 'not_a_string', fetched_at
FROM nz_item_shape_issues
WHERE nz_container(shape.name_type)
UNION ALL
SELECT order_id, window_date, 'items[' || position || '].product.sku',
    json_extract_string(shape.product_text, '$.sku'), 'not_a_string', fetched_at
FROM nz_item_shape_issues
WHERE nz_container(shape.sku_type)
UNION ALL
SELECT o.id, o.window_date, 'financial_status', o.financial_status, 'unknown_enum', o.synced_at
FROM orders AS o
JOIN financial_statuses AS d ON d.code = o.financial_status AND NOT d.is_known
WHERE o.id IN (SELECT order_id FROM nz_orders)
UNION ALL
SELECT o.id, o.window_date, 'fulfillment_status', o.fulfillment_status, 'unknown_enum',
    o.synced_at
FROM orders AS o
JOIN fulfillment_statuses AS d ON d.code = o.fulfillment_status AND NOT d.is_known
WHERE o.id IN (SELECT order_id FROM nz_orders)
UNION ALL
SELECT o.id, o.window_date, 'return_status', o.return_status, 'unknown_enum', o.synced_at
FROM orders AS o
JOIN return_statuses AS d ON d.code = o.return_status AND NOT d.is_known
WHERE o.id IN (SELECT order_id FROM nz_orders);

DELETE FROM order_data_issues
WHERE list_contains($days::DATE[], window_date)
    OR order_id IN (SELECT order_id FROM nz_affected);

INSERT INTO order_data_issues (order_id, window_date, field, raw_value, problem, observed_at)
SELECT order_id, window_date, field, raw_value, problem, fetched_at
FROM nz_issues
ORDER BY order_id, field;
